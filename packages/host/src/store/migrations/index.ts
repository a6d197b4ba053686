import { migration001 } from './001-initial.js';
import { migration002 } from './002-docker-tasks.js';
import { migration003 } from './003-scheduler.js';
import { migration004 } from './004-vps.js';
import { migration005 } from './005-users.js';
import type { Migration } from './migration.js';

export type { Migration } from './migration.js';

/** Every migration, in version order. Append new ones; never edit a released one. */
export const migrations: readonly Migration[] = [migration001, migration002, migration003, migration004, migration005];

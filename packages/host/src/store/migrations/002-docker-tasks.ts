import type { Migration } from './migration.js';

/**
 * Docker tasks: the registry image a task may name instead of an env, its extra bind mounts,
 * --privileged, and the env-sync progress a runner reports while the task is `syncing`.
 * Rows from before keep working: no image, no mounts, not privileged, no progress.
 */
export const migration002: Migration = {
  version: 2,
  name: 'docker-tasks',
  sql: `
    ALTER TABLE tasks ADD COLUMN image TEXT;
    ALTER TABLE tasks ADD COLUMN mounts TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE tasks ADD COLUMN privileged INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tasks ADD COLUMN sync_progress TEXT;
  `,
};

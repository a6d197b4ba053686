import type { Migration } from './migration.js';

/**
 * VPS tasks: a task's kind (`command` or `vps`) and, for a VPS, the OpenSSH public key its
 * container gets as root's authorized_keys. Rows from before are command tasks without a key.
 * The partial index serves `GET /vps` (VPS tasks, newest first) without a scan of all tasks.
 */
export const migration004: Migration = {
  version: 4,
  name: 'vps',
  sql: `
    ALTER TABLE tasks ADD COLUMN kind TEXT NOT NULL DEFAULT 'command' CHECK (kind IN ('command', 'vps'));
    ALTER TABLE tasks ADD COLUMN public_key TEXT;
    CREATE INDEX tasks_vps ON tasks(id) WHERE kind = 'vps';
  `,
};

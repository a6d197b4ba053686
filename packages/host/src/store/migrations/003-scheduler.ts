import type { Migration } from './migration.js';

/**
 * The scheduler: priorities, GPU counts, NUMA auto, --max-parallel and retries on tasks, and
 * drained nodes. A retry is a new task row in the same batch; `retry_of` links it to the attempt
 * before it. Rows from before keep working: priority 0, first attempt, no retries, not drained.
 */
export const migration003: Migration = {
  version: 3,
  name: 'scheduler',
  sql: `
    ALTER TABLE tasks ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tasks ADD COLUMN gpu_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tasks ADD COLUMN numa_auto INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tasks ADD COLUMN max_parallel INTEGER;
    ALTER TABLE tasks ADD COLUMN retry INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tasks ADD COLUMN retry_on_fail INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tasks ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE tasks ADD COLUMN retry_of INTEGER REFERENCES tasks(id);
    CREATE INDEX tasks_by_retry_of ON tasks(retry_of) WHERE retry_of IS NOT NULL;
    ALTER TABLE nodes ADD COLUMN drained INTEGER NOT NULL DEFAULT 0;
  `,
};

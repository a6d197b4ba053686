import type { Migration } from './migration.js';

/** The first schema: tokens, nodes, batches, tasks and their state changes. */
export const migration001: Migration = {
  version: 1,
  name: 'initial',
  sql: `
    CREATE TABLE tokens (
      id INTEGER PRIMARY KEY,
      hash TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL CHECK (kind IN ('admin', 'join')),
      user TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );

    CREATE TABLE nodes (
      name TEXT PRIMARY KEY,
      version TEXT NOT NULL,
      resources TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('online', 'offline')),
      registered_at INTEGER NOT NULL,
      last_heartbeat_at INTEGER,
      usage TEXT
    );

    CREATE TABLE batches (
      id INTEGER PRIMARY KEY,
      owner TEXT NOT NULL,
      submitted_at INTEGER NOT NULL
    );

    CREATE TABLE tasks (
      id INTEGER PRIMARY KEY,
      batch_id INTEGER NOT NULL REFERENCES batches(id),
      owner TEXT NOT NULL,
      command TEXT NOT NULL,
      env TEXT NOT NULL,
      workdir TEXT,
      container TEXT,
      cores REAL NOT NULL,
      memory_bytes INTEGER,
      target TEXT,
      node TEXT REFERENCES nodes(name),
      numa INTEGER,
      gpus TEXT NOT NULL DEFAULT '[]',
      private_network INTEGER NOT NULL,
      private_pid INTEGER NOT NULL,
      status TEXT NOT NULL,
      reason TEXT,
      exit_code INTEGER,
      submitted_at INTEGER NOT NULL,
      started_at INTEGER,
      ended_at INTEGER
    );
    CREATE INDEX tasks_by_status ON tasks(status, id);
    CREATE INDEX tasks_by_node ON tasks(node, id);
    CREATE INDEX tasks_by_batch ON tasks(batch_id, id);

    CREATE TABLE task_events (
      id INTEGER PRIMARY KEY,
      task_id INTEGER NOT NULL REFERENCES tasks(id),
      at INTEGER NOT NULL,
      from_status TEXT,
      to_status TEXT NOT NULL,
      message TEXT
    );
    CREATE INDEX task_events_by_task ON task_events(task_id, id);
  `,
};

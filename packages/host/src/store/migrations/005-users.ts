import type { Migration } from './migration.js';

/**
 * Users, API tokens with ids and revocation, and the audit log.
 * - `users`: every API user; the admin user of the admin token file becomes an admin user.
 * - `tokens` is rebuilt (SQLite cannot change a CHECK): kind `api` (any user's API token; the
 *   old `admin` kind) or `join`; `prefix` is the token's first characters for `kawa token
 *   list` (empty for older tokens until the host sees their text again); `revoked_at` refuses
 *   a token from then on.
 * - `audit`: who did what to which target, when, and how it ended.
 */
export const migration005: Migration = {
  version: 5,
  name: 'users',
  sql: `
    CREATE TABLE users (
      name TEXT PRIMARY KEY,
      admin INTEGER NOT NULL CHECK (admin IN (0, 1)),
      created_at INTEGER NOT NULL
    );
    INSERT INTO users (name, admin, created_at)
      SELECT user, 1, MIN(created_at) FROM tokens WHERE kind = 'admin' GROUP BY user;

    CREATE TABLE tokens_v5 (
      id INTEGER PRIMARY KEY,
      hash TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL CHECK (kind IN ('api', 'join')),
      user TEXT NOT NULL,
      prefix TEXT NOT NULL DEFAULT '',
      created_at INTEGER NOT NULL,
      revoked_at INTEGER
    );
    INSERT INTO tokens_v5 (id, hash, kind, user, created_at)
      SELECT id, hash, CASE kind WHEN 'admin' THEN 'api' ELSE 'join' END, user, created_at FROM tokens;
    DROP TABLE tokens;
    ALTER TABLE tokens_v5 RENAME TO tokens;
    CREATE INDEX tokens_user ON tokens(user);

    CREATE TABLE audit (
      id INTEGER PRIMARY KEY,
      at INTEGER NOT NULL,
      user TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT NOT NULL,
      outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
      code TEXT
    );
    CREATE INDEX audit_user ON audit(user, id);
  `,
};

import type { Database } from 'better-sqlite3';
import type { Migration } from './migrations/index.js';

/**
 * Applies the migrations the database has not seen, each in its own transaction, and records
 * them in `schema_migrations`. Returns the versions applied. A database newer than this host
 * is refused, since an old host could misread a new schema.
 */
export function migrate(db: Database, migrations: readonly Migration[], now: () => number): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const row = db.prepare<[], { version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations').get();
  const current = row?.version ?? 0;
  const latest = migrations.reduce((max, migration) => Math.max(max, migration.version), 0);
  if (current > latest) {
    throw new Error(
      `the database is at schema version ${current}, newer than this host knows (${latest}); upgrade Kawa`,
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, now());
    })();
    applied.push(migration.version);
  }
  return applied;
}

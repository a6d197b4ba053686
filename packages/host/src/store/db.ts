import { chmodSync, closeSync, openSync } from 'node:fs';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { migrate } from './migrate.js';
import { migrations } from './migrations/index.js';

/**
 * Opens (creating if needed) the host database and brings its schema up to date.
 * WAL with synchronous=NORMAL keeps commits cheap and still durable across a process crash;
 * only a power loss may drop the last commits.
 */
export function openDatabase(path: string, now: () => number = Date.now): Database {
  // Token hashes and the audit log live here: owner-only, like the token files. SQLite gives
  // the -wal and -shm files the database file's mode.
  if (path !== ':memory:') {
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
  }
  const db = new BetterSqlite3(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations, now);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

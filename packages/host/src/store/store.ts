import type { Database } from 'better-sqlite3';
import { openDatabase } from './db.js';
import { NodeRepo } from './node-repo.js';
import { TaskRepo } from './task-repo.js';
import { TokenRepo } from './token-repo.js';

/** The host's persistent state: one SQLite database behind three repositories. */
export interface Store {
  readonly db: Database;
  readonly tasks: TaskRepo;
  readonly nodes: NodeRepo;
  readonly tokens: TokenRepo;
  close(): void;
}

export function openStore(path: string, now: () => number = Date.now): Store {
  const db = openDatabase(path, now);
  return {
    db,
    tasks: new TaskRepo(db),
    nodes: new NodeRepo(db),
    tokens: new TokenRepo(db),
    close: () => {
      if (db.open) db.close();
    },
  };
}

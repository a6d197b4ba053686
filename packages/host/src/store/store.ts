import type { Database } from 'better-sqlite3';
import { openDatabase } from './db.js';
import { NodeRepo } from './node-repo.js';
import { TaskRepo } from './task-repo.js';
import { TokenRepo } from './token-repo.js';
import { UserRepo } from './user-repo.js';
import { AuditRepo } from './audit-repo.js';

/** The host's persistent state: one SQLite database behind its repositories. */
export interface Store {
  readonly db: Database;
  readonly tasks: TaskRepo;
  readonly nodes: NodeRepo;
  readonly tokens: TokenRepo;
  readonly users: UserRepo;
  readonly audit: AuditRepo;
  close(): void;
}

export function openStore(path: string, now: () => number = Date.now): Store {
  const db = openDatabase(path, now);
  return {
    db,
    tasks: new TaskRepo(db),
    nodes: new NodeRepo(db),
    tokens: new TokenRepo(db),
    users: new UserRepo(db),
    audit: new AuditRepo(db),
    close: () => {
      if (db.open) db.close();
    },
  };
}

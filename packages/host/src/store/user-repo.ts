import type { Database, Statement } from 'better-sqlite3';
import type { User } from '@kawa/protocol';

interface UserRow {
  name: string;
  admin: number;
  created_at: number;
  active_tokens: number;
}

const toUser = (row: UserRow): User => ({
  name: row.name,
  admin: row.admin === 1,
  createdAt: row.created_at,
  activeTokens: row.active_tokens,
});

const SELECT_USERS = `
  SELECT users.name, users.admin, users.created_at,
    (SELECT COUNT(*) FROM tokens WHERE tokens.user = users.name AND tokens.kind = 'api'
       AND tokens.revoked_at IS NULL) AS active_tokens
  FROM users`;

/** API users. A user's tokens are in the token repo; tasks name their owner by user name. */
export class UserRepo {
  private readonly getStatement: Statement<[string], UserRow>;
  private readonly listStatement: Statement<[], UserRow>;
  private readonly insertStatement: Statement<[string, number, number]>;

  constructor(db: Database) {
    this.getStatement = db.prepare(`${SELECT_USERS} WHERE users.name = ?`);
    this.listStatement = db.prepare(`${SELECT_USERS} ORDER BY users.name`);
    this.insertStatement = db.prepare('INSERT OR IGNORE INTO users (name, admin, created_at) VALUES (?, ?, ?)');
  }

  get(name: string): User | null {
    const row = this.getStatement.get(name);
    return row ? toUser(row) : null;
  }

  list(): User[] {
    return this.listStatement.all().map(toUser);
  }

  /** Adds a user; false when the name is taken (the existing user is left as it is). */
  insert(name: string, admin: boolean, createdAt: number): boolean {
    return this.insertStatement.run(name, admin ? 1 : 0, createdAt).changes === 1;
  }
}

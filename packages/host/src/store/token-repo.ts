import type { Database, Statement } from 'better-sqlite3';

export type TokenKind = 'admin' | 'join';

/** A token the host knows, found by the sha256 of its text. */
export interface StoredToken {
  kind: TokenKind;
  user: string;
}

interface TokenRow {
  kind: string;
  user: string;
}

/** Tokens are stored as sha256 hashes only; the plain text lives in the 0600 token files. */
export class TokenRepo {
  private readonly findStatement: Statement<[string], TokenRow>;
  private readonly insertStatement: Statement<[string, string, string, number]>;

  constructor(db: Database) {
    this.findStatement = db.prepare('SELECT kind, user FROM tokens WHERE hash = ?');
    this.insertStatement = db.prepare(
      'INSERT OR IGNORE INTO tokens (hash, kind, user, created_at) VALUES (?, ?, ?, ?)',
    );
  }

  findByHash(hash: string): StoredToken | null {
    const row = this.findStatement.get(hash);
    if (!row) return null;
    if (row.kind !== 'admin' && row.kind !== 'join') throw new Error(`corrupt token kind "${row.kind}"`);
    return { kind: row.kind, user: row.user };
  }

  /** Records a token hash; a hash already present is left as it is. */
  insert(hash: string, kind: TokenKind, user: string, createdAt: number): void {
    this.insertStatement.run(hash, kind, user, createdAt);
  }
}

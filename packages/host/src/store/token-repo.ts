import type { Database, Statement } from 'better-sqlite3';
import type { ApiToken } from '@kawa/protocol';

/** An API token (any user's, admin or not) or the cluster join token of runners. */
export type TokenKind = 'api' | 'join';

/** A token the host knows, found by the sha256 of its text. */
export interface StoredToken {
  id: number;
  kind: TokenKind;
  user: string;
  /** Whether its user is an admin (false for the join token). */
  admin: boolean;
  revokedAt: number | null;
}

interface TokenRow {
  id: number;
  kind: string;
  user: string;
  admin: number | null;
  revoked_at: number | null;
}

interface ApiTokenRow {
  id: number;
  user: string;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
}

const toApiToken = (row: ApiTokenRow): ApiToken => ({
  id: row.id,
  user: row.user,
  prefix: row.prefix,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

/** Tokens are stored as sha256 hashes only; the plain text is shown once or lives in 0600 files. */
export class TokenRepo {
  private readonly findStatement: Statement<[string], TokenRow>;
  private readonly insertStatement: Statement<[string, string, string, string, number]>;
  private readonly prefixStatement: Statement<[string, string]>;
  private readonly getStatement: Statement<[number], ApiTokenRow>;
  private readonly listStatement: Statement<[], ApiTokenRow>;
  private readonly listByUserStatement: Statement<[string], ApiTokenRow>;
  private readonly revokeStatement: Statement<[number, number]>;

  constructor(db: Database) {
    this.findStatement = db.prepare(
      `SELECT tokens.id, tokens.kind, tokens.user, users.admin, tokens.revoked_at
       FROM tokens LEFT JOIN users ON users.name = tokens.user WHERE tokens.hash = ?`,
    );
    this.insertStatement = db.prepare(
      'INSERT OR IGNORE INTO tokens (hash, kind, user, prefix, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.prefixStatement = db.prepare("UPDATE tokens SET prefix = ? WHERE hash = ? AND prefix = ''");
    const columns = 'id, user, prefix, created_at, revoked_at';
    this.getStatement = db.prepare(`SELECT ${columns} FROM tokens WHERE id = ? AND kind = 'api'`);
    this.listStatement = db.prepare(`SELECT ${columns} FROM tokens WHERE kind = 'api' ORDER BY id`);
    this.listByUserStatement = db.prepare(`SELECT ${columns} FROM tokens WHERE kind = 'api' AND user = ? ORDER BY id`);
    this.revokeStatement = db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  }

  findByHash(hash: string): StoredToken | null {
    const row = this.findStatement.get(hash);
    if (!row) return null;
    if (row.kind !== 'api' && row.kind !== 'join') throw new Error(`corrupt token kind "${row.kind}"`);
    return { id: row.id, kind: row.kind, user: row.user, admin: row.admin === 1, revokedAt: row.revoked_at };
  }

  /**
   * Records a token hash and returns its id; a hash already present is left as it is (its
   * prefix is filled in if it had none, for tokens from before prefixes).
   */
  insert(hash: string, kind: TokenKind, user: string, prefix: string, createdAt: number): void {
    this.insertStatement.run(hash, kind, user, prefix, createdAt);
    this.prefixStatement.run(prefix, hash);
  }

  /** The API token with this id (revoked or not), or null; join tokens are not API tokens. */
  get(id: number): ApiToken | null {
    const row = this.getStatement.get(id);
    return row ? toApiToken(row) : null;
  }

  /** API tokens, oldest first, of one user or of all. */
  list(user?: string): ApiToken[] {
    const rows = user === undefined ? this.listStatement.all() : this.listByUserStatement.all(user);
    return rows.map(toApiToken);
  }

  /** Marks a token revoked at `now`; an already revoked one keeps its first revocation time. */
  revoke(id: number, now: number): void {
    this.revokeStatement.run(now, id);
  }
}

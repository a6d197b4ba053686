import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';
import { migrations } from './migrations/index.js';
import { TokenRepo } from './token-repo.js';
import { UserRepo } from './user-repo.js';

describe('migration 005 (users)', () => {
  it('keeps the tokens from before it: the admin token becomes an admin user’s API token', () => {
    const db = new BetterSqlite3(':memory:');
    try {
      migrate(
        db,
        migrations.filter((migration) => migration.version < 5),
        Date.now,
      );
      db.prepare("INSERT INTO tokens (hash, kind, user, created_at) VALUES ('h-admin', 'admin', 'admin', 7)").run();
      db.prepare("INSERT INTO tokens (hash, kind, user, created_at) VALUES ('h-join', 'join', 'runner', 8)").run();
      expect(migrate(db, migrations, Date.now)).toEqual([5]);

      const tokens = new TokenRepo(db);
      expect(tokens.findByHash('h-admin')).toMatchObject({ kind: 'api', user: 'admin', admin: true, revokedAt: null });
      expect(tokens.findByHash('h-join')).toMatchObject({ kind: 'join', user: 'runner', admin: false });
      expect(new UserRepo(db).list()).toEqual([{ name: 'admin', admin: true, createdAt: 7, activeTokens: 1 }]);
      // The join token is not an API token: it is never listed or revoked as one.
      expect(tokens.list().map((token) => token.user)).toEqual(['admin']);
    } finally {
      db.close();
    }
  });
});

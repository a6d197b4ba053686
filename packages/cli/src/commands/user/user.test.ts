import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiToken, NewTokenResponse } from '@kawa/protocol';
import { errorAnswer, fakeHost, json, runWith, tempHomes } from '../../test-support.js';

const secret = `kawa_user_${'A'.repeat(43)}`;
const token: ApiToken = {
  id: 3,
  user: 'alice',
  prefix: 'kawa_user_AAAAAAAA',
  createdAt: 1_700_000_000_000,
  revokedAt: null,
};
const created: NewTokenResponse = {
  user: { name: 'alice', admin: false, createdAt: 1_700_000_000_000, activeTokens: 1 },
  token,
  secret,
};
const homes = tempHomes('kawa-user-test-');
afterEach(() => homes.removeAll());

describe('kawa user, token and audit', () => {
  it('user add prints the token once and sends the admin flag', async () => {
    const host = fakeHost({ createUser: () => json(created, 201) });
    const run = await runWith(['user', 'add', 'alice', '--admin'], { fetch: host.fetch });
    expect(run.code).toBe(0);
    expect(host.requests[0]?.body).toEqual({ name: 'alice', admin: true });
    expect(run.stdout).toContain(secret);
    expect(run.stdout).toContain('shown only now');
  });

  it('--token-file writes the token with mode 0600, never over an existing file, and does not print it', async () => {
    const home = homes.make();
    const file = join(home, 'alice-token');
    const host = fakeHost({ createToken: () => json(created, 201) });
    const run = await runWith(['token', 'create', '--user', 'alice', '--token-file', file, '--json'], {
      fetch: host.fetch,
      env: { HOME: home },
    });
    expect(run.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(`${secret}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(run.stdout).not.toContain(secret);
    expect(JSON.parse(run.stdout)).toMatchObject({ token: { id: 3 }, tokenFile: file });

    writeFileSync(file, 'keep me\n');
    const again = await runWith(['token', 'create', '--user', 'alice', '--token-file', file], {
      fetch: host.fetch,
      env: { HOME: home },
    });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already exists');
    expect(readFileSync(file, 'utf8')).toBe('keep me\n');
  });

  it('token list shows ids and prefixes; revoke takes an id', async () => {
    const host = fakeHost({
      listTokens: () => json({ tokens: [token, { ...token, id: 4, revokedAt: 1_700_000_100_000 }] }),
      revokeToken: () => json({ ...token, revokedAt: 1 }),
    });
    const list = await runWith(['token', 'list', '--user', 'alice'], { fetch: host.fetch });
    expect(list.stdout).toMatch(/^ID\s+USER\s+PREFIX\s+CREATED\s+REVOKED$/m);
    expect(list.stdout).toMatch(/^\s*3\s+alice\s+kawa_user_AAAAAAAA…\s+\S.*\s-$/m);
    expect(host.requests[0]?.query.get('user')).toBe('alice');
    const revoke = await runWith(['token', 'revoke', '3'], { fetch: host.fetch });
    expect([revoke.code, revoke.stdout]).toEqual([0, 'revoked token 3 of alice\n']);
    expect(host.requests[1]?.params).toEqual({ id: '3' });
    const bad = await runWith(['token', 'revoke', 'abc'], { fetch: host.fetch });
    expect(bad.code).toBe(2);
  });

  it('audit shows who did what and passes --user and --limit', async () => {
    const host = fakeHost({
      listAudit: () =>
        json({
          entries: [
            {
              id: 2,
              at: 1,
              user: 'bob',
              action: 'task.kill',
              target: 'task 7',
              outcome: 'refused',
              code: 'KAWA_ERR_FORBIDDEN',
            },
          ],
        }),
    });
    const run = await runWith(['audit', '--user', 'bob', '--limit', '5'], { fetch: host.fetch });
    expect(run.stdout).toMatch(/bob\s+task\.kill\s+task 7\s+refused KAWA_ERR_FORBIDDEN/);
    expect(Object.fromEntries(host.requests[0]?.query ?? [])).toEqual({ user: 'bob', limit: '5' });
  });

  it('a non-admin gets the host’s refusal', async () => {
    const host = fakeHost({ listUsers: () => errorAnswer('KAWA_ERR_FORBIDDEN', 'this needs an admin token', 403) });
    const run = await runWith(['user', 'list'], { fetch: host.fetch });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('this needs an admin token');
  });
});

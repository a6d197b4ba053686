import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '@kawa/config';
import { errorAnswer, fakeHost, json, runWith, tempHomes, type FakeRequest } from '../../test-support.js';

const homes = tempHomes('kawa-join-test-');
afterEach(homes.removeAll);

/** A host that knows `joinToken` as a join token (403 on an API route) and `apiToken` as a user's. */
function hostKnowing(joinToken: string, apiToken = 'kawa_user_x') {
  return fakeHost({
    whoami: (request: FakeRequest) => {
      const auth = request.headers.authorization;
      if (auth === `Bearer ${joinToken}`) return errorAnswer('KAWA_ERR_FORBIDDEN', 'a join token', 403);
      if (auth === `Bearer ${apiToken}`) return json({ user: 'ann', admin: false });
      return errorAnswer('KAWA_ERR_UNAUTHORIZED', 'unknown token', 401);
    },
  });
}

describe('kawa join', () => {
  it('checks the host knows the join token, then writes [runner] and [client] (0600) in one step', async () => {
    const home = homes.make();
    const host = hostKnowing('kawa_join_abc');
    const run = await runWith(
      ['join', 'http://head:8000/', 'kawa_join_abc', '--name', 'node7', '--shared-dir', '/nfs/kawa'],
      {
        env: { HOME: home },
        fetch: host.fetch,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    const path = join(home, '.kawa', 'config.toml');
    expect(run.stdout).toBe(
      `wrote ${path}: runner node7 joins http://head:8000\n` +
        'next: kawa runner   (or: sudo kawa init service --runner, then systemctl enable --now kawa-runner)\n',
    );
    expect(host.requests.map((request) => request.route)).toEqual(['whoami']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const config = loadConfig({ path, env: { HOME: home } });
    expect(config.runner).toMatchObject({
      host_url: 'http://head:8000',
      join_token: 'kawa_join_abc',
      name: 'node7',
      shared_dir: '/nfs/kawa',
    });
    expect(config.client.host_url).toBe('http://head:8000');
    expect(readFileSync(path, 'utf8')).not.toContain('[host]');
  });

  it('refuses a token the host does not know, and an API token, writing nothing', async () => {
    const home = homes.make();
    const host = hostKnowing('kawa_join_abc', 'kawa_user_x');
    const unknown = await runWith(['join', 'http://head:8000', 'kawa_join_typo'], {
      env: { HOME: home },
      fetch: host.fetch,
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/does not know this join token.*\(KAWA_ERR_UNAUTHORIZED\)/);
    const api = await runWith(['join', 'http://head:8000', 'kawa_user_x'], { env: { HOME: home }, fetch: host.fetch });
    expect(api.code).toBe(2);
    expect(api.stderr).toContain('API token, not the join token');
    expect(() => statSync(join(home, '.kawa', 'config.toml'))).toThrow();
  });

  it('reports an unreachable host with exit 69, and something that is not Kawa', async () => {
    const home = homes.make();
    const refused = (): Promise<Response> =>
      Promise.reject(
        new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) }),
      );
    const down = await runWith(['join', 'http://head:8000', 'tok'], { env: { HOME: home }, fetch: refused });
    expect(down.code).toBe(69);
    expect(down.stderr).toContain('ECONNREFUSED');
    const other = (): Promise<Response> => Promise.resolve(new Response('<html>nginx</html>', { status: 404 }));
    const notKawa = await runWith(['join', 'http://head:8000', 'tok'], { env: { HOME: home }, fetch: other });
    expect(notKawa.code).toBe(69);
    expect(notKawa.stderr).toContain('not as a Kawa host');
  });

  it('checks the URL and the flags before it writes, and keeps an existing config without --force', async () => {
    const home = homes.make();
    const host = hostKnowing('tok');
    for (const url of ['head:8000', 'ftp://head', 'http://head:8000/?x=1']) {
      const run = await runWith(['join', url, 'tok'], { env: { HOME: home }, fetch: host.fetch });
      expect(run.code, url).toBe(2);
    }
    expect(host.requests).toEqual([]);
    const badName = await runWith(['join', 'http://head:8000', 'tok', '--name', 'no spaces allowed'], {
      env: { HOME: home },
      fetch: host.fetch,
    });
    expect(badName.code).toBe(78);
    expect(() => statSync(join(home, '.kawa', 'config.toml'))).toThrow();

    const path = join(home, '.kawa', 'config.toml');
    writeFileSync(path, '# mine\n');
    const kept = await runWith(['join', 'http://head:8000', 'tok'], { env: { HOME: home }, fetch: host.fetch });
    expect(kept.code).toBe(2);
    expect(readFileSync(path, 'utf8')).toBe('# mine\n');
    const forced = await runWith(['join', 'http://head:8000', 'tok', '--force'], {
      env: { HOME: home },
      fetch: host.fetch,
    });
    expect(forced.code).toBe(0);
    expect(loadConfig({ path, env: { HOME: home } }).runner.join_token).toBe('tok');
  });
});

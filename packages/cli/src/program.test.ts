import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeHost, json, runWith, tempHomes } from './test-support.js';

const homes = tempHomes('kawa-program-test-');
const tempHome = homes.make;
afterEach(homes.removeAll);

const nodes = () => fakeHost({ listNodes: () => json({ nodes: [] }) });

describe('kawa (program)', () => {
  it('prints help with the exit-code table and exits 0', async () => {
    const run = await runWith(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Exit codes:');
    expect(run.stdout).toMatch(/69\s+the host is unreachable/);
    expect(run.stdout).toMatch(/78\s+configuration error/);
  });

  it('reports an unknown command or flag as a usage error, exit 2', async () => {
    const unknown = await runWith(['tsak', 'list']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      "error: unknown command 'tsak' (KAWA_ERR_USAGE)\n(Did you mean task?)\n(add --help for usage)\n",
    );
    const flag = await runWith(['task', 'list', '--frobnicate']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("error: unknown option '--frobnicate' (KAWA_ERR_USAGE)");
  });

  it('reads the token file named by [client] token_file', async () => {
    const home = tempHome();
    mkdirSync(join(home, '.kawa', 'host'), { recursive: true });
    writeFileSync(join(home, '.kawa', 'host', 'admin-token'), 'from-file\n');
    const host = nodes();
    const run = await runWith(['node', 'list'], { fetch: host.fetch, env: { HOME: home, KAWA_CLIENT_TOKEN: '' } });
    expect(run.code).toBe(0);
    expect(host.requests[0]?.headers.authorization).toBe('Bearer from-file');
  });

  it('lets --token and --host-url override the config, anywhere on the line', async () => {
    const host = nodes();
    const run = await runWith(['node', 'list', '--token', 'flag-token', '--host-url', 'http://other:9000'], {
      fetch: host.fetch,
    });
    expect(run.code).toBe(0);
    expect(host.requests[0]?.headers.authorization).toBe('Bearer flag-token');
  });

  it('exits 78 with what to do when there is no token', async () => {
    const home = tempHome();
    const run = await runWith(['node', 'list'], { fetch: nodes().fetch, env: { HOME: home, KAWA_CLIENT_TOKEN: '' } });
    expect(run.code).toBe(78);
    expect(run.stderr).toContain(
      'no API token: run `kawa up` on this machine, or set [client] token / KAWA_CLIENT_TOKEN',
    );
    expect(run.stderr).toContain('(KAWA_ERR_CONFIG)');
  });

  it('exits 78 for a bad config file', async () => {
    const home = tempHome();
    mkdirSync(join(home, '.kawa'));
    writeFileSync(join(home, '.kawa', 'config.toml'), '[client]\nhost_url = "ftp://nope"\n');
    const run = await runWith(['node', 'list'], {
      fetch: nodes().fetch,
      env: { HOME: home, KAWA_CLIENT_HOST_URL: '' },
    });
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/^error: config .*host_url.* \(KAWA_ERR_CONFIG\)\n$/);
  });

  it('exits 69 and names the URL when the host is unreachable', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const run = await runWith(['node', 'list'], { env: { KAWA_CLIENT_HOST_URL: `http://127.0.0.1:${port}` } });
    expect(run.code).toBe(69);
    expect(run.stderr).toContain(`http://127.0.0.1:${port}`);
    expect(run.stderr).toContain('is `kawa up` or `kawa host` running?');
    expect(run.stderr).toMatch(/\(KAWA_ERR_HOST_UNREACHABLE\)\n$/);
  });

  it('uses JSON output when [client] json is set', async () => {
    const run = await runWith(['node', 'list'], { fetch: nodes().fetch, env: { KAWA_CLIENT_JSON: 'true' } });
    expect(JSON.parse(run.stdout)).toEqual({ nodes: [] });
  });

  it('reports an unexpected error as a bug with exit code 70', async () => {
    const run = await runWith(['explode'], {
      extra: (program) => {
        program.command('explode').action(() => {
          throw new RangeError('boom');
        });
      },
    });
    expect(run.code).toBe(70);
    expect(run.stderr).toMatch(/^error: boom \(KAWA_ERR_INTERNAL\)\nThis is a bug in Kawa/);
  });

  it('treats any failed fetch as an unreachable host, exit 69', async () => {
    const broken = (() => Promise.reject(new TypeError('fetch failed'))) as unknown as typeof fetch;
    expect((await runWith(['node', 'list'], { fetch: broken })).code).toBe(69);
  });
});

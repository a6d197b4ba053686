import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node, Task } from '@kawa/protocol';
import { kawa, startDaemon, tempHome, uniqueNodeName, type RunningDaemon } from '../test-support.js';

describe('kawa up', () => {
  let home: string;
  let env: Record<string, string>;
  let up: RunningDaemon;
  let url: string;
  const node = uniqueNodeName('up');

  beforeAll(async () => {
    home = tempHome();
    env = { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' };
    up = startDaemon(['up', '--port', '0', '--runner-name', node], env);
    url = (await up.line(/^Kawa is up at (\S+) \(node (\S+)\)$/))[1] ?? '';
  }, 60_000);

  afterAll(async () => {
    await up?.stop();
    rmSync(home, { recursive: true, force: true });
  }, 30_000);

  it('prints the URL and node first, then the API, dashboard, token file and a first command', () => {
    const lines = up.stdout.text().split('\n');
    expect(lines[0]).toBe(`Kawa is up at ${url} (node ${node})`);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const text = up.stdout.text();
    expect(text).toContain(`${url}/api/v1`);
    // With or without a built dashboard (unit tests may run before the Vite build).
    expect(text).toMatch(new RegExp(`Dashboard: +${url}/( \\(not built: run npm run build.*\\))?$`, 'm'));
    expect(text).toContain(join(home, '.kawa', 'host', 'admin-token'));
    expect(text).toContain('kawa task submit --container NULL --wait -- echo hello');
  });

  it('writes a config with the real URL, mode 0600, so the CLI needs no set-up', async () => {
    const path = join(home, '.kawa', 'config.toml');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toContain(`host_url = "${url}"`);
    const nodes = await kawa(env, 'node', 'list', '--json');
    expect(nodes.code, nodes.stderr).toBe(0);
    expect((JSON.parse(nodes.stdout) as { nodes: Node[] }).nodes.map((item) => [item.name, item.status])).toEqual([
      [node, 'online'],
    ]);
  });

  it("runs a task with --wait, exits with the task's code, and keeps its logs", async () => {
    const run = await kawa(
      env,
      'task',
      'submit',
      '--container',
      'NULL',
      '--wait',
      '--',
      'sh',
      '-c',
      'echo out; echo err >&2; exit 3',
    );
    expect(run.code, run.stderr).toBe(3);
    const [submitted, outcome] = run.stdout.trimEnd().split('\n');
    const id = Number(/task (\d+)$/.exec(submitted ?? '')?.[1]);
    expect(outcome).toBe(`task ${id} failed on ${node}, exit code 3`);
    expect((await kawa(env, 'task', 'logs', String(id))).stdout).toBe('out\n');
    expect((await kawa(env, 'task', 'logs', String(id), '--stderr')).stdout).toBe('err\n');
    const status = JSON.parse((await kawa(env, 'task', 'status', String(id), '--json')).stdout) as Task;
    expect(status).toMatchObject({ id, status: 'failed', exitCode: 3, node, workdir: home });
  });

  it('follows a log until the task ends', async () => {
    const submitted = await kawa(
      env,
      'task',
      'submit',
      '--container',
      'NULL',
      '--json',
      '--',
      'sh',
      '-c',
      'echo one; sleep 0.5; echo two',
    );
    const { taskIds } = JSON.parse(submitted.stdout) as { taskIds: number[] };
    const follow = await kawa(env, 'task', 'logs', String(taskIds[0]), '-f');
    expect(follow).toEqual({ code: 0, stdout: 'one\ntwo\n', stderr: '' });
  });

  it('refuses a second `kawa up` on the same port with a clear message', async () => {
    const port = new URL(url).port;
    const other = tempHome();
    try {
      const second = startDaemon(['up', '--port', port, '--runner-name', uniqueNodeName('second')], { HOME: other });
      expect(await second.exit).toBe(78);
      expect(second.stderr.text()).toMatch(/already in use.*--port.*\(KAWA_ERR_CONFIG\)/);
      expect(second.stdout.text()).toBe('');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('kawa up with an existing config', () => {
  it('warns when [client] host_url points elsewhere, and stops cleanly with exit code 0', async () => {
    const home = tempHome();
    try {
      mkdirSync(join(home, '.kawa'));
      writeFileSync(join(home, '.kawa', 'config.toml'), '[client]\nhost_url = "http://127.0.0.1:1"\n');
      const up = startDaemon(['up', '--port', '0', '--runner-name', uniqueNodeName('warn')], { HOME: home });
      const url = (await up.line(/^Kawa is up at (\S+)/))[1] ?? '';
      expect(up.stderr.text()).toContain(`warning: [client] host_url is http://127.0.0.1:1, but Kawa is up at ${url}`);
      expect(readFileSync(join(home, '.kawa', 'config.toml'), 'utf8')).toBe(
        '[client]\nhost_url = "http://127.0.0.1:1"\n',
      );
      expect(await up.stop()).toBe(0);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);

  it('exits 78 on a bad config before starting anything', async () => {
    const home = tempHome();
    try {
      mkdirSync(join(home, '.kawa'));
      writeFileSync(join(home, '.kawa', 'config.toml'), '[host]\nport = "eighty"\n');
      const up = startDaemon(['up'], { HOME: home });
      expect(await up.exit).toBe(78);
      expect(up.stderr.text()).toMatch(/port.*\(KAWA_ERR_CONFIG\)/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses a --port that is not a port as a usage error', async () => {
    const up = startDaemon(['up', '--port', '99999'], { HOME: '/nonexistent-kawa-home' });
    expect(await up.exit).toBe(2);
  });
});

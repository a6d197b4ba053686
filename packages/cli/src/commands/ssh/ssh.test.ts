import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import { errorAnswer, fakeHost, fakeProcesses, json, makeTask, runWith, tempHomes } from '../../test-support.js';

const homes = tempHomes('kawa-ssh-test-');
const tempHome = homes.make;
afterEach(homes.removeAll);

function hostWith(task: Task | null) {
  return fakeHost({
    getTask: (request) =>
      task === null || String(task.id) !== request.params.id
        ? errorAnswer('KAWA_ERR_TASK_NOT_FOUND', `no task ${request.params.id}`, 404)
        : json(task),
  });
}

const vps = (fields: Partial<Task> = {}) =>
  makeTask({ id: 42, kind: 'vps', publicKey: 'ssh-ed25519 AAAA', command: ['/usr/sbin/sshd'], ...fields });

async function sshRun(args: string[], task: Task | null, options: { home?: string; code?: number } = {}) {
  const host = hostWith(task);
  const fake = fakeProcesses(options.code ?? 0);
  const home = options.home ?? tempHome();
  const run = await runWith(args, { fetch: host.fetch, processes: fake.processes, env: { HOME: home } });
  return { ...run, seen: fake.seen, home, requests: host.requests };
}

describe('kawa ssh <id>', () => {
  it('runs OpenSSH through the stdio proxy with Kawa’s known_hosts, passing the user’s options and command', async () => {
    const run = await sshRun(['ssh', '42', '-L', '8888:127.0.0.1:8888', 'ls', '-la', '/shared'], vps(), { code: 7 });
    expect(run.stderr).toBe('');
    // ssh's exit code is the command's.
    expect(run.code).toBe(7);
    expect(run.seen).toHaveLength(1);
    expect(run.seen[0]?.file).toBe('ssh');
    expect(run.seen[0]?.args).toEqual([
      '-o',
      'ProxyCommand=env NODE_CHANNEL_FD=1 /usr/bin/node /opt/kawa/bin/kawa.js ssh --fdpass 42',
      '-o',
      'ProxyUseFdpass=yes',
      '-o',
      'HostKeyAlias=kawa-42',
      '-o',
      `UserKnownHostsFile=${run.home}/.kawa/known_hosts`,
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      'HashKnownHosts=no',
      'root@kawa-42',
      '-L',
      '8888:127.0.0.1:8888',
      'ls',
      '-la',
      '/shared',
    ]);
    expect(run.requests.map((request) => request.route)).toEqual(['getTask']);
  });

  it('takes the ssh name kawa-42 too, and keeps a remote command after -- as ssh expects it', async () => {
    const run = await sshRun(['ssh', 'kawa-42', '-i', '/k', '--', 'echo', '-n', 'x'], vps());
    expect(run.code).toBe(0);
    const args = run.seen[0]?.args ?? [];
    expect(args.slice(args.indexOf('root@kawa-42'))).toEqual(['root@kawa-42', '-i', '/k', '--', 'echo', '-n', 'x']);
    const plain = await sshRun(['ssh', '42', '--', 'ls', '-h'], vps());
    const plainArgs = plain.seen[0]?.args ?? [];
    expect(plainArgs.slice(plainArgs.indexOf('root@kawa-42'))).toEqual(['root@kawa-42', 'ls', '-h']);
  });

  it('uses the key vps create --generate-key made for this VPS', async () => {
    const home = tempHome();
    mkdirSync(join(home, '.kawa', 'keys'), { recursive: true });
    writeFileSync(join(home, '.kawa', 'keys', 'kawa-42'), 'private');
    const run = await sshRun(['ssh', '42', 'true'], vps(), { home });
    const args = run.seen[0]?.args ?? [];
    expect(args.slice(args.indexOf('-i'), args.indexOf('-i') + 2)).toEqual(['-i', join(home, '.kawa/keys/kawa-42')]);
  });

  it('passes --config and --host-url to the proxy as flags, and --token only by the environment', async () => {
    const host = hostWith(vps());
    const fake = fakeProcesses();
    const run = await runWith(
      ['ssh', '--config', 'rel/kawa.toml', '--host-url', 'http://kawa.test:8000', '--token', 's3cret', '42', 'true'],
      { fetch: host.fetch, processes: fake.processes, cwd: '/home/u' },
    );
    expect(run.code).toBe(0);
    const args = fake.seen[0]?.args ?? [];
    expect(args[1]).toBe(
      'ProxyCommand=env NODE_CHANNEL_FD=1 /usr/bin/node /opt/kawa/bin/kawa.js --config /home/u/rel/kawa.toml ' +
        '--host-url http://kawa.test:8000 ssh --fdpass 42',
    );
    expect(args.join(' ')).not.toContain('s3cret');
    expect(fake.seen[0]?.env?.KAWA_CLIENT_TOKEN).toBe('s3cret');
  });

  it('quotes a node or script path with spaces for the shell, and doubles % for ssh', async () => {
    const host = hostWith(vps());
    const fake = fakeProcesses();
    await runWith(['ssh', '42', 'true'], {
      fetch: host.fetch,
      processes: fake.processes,
      self: { node: '/opt/my node/bin/node', script: "/opt/it's 100%/kawa.js" },
    });
    expect(fake.seen[0]?.args[1]).toBe(
      `ProxyCommand=env NODE_CHANNEL_FD=1 '/opt/my node/bin/node' '/opt/it'\\''s 100%%/kawa.js' ssh --fdpass 42`,
    );
  });

  it('pipes through --stdio, without ProxyUseFdpass, for a TLS host (ssh cannot speak TLS itself)', async () => {
    const host = hostWith(vps());
    const fake = fakeProcesses();
    await runWith(['ssh', '--host-url', 'https://kawa.test:8443', '42', 'true'], {
      fetch: host.fetch,
      processes: fake.processes,
    });
    const args = fake.seen[0]?.args ?? [];
    expect(args[1]).toBe(
      'ProxyCommand=/usr/bin/node /opt/kawa/bin/kawa.js --host-url https://kawa.test:8443 ssh --stdio 42',
    );
    expect(args).not.toContain('ProxyUseFdpass=yes');
  });

  it('refuses a command task with KAWA_ERR_NOT_A_VPS and the command that fits, without running ssh', async () => {
    const run = await sshRun(['ssh', '42'], makeTask({ id: 42 }));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: task 42 is a command task, not a VPS: for a shell in it use kawa connect 42 (KAWA_ERR_NOT_A_VPS)\n',
    );
    expect(run.seen).toEqual([]);
  });

  it('says how to bring a stopped VPS back, and that an ended one is gone', async () => {
    const stopped = await sshRun(['ssh', '42'], vps({ status: 'stopped' }));
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toBe(
      'error: VPS 42 is stopped: start it again with kawa vps restart 42 (KAWA_ERR_INVALID_STATE)\n',
    );
    const killed = await sshRun(['ssh', '42'], vps({ status: 'killed', reason: 'killed by admin' }));
    expect(killed.stderr).toBe(
      'error: VPS 42 has ended: killed (killed by admin); make a new one with kawa vps create (KAWA_ERR_INVALID_STATE)\n',
    );
    const pending = await sshRun(['ssh', '42'], vps({ status: 'pending', reason: 'waiting for 4 cores' }));
    expect(pending.stderr).toContain(
      'VPS 42 is pending, not running yet (waiting for 4 cores): see kawa vps status 42',
    );
    expect([stopped.seen, killed.seen, pending.seen]).toEqual([[], [], []]);
  });

  it('refuses a paused VPS with the way to resume it (the host takes no new connection to it)', async () => {
    const run = await sshRun(['ssh', '42', 'true'], vps({ status: 'paused' }));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: VPS 42 is paused: resume it first with kawa vps resume 42 (KAWA_ERR_INVALID_STATE)\n',
    );
    expect(run.seen).toEqual([]);
  });

  it('reports an unknown id with the host’s code', async () => {
    const run = await sshRun(['ssh', '7'], vps());
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: no task 7 (KAWA_ERR_TASK_NOT_FOUND)\n');
  });

  it('is a usage error without an id, with a bad id, or with options before the id', async () => {
    for (const args of [['ssh'], ['ssh', 'node1'], ['ssh', '-v', '42'], ['ssh', 'kawa-x']]) {
      const run = await sshRun(args, vps());
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/\(KAWA_ERR_USAGE\)\n$/);
      expect(run.seen).toEqual([]);
    }
    const extra = await sshRun(['ssh', '--stdio', '42', 'true'], vps());
    expect(extra.code).toBe(2);
    expect(extra.stderr).toBe('error: --stdio takes only the VPS id, got also: true (KAWA_ERR_USAGE)\n');
  });
});

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import { errorAnswer, fakeHost, json, makeTask, runWith, type FakeRoutes, tempHomes } from '../../test-support.js';
import { renderVpsList } from './list.js';

const homes = tempHomes('kawa-vps-test-');
const tempHome = homes.make;
afterEach(homes.removeAll);

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHkCoQ6c2Bq9YQk0nJ1x4n5sJbqU8l0m9W3hQk1f2a7b me@laptop';
const RSA = `ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ${'C'.repeat(80)} me@rsa`;

const vps = (fields: Partial<Task> = {}): Task =>
  makeTask({
    id: 42,
    kind: 'vps',
    publicKey: ED25519,
    command: ['/usr/sbin/sshd'],
    cores: 0,
    status: 'pending',
    node: null,
    ...fields,
  });

/** A host whose createVps answers VPS 42 with the body's key. */
function vpsHost(extra: FakeRoutes = {}) {
  return fakeHost({
    createVps: (request) => json(vps({ publicKey: (request.body as { publicKey: string }).publicKey }), 201),
    ...extra,
  });
}

function withKeys(files: Record<string, string>): string {
  const home = tempHome();
  mkdirSync(join(home, '.ssh'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(home, '.ssh', name), text);
  return home;
}

describe('kawa vps create', () => {
  it('sends the flags and ~/.ssh/id_ed25519.pub, and prints the id, the key and the ssh command', async () => {
    const host = vpsHost();
    const home = withKeys({ 'id_ed25519.pub': `${ED25519}\n`, 'id_rsa.pub': RSA });
    const run = await runWith(
      ['vps', 'create', '-t', 'node1::1', '-c', '2', '-m', '4G', '--image', 'kawa-test/vps:latest'],
      { fetch: host.fetch, env: { HOME: home } },
    );
    expect(run).toEqual({
      code: 0,
      stdout:
        'VPS 42 created (pending)\nkey: ~/.ssh/id_ed25519.pub\n' +
        'connect: kawa ssh 42   (or ssh kawa-42 after kawa ssh config --write)\n',
      stderr: '',
    });
    expect(host.requests[0]?.body).toEqual({
      target: 'node1::1',
      cores: 2,
      memory: '4G',
      image: 'kawa-test/vps:latest',
      publicKey: ED25519,
    });
  });

  it('falls back to ~/.ssh/id_rsa.pub, and takes --public-key-file or --public-key', async () => {
    const host = vpsHost();
    const home = withKeys({ 'id_rsa.pub': RSA, 'other.pub': ED25519 });
    await runWith(['vps', 'create'], { fetch: host.fetch, env: { HOME: home } });
    await runWith(['vps', 'create', '--public-key-file', '~/.ssh/other.pub'], {
      fetch: host.fetch,
      env: { HOME: home },
    });
    await runWith(['vps', 'create', '--public-key', ED25519, '--gpus', '1'], {
      fetch: host.fetch,
      env: { HOME: home },
    });
    expect(host.requests.map((request) => request.body)).toEqual([
      { publicKey: RSA },
      { publicKey: ED25519 },
      { publicKey: ED25519, gpus: 1 },
    ]);
  });

  it('with no key anywhere, is a usage error that names the options', async () => {
    const host = vpsHost();
    const run = await runWith(['vps', 'create'], { fetch: host.fetch, env: { HOME: tempHome() } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: no public key for the VPS: ~/.ssh/id_ed25519.pub and ~/.ssh/id_rsa.pub do not exist; give ' +
        '--public-key-file FILE, --public-key "ssh-ed25519 AAAA…" or --generate-key (KAWA_ERR_USAGE)\n',
    );
    expect(host.requests).toEqual([]);
  });

  it('refuses a private key file, a bad key, several key options and bad flags before sending', async () => {
    const host = vpsHost();
    const home = withKeys({
      id_ed25519: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n',
    });
    const cases: [string[], RegExp][] = [
      [
        ['--public-key-file', join(home, '.ssh/id_ed25519')],
        /is a private key: give its public half .*\(KAWA_ERR_BAD_PUBLIC_KEY\)/,
      ],
      [['--public-key', 'hello'], /not an OpenSSH public key.*\(KAWA_ERR_BAD_PUBLIC_KEY\)/],
      [['--public-key', ED25519, '--generate-key'], /give one of --public-key-file .* not several \(KAWA_ERR_USAGE\)/],
      [['--public-key-file', '/nonexistent.pub'], /cannot read the public key \/nonexistent.pub: no such file/],
      [['--public-key', ED25519, '-c', 'two'], /--cores must be a number.*\(KAWA_ERR_BAD_CORES\)/],
      [['--public-key', ED25519, '--gpus', '65'], /--gpus takes a whole number from 0 to 64/],
      [['--public-key', ED25519, '--container', 'NULL'], /a VPS is a container.*\(KAWA_ERR_BAD_REQUEST\)/],
      [['--public-key', ED25519, '-t', 'node1,node2'], /\(KAWA_ERR_BAD_TARGET\)/],
    ];
    for (const [args, error] of cases) {
      const run = await runWith(['vps', 'create', ...args], { fetch: host.fetch, env: { HOME: home } });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(error);
    }
    expect(host.requests).toEqual([]);
  });

  it('--generate-key makes an ed25519 pair with ssh-keygen, named after the VPS, mode 0600', async () => {
    const host = vpsHost();
    const home = tempHome();
    const run = await runWith(['vps', 'create', '--generate-key', '--json'], {
      fetch: host.fetch,
      env: { HOME: home },
    });
    expect(run.stderr).toBe('');
    const keyFile = join(home, '.kawa', 'keys', 'kawa-42');
    expect(JSON.parse(run.stdout)).toMatchObject({ vps: { id: 42, kind: 'vps' }, keyFile, ssh: 'kawa ssh 42' });
    const publicKey = readFileSync(`${keyFile}.pub`, 'utf8').trim();
    expect(publicKey).toMatch(/^ssh-ed25519 AAAA\S+ kawa-vps$/);
    expect((host.requests[0]?.body as { publicKey: string }).publicKey).toBe(publicKey);
    expect(readFileSync(keyFile, 'utf8')).toContain('OPENSSH PRIVATE KEY');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, '.kawa', 'keys')).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(home, '.kawa', 'keys')).sort()).toEqual(['kawa-42', 'kawa-42.pub']);
  });

  it('drops a generated key when the host refuses the VPS', async () => {
    const host = fakeHost({ createVps: () => errorAnswer('KAWA_ERR_UNSATISFIABLE', 'no node has 64 GPUs', 422) });
    const home = tempHome();
    const run = await runWith(['vps', 'create', '--generate-key'], { fetch: host.fetch, env: { HOME: home } });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: no node has 64 GPUs (KAWA_ERR_UNSATISFIABLE)\n');
    expect(readdirSync(join(home, '.kawa', 'keys'))).toEqual([]);
  });

  it('forgets what an earlier VPS with the same id left: its host key and its generated key', async () => {
    const host = vpsHost();
    const home = withKeys({ 'id_ed25519.pub': ED25519 });
    mkdirSync(join(home, '.kawa', 'keys'), { recursive: true });
    const knownHosts = join(home, '.kawa', 'known_hosts');
    writeFileSync(
      knownHosts,
      'kawa-42 ssh-ed25519 AAAAold\nkawa-7 ssh-ed25519 AAAAkeep\n[kawa-42]:22 ssh-rsa AAAAold\n',
    );
    writeFileSync(join(home, '.kawa', 'keys', 'kawa-42'), 'old private key');
    const run = await runWith(['vps', 'create'], { fetch: host.fetch, env: { HOME: home } });
    expect(run.code).toBe(0);
    expect(readFileSync(knownHosts, 'utf8')).toBe('kawa-7 ssh-ed25519 AAAAkeep\n');
    expect(existsSync(join(home, '.kawa', 'keys', 'kawa-42'))).toBe(false);
  });

  it('--wait polls until the VPS runs, then says where', async () => {
    let polls = 0;
    const host = vpsHost({
      getTask: () => {
        polls += 1;
        return json(polls < 3 ? vps({ status: 'syncing', node: 'node1' }) : vps({ status: 'running', node: 'node1' }));
      },
    });
    const home = withKeys({ 'id_ed25519.pub': ED25519 });
    const run = await runWith(['vps', 'create', '--wait'], { fetch: host.fetch, env: { HOME: home } });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('VPS 42 created (pending)\n');
    expect(run.stdout).toContain('VPS 42 is running on node1\n');
    expect(polls).toBe(3);
  });

  it('--wait fails with the reason when the VPS fails to start', async () => {
    const reason = 'KAWA_ERR_VPS_NO_SSHD: the image has no /usr/sbin/sshd';
    const host = vpsHost({ getTask: () => json(vps({ status: 'failed', reason })) });
    const home = withKeys({ 'id_ed25519.pub': ED25519 });
    const run = await runWith(['vps', 'create', '--wait'], { fetch: host.fetch, env: { HOME: home } });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`error: VPS 42 did not start; it is failed: ${reason} (KAWA_ERR_INVALID_STATE)\n`);
  });
});

describe('kawa vps list|status', () => {
  const now = Date.now();
  const listed = [
    vps({
      id: 43,
      status: 'running',
      node: 'node2',
      gpus: [1],
      cores: 2,
      memoryBytes: 4e9,
      image: 'kawa-test/vps:latest',
    }),
    vps({ id: 42, status: 'stopped', container: 'a-very-long-environment-name-indeed', submittedAt: now - 7_200_000 }),
  ];

  it('prints a table within 100 columns with the ssh command of each', async () => {
    const host = fakeHost({ listVps: () => json({ vps: listed }) });
    const run = await runWith(['vps', 'list'], { fetch: host.fetch });
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+NODE\s+ENV\/IMAGE\s+CORES\s+MEM\s+AGE\s+SSH$/);
    expect(lines[1]).toMatch(/^43\s+running\s+node2::1\s+kawa-test\/vps:latest\s+2\s+4\.0G\s+\S+\s+kawa ssh 43$/);
    expect(lines[2]).toMatch(/^42\s+stopped\s+-\s+a-very-long-environment…\s+-\s+-\s+2h\s+kawa ssh 42$/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('says how to start one when there is none, and prints the answer with --json', async () => {
    expect(renderVpsList([], false)).toBe('no VPS: start one with kawa vps create\n');
    const host = fakeHost({ listVps: () => json({ vps: listed }) });
    const run = await runWith(['vps', 'list', '--json'], { fetch: host.fetch });
    expect(JSON.parse(run.stdout)).toEqual({ vps: listed });
  });

  it('status shows placement, limits, key, key file and the commands to get in', async () => {
    const home = tempHome();
    mkdirSync(join(home, '.kawa', 'keys'), { recursive: true });
    writeFileSync(join(home, '.kawa', 'keys', 'kawa-43'), 'key');
    const host = fakeHost({ getTask: () => json(listed[0]) });
    const run = await runWith(['vps', 'status', '43'], { fetch: host.fetch, env: { HOME: home } });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^VPS 43\n {2}status +running\n/);
    expect(run.stdout).toMatch(/\n {2}node +node2, GPU 1\n/);
    expect(run.stdout).toMatch(/\n {2}image +kawa-test\/vps:latest\n/);
    expect(run.stdout).toMatch(/\n {2}memory +4\.0G\n/);
    expect(run.stdout).toMatch(/\n {2}key +ssh-ed25519 …\S{12} me@laptop\n/);
    expect(run.stdout).toContain(`  key file  ${join(home, '.kawa', 'keys', 'kawa-43')}\n`);
    expect(run.stdout).toMatch(/\n {2}ssh +kawa ssh 43 {3}\(or ssh kawa-43 with kawa ssh config --write\)\n/);
    expect(run.stdout).toMatch(/\n {2}terminal +kawa connect 43\n/);
  });
});

describe('kawa vps stop|restart|pause|resume|kill', () => {
  it('calls the VPS routes for stop and restart, the task routes for the rest, and prints the new state', async () => {
    const answer = (status: Task['status']) => (request: { params: Record<string, string> }) =>
      json(vps({ id: Number(request.params.id), status }));
    const host = fakeHost({
      stopVps: answer('stopped'),
      restartVps: answer('assigned'),
      pauseTask: answer('paused'),
      resumeTask: answer('running'),
      killTask: answer('killed'),
    });
    const outputs: string[] = [];
    for (const action of ['stop', 'restart', 'pause', 'resume', 'kill']) {
      const run = await runWith(['vps', action, '42'], { fetch: host.fetch });
      expect(run.code).toBe(0);
      outputs.push(run.stdout);
    }
    expect(outputs).toEqual([
      'VPS 42: stopped\n',
      'VPS 42: assigned\n',
      'VPS 42: paused\n',
      'VPS 42: running\n',
      'VPS 42: killed\n',
    ]);
    expect(host.requests.map((request) => `${request.method} ${request.route}`)).toEqual([
      'POST stopVps',
      'POST restartVps',
      'POST pauseTask',
      'POST resumeTask',
      'POST killTask',
    ]);
  });

  it('reports a command task given to stop with the host’s code, tagged with the id', async () => {
    const host = fakeHost({
      stopVps: (request) =>
        request.params.id === '5'
          ? errorAnswer('KAWA_ERR_NOT_A_VPS', 'task 5 is a command task', 400)
          : json(vps({ id: 6, status: 'stopped' })),
    });
    const run = await runWith(['vps', 'stop', '5', '6'], { fetch: host.fetch });
    expect(run).toEqual({
      code: 1,
      stdout: 'VPS 6: stopped\n',
      stderr: 'error: task 5 is a command task (KAWA_ERR_NOT_A_VPS) [VPS 5]\n',
    });
  });
});

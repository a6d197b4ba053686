import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { SHARED_PROBE_DIR } from '@kawa/protocol';
import { createContext } from '../../context.js';
import { collector, errorAnswer, fakeHost, json, tempHomes, type FakeRequest } from '../../test-support.js';
import { checkClock } from './cluster-checks.js';
import { registerDoctor, type DoctorSystem } from './doctor.js';
import { checkCgroups, checkDocker, checkNumactl, checkNvidiaSmi, dockerVersion } from './node-checks.js';

const homes = tempHomes('kawa-doctor-test-');
afterEach(homes.removeAll);

const V1_MOUNTS = [
  'sysfs /sys sysfs rw 0 0',
  'cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0',
  'cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,memory 0 0',
  'cgroup /sys/fs/cgroup/cpuset cgroup rw,nosuid,cpuset 0 0',
  'cgroup /sys/fs/cgroup/freezer cgroup rw,nosuid,freezer 0 0',
].join('\n');

describe('doctor checks of this node', () => {
  it('cgroups: names the version and the controllers, and warns with a fix for missing ones', () => {
    expect(checkCgroups(V1_MOUNTS, () => null)).toEqual({
      name: 'cgroups',
      status: 'ok',
      message: 'cgroup v1 with cpu, memory, cpuset, freezer',
    });
    const v2 = 'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0';
    expect(
      checkCgroups(v2, (mount) => (mount === '/sys/fs/cgroup' ? 'cpuset cpu io memory pids\n' : null)),
    ).toMatchObject({
      status: 'ok',
      message: 'cgroup v2 with cpu, memory, cpuset, freezer',
    });
    const partial = checkCgroups(v2, () => 'cpu io pids\n');
    expect(partial).toMatchObject({
      status: 'warn',
      message: 'cgroup v2; controllers cpu, freezer present, memory, cpuset missing',
    });
    expect(partial.fix).toContain('+memory +cpuset');
    expect(checkCgroups('proc /proc proc rw 0 0', () => null)).toMatchObject({
      status: 'warn',
      message: 'no cgroup filesystem is mounted',
    });
  });

  it('numactl and nvidia-smi: missing tools warn with what to install; a broken driver fails', async () => {
    const missing = () => Promise.resolve(null);
    const numactl = await checkNumactl('numactl', missing);
    expect(numactl.status).toBe('warn');
    expect(numactl.fix).toContain('apt-get install numactl');
    expect(await checkNvidiaSmi(missing)).toMatchObject({ status: 'warn' });
    const hardware = () => Promise.resolve({ code: 0, stdout: 'available: 2 nodes (0-1)\nnode 0 cpus: 0 1\n' });
    expect(await checkNumactl('numactl', hardware)).toMatchObject({
      status: 'ok',
      message: 'numactl sees 2 NUMA zone(s)',
    });
    const gpus = () => Promise.resolve({ code: 0, stdout: 'GPU 0: A100 (UUID: GPU-1)\nGPU 1: A100 (UUID: GPU-2)\n' });
    expect(await checkNvidiaSmi(gpus)).toMatchObject({ status: 'ok', message: 'nvidia-smi lists 2 GPU(s)' });
    const broken = () => Promise.resolve({ code: 9, stdout: '' });
    expect(await checkNvidiaSmi(broken)).toMatchObject({ status: 'fail' });
  });

  it('docker: asks a real engine API on a unix socket, and maps a missing socket to a fix', async () => {
    const dir = homes.make();
    const socketPath = join(dir, 'docker.sock');
    const engine: Server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(request.url === '/version' ? JSON.stringify({ Version: '27.1.0' }) : '{}');
    });
    await new Promise<void>((resolve) => engine.listen(socketPath, resolve));
    try {
      expect(await dockerVersion(socketPath)).toBe('27.1.0');
      expect(await checkDocker(socketPath)).toMatchObject({
        status: 'ok',
        message: `Docker Engine 27.1.0 answers at ${socketPath}`,
      });
    } finally {
      await new Promise((resolve) => engine.close(resolve));
    }
    const absent = await checkDocker(join(dir, 'none.sock'));
    expect(absent.status).toBe('fail');
    expect(absent.message).toContain('ENOENT');
    expect(absent.fix).toContain('apt-get install docker.io');
    const denied = Object.assign(new Error('connect EACCES'), { code: 'EACCES' });
    const refused = await checkDocker('/var/run/docker.sock', () => Promise.reject(denied));
    expect(refused.status).toBe('fail');
    expect(refused.fix).toContain('usermod -aG docker');
  });

  it('clock: within 2 s is ok, then warn, then fail past 30 s; the round trip is split in half', () => {
    const at = Date.parse('2026-01-01T00:00:00Z');
    const answer = (offsetMs: number, roundTripMs = 0) => ({
      status: 401,
      code: null,
      date: new Date(at + offsetMs),
      roundTripMs,
    });
    expect(checkClock(answer(0, 400), at + 200).status).toBe('ok');
    expect(checkClock(answer(-10_000), at)).toMatchObject({
      status: 'warn',
      message: 'this clock is 10 s ahead of the host',
    });
    const behind = checkClock(answer(120_000), at);
    expect(behind.status).toBe('fail');
    expect(behind.fix).toContain('timedatectl set-ntp true');
    expect(checkClock(null, at).status).toBe('warn');
  });
});

/** A machine where everything local is fine, so the cluster checks decide. */
function healthySystem(now: () => number): DoctorSystem {
  return {
    mounts: () => V1_MOUNTS,
    v2Controllers: () => null,
    run: (file) => Promise.resolve(file === 'nvidia-smi' ? null : { code: 0, stdout: 'available: 1 nodes (0)\n' }),
    dockerVersion: () => Promise.resolve('27.1.0'),
    now,
  };
}

/** A fake host whose shared dir is `hostShared`: it answers the probe from the real files there. */
function hostSharing(hostShared: string, dateHeader: string) {
  return fakeHost({
    whoami: () => {
      const refused = errorAnswer('KAWA_ERR_UNAUTHORIZED', 'no token', 401);
      refused.headers.set('date', dateHeader);
      return refused;
    },
    doctorSharedProbe: (request: FakeRequest) => {
      const { name, content } = request.body as { name: string; content: string };
      const path = join(hostShared, SHARED_PROBE_DIR, name);
      const found = existsSync(path);
      return json({ found, matches: found && readFileSync(path, 'utf8') === content, sharedDir: hostShared });
    },
  });
}

async function doctor(home: string, fetchImpl: typeof fetch, now: () => number) {
  const stdout = collector();
  const stderr = collector();
  const program = new Command('kawa')
    .exitOverride()
    .option('--config <path>')
    .option('--host-url <url>')
    .option('--token <token>');
  const env = { HOME: home, KAWA_CLIENT_TOKEN: 'kawa_user_t', KAWA_RUNNER_SHARED_DIR: join(home, 'shared') };
  const context = createContext(program, { stdout, stderr, env, cwd: home, isTTY: false, fetch: fetchImpl });
  registerDoctor(program, context, healthySystem(now));
  await program.parseAsync(['doctor', '--json'], { from: 'user' });
  const report = JSON.parse(stdout.text()) as {
    ok: boolean;
    checks: { name: string; status: string; message: string }[];
  };
  return {
    code: context.exitCode,
    report,
    status: Object.fromEntries(report.checks.map((check) => [check.name, check.status])),
  };
}

describe('kawa doctor', () => {
  it('passes when the host sees the probe file in the same shared dir and the clocks agree; removes the probe', async () => {
    const home = homes.make();
    mkdirSync(join(home, 'shared'));
    const now = Date.parse('2026-01-01T00:00:00Z');
    const host = hostSharing(join(home, 'shared'), new Date(now).toUTCString());
    const run = await doctor(home, host.fetch, () => now);
    expect(run.status).toEqual({
      docker: 'ok',
      cgroups: 'ok',
      numactl: 'ok',
      'nvidia-smi': 'warn',
      host: 'ok',
      'shared-dir': 'ok',
      clock: 'ok',
    });
    expect(run).toMatchObject({ code: 0, report: { ok: true } });
    expect(readdirSync(join(home, 'shared', SHARED_PROBE_DIR))).toEqual([]);
  });

  it('fails (exit 1) when the host’s shared dir is another storage, or its clock is far off', async () => {
    const home = homes.make();
    mkdirSync(join(home, 'shared'));
    mkdirSync(join(home, 'elsewhere'));
    const now = Date.parse('2026-01-01T00:00:00Z');
    const host = hostSharing(join(home, 'elsewhere'), new Date(now - 300_000).toUTCString());
    const run = await doctor(home, host.fetch, () => now);
    expect(run.status).toMatchObject({ host: 'ok', 'shared-dir': 'fail', clock: 'fail' });
    expect(run).toMatchObject({ code: 1, report: { ok: false } });
    expect(run.report.checks.find((check) => check.name === 'shared-dir')?.message).toContain(join(home, 'elsewhere'));
  });

  it('fails the host check with a fix when nothing answers, and skips what needs the host', async () => {
    const home = homes.make();
    const refused = (): Promise<Response> =>
      Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }));
    const run = await doctor(home, refused, () => Date.now());
    expect(run.status).toMatchObject({ host: 'fail', 'shared-dir': 'warn', clock: 'warn' });
    expect(run.code).toBe(1);
  });
});

import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import {
  startExecutorHarness,
  taskSpec,
  TEST_CGROUP_PARENT,
  type ExecutorHarness,
} from '../../testing/executor-harness.js';
import { waitFor } from '../../testing/wait-for.js';
import { sleep } from '../../util/sleep.js';
import { parseCgroupMounts } from './cgroups/cgroup-mounts.js';
import { createV2Driver } from './cgroups/cgroup-v2.js';
import { CGROUP_JOIN_SCRIPT, joinCgroupsAndExec } from './cgroups/join-script.js';
import { createNoCgroupDriver } from './cgroups/no-cgroup.js';
import { createSystemdDriver, systemdRunArgs } from './cgroups/systemd-scope.js';
import { cpuQuotaMicros } from './cgroups/task-cgroup.js';

const isRoot = process.getuid?.() === 0;
const hybridV2 = '/sys/fs/cgroup/unified';
const hasHybridV2 = existsSync(join(hybridV2, 'cgroup.procs'));

describe('cgroup mounts', () => {
  it('finds v1 controllers, co-mounted ones and the cgroup2 mount', () => {
    const mounts = parseCgroupMounts(
      [
        'proc /proc proc rw,nosuid 0 0',
        'tmpfs /sys/fs/cgroup tmpfs rw,mode=755 0 0',
        'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nsdelegate 0 0',
        'cgroup /sys/fs/cgroup/systemd cgroup rw,xattr,name=systemd 0 0',
        'cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0',
        'cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0',
        'cgroup /sys/fs/cgroup/my\\040freezer cgroup rw,freezer 0 0',
      ].join('\n'),
    );
    expect(mounts).toEqual({
      v1: {
        cpu: '/sys/fs/cgroup/cpu,cpuacct',
        cpuacct: '/sys/fs/cgroup/cpu,cpuacct',
        memory: '/sys/fs/cgroup/memory',
        freezer: '/sys/fs/cgroup/my freezer',
      },
      v2: '/sys/fs/cgroup/unified',
    });
    expect(parseCgroupMounts('cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n')).toEqual({ v1: {}, v2: '/sys/fs/cgroup' });
  });
});

describe('launch wrappers', () => {
  it('passes user argv through the join script as "$@" only', () => {
    const argv = ['echo', '$(touch /tmp/pwned)', '; rm -rf /', '"quoted"'];
    const launch = joinCgroupsAndExec(['/a/cgroup.procs', '/b/cgroup.procs'], argv, { PATH: '/bin' });
    expect(launch.file).toBe('/bin/sh');
    expect(launch.args).toEqual(['-c', CGROUP_JOIN_SCRIPT, 'kawa-task', ...argv]);
    expect(launch.env).toEqual({ PATH: '/bin', _KAWA_CGROUP_PROCS: '/a/cgroup.procs:/b/cgroup.procs' });
    expect(CGROUP_JOIN_SCRIPT).not.toContain('$*');
  });

  it('builds systemd-run scopes with the same quota', async () => {
    expect(cpuQuotaMicros(0.5)).toBe(50_000);
    expect(cpuQuotaMicros(0.001)).toBe(1000);
    expect(systemdRunArgs(42, { cores: 2.5, memoryBytes: 512_000_000 }, ['python3', 'x.py'])).toEqual([
      '--scope',
      '--quiet',
      '--unit=kawa-task-42',
      '--property=CPUQuota=250%',
      '--property=MemoryMax=512000000',
      '--property=MemorySwapMax=0',
      '--',
      'python3',
      'x.py',
    ]);
    const calls: string[][] = [];
    const driver = createSystemdDriver({
      systemdRunPath: '/usr/bin/systemd-run',
      systemctlPath: '/usr/bin/systemctl',
      run: (file, args) => {
        calls.push([file, ...args]);
        return Promise.resolve(args[0] === 'show' ? 'oom-kill\n' : '');
      },
    });
    const cgroup = await driver.create(42, { cores: 0, memoryBytes: 1_000_000 });
    expect(cgroup.launch(['true'], {}).args).toEqual([
      '--scope',
      '--quiet',
      '--unit=kawa-task-42',
      '--property=MemoryMax=1000000',
      '--property=MemorySwapMax=0',
      '--',
      'true',
    ]);
    expect(await cgroup.freeze()).toBe(true);
    expect(await cgroup.oomKilled('SIGKILL')).toBe(true);
    await cgroup.remove();
    expect(calls.map((call) => call.slice(1, 2)[0])).toEqual(['freeze', 'show', 'stop', 'reset-failed']);
  });
});

let harness: ExecutorHarness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

describe.skipIf(!isRoot)('without cgroups', () => {
  it('fails limited tasks with an actionable KAWA_ERR_CGROUP_UNAVAILABLE and runs unlimited ones', async () => {
    const h = (harness = await startExecutorHarness({
      cgroups: createNoCgroupDriver('cannot create /sys/fs/cgroup/cpu/kawa: EACCES'),
    }));
    h.executor.start(taskSpec(1, ['true'], { cores: 1 }));
    const failed = await h.event(1, ['failed']);
    expect(failed.errorCode).toBe('KAWA_ERR_CGROUP_UNAVAILABLE');
    expect(failed.message).toMatch(/EACCES.*--cores 0/);

    await mkdir(join(h.root, 'work'));
    h.executor.start(
      taskSpec(2, ['sh', '-c', 'while :; do echo x >> counter; sleep 0.02; done'], { workdir: join(h.root, 'work') }),
    );
    await h.event(2, ['running']);
    const size = async (): Promise<number> =>
      (await stat(join(h.root, 'work/counter')).catch(() => ({ size: 0 }))).size;
    await waitFor(async () => (await size()) > 4, 'the counter to grow');
    expect(await h.executor.control(2, 'pause')).toEqual({ ok: true });
    const stopped = await size();
    await sleep(300);
    expect(await size()).toBe(stopped);
    expect(await h.executor.control(2, 'kill')).toEqual({ ok: true });
    expect((await h.event(2, ['killed'])).exitCode).toBe(137);
  });
});

describe.skipIf(!isRoot || !hasHybridV2)('cgroup v2 (the hybrid unified mount, which has no controllers here)', () => {
  it('freezes, thaws and kills through cgroup.freeze and cgroup.kill, and refuses limits it cannot apply', async () => {
    const logger = createLogger('silent');
    const nodeName = `unit-v2-${process.pid}`;
    const driver = await createV2Driver({ root: hybridV2, parent: TEST_CGROUP_PARENT, nodeName, logger });
    if ('unavailable' in driver) throw new Error(driver.unavailable);
    const h = (harness = await startExecutorHarness({ cgroups: driver }));
    h.executor.start(taskSpec(1, ['true'], { cores: 1 }));
    expect((await h.event(1, ['failed'])).message).toMatch(/does not offer the cpu controller/);

    h.executor.start(taskSpec(2, ['sleep', '60']));
    await h.event(2, ['running']);
    const dir = join(hybridV2, TEST_CGROUP_PARENT, nodeName, 'task-2');
    // "running" is reported once spawned; the wrapper joins the cgroup a moment later.
    await waitFor(
      async () => (await readFile(join(dir, 'cgroup.procs'), 'utf8')).trim() !== '',
      'the task to join its cgroup',
    );
    expect(await h.executor.control(2, 'pause')).toEqual({ ok: true });
    expect(await readFile(join(dir, 'cgroup.events'), 'utf8')).toMatch(/^frozen 1$/m);
    expect(await h.executor.control(2, 'resume')).toEqual({ ok: true });
    expect(await readFile(join(dir, 'cgroup.events'), 'utf8')).toMatch(/^frozen 0$/m);
    expect(await h.executor.control(2, 'pause')).toEqual({ ok: true });
    expect(await h.executor.control(2, 'kill')).toEqual({ ok: true });
    expect((await h.event(2, ['killed'])).status).toBe('killed');
    await waitFor(() => !existsSync(dir), 'the v2 cgroup to be removed');
  });
});

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../logger.js';
import { TEST_CGROUP_PARENT } from '../../../testing/executor-harness.js';
import { waitFor } from '../../../testing/wait-for.js';
import { readCgroupMounts } from './cgroup-mounts.js';
import { createV1Driver } from './cgroup-v1.js';
import type { CgroupDriver, TaskCgroup } from './task-cgroup.js';
import { createV1CgroupPool } from './v1-pool.js';

const isRoot = process.getuid?.() === 0;
const mounts = (await readCgroupMounts('/proc')).v1;
const hasV1 = mounts.cpu !== undefined && mounts.cpuacct !== undefined && mounts.freezer !== undefined;

const drivers: CgroupDriver[] = [];
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.cleanup();
});

async function v1Driver(nodeName = `pool-${process.pid}-${randomBytes(3).toString('hex')}`) {
  const driver = await createV1Driver({ mounts, parent: TEST_CGROUP_PARENT, nodeName, logger: createLogger('silent') });
  if ('unavailable' in driver) throw new Error(driver.unavailable);
  drivers.push(driver);
  const dirOf = (controller: 'cpu' | 'cpuacct' | 'freezer' | 'memory', name: string): string =>
    join(mounts[controller] as string, TEST_CGROUP_PARENT, nodeName, name);
  return { driver, nodeName, dirOf };
}

/** Inode numbers: a renamed cgroup keeps its own, a new one gets another. */
const inodes = (cgroup: TaskCgroup): Promise<number[]> =>
  Promise.all(cgroup.dirs.map(async (dir) => (await stat(dir)).ino));

const control = async (dir: string, file: string): Promise<string> => (await readFile(join(dir, file), 'utf8')).trim();

/** Runs argv in the cgroup through its launch wrapper, as the executor does; resolves with the child. */
function runIn(cgroup: TaskCgroup, argv: string[]) {
  const launch = cgroup.launch(argv, { PATH: '/usr/bin:/bin' });
  const child = spawn(launch.file, launch.args, { env: launch.env, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited };
}

const freeDirsIn = async (dir: string): Promise<string[]> =>
  (await readdir(join(dir, '..'))).filter((name) => name.startsWith('free-'));

describe.skipIf(!isRoot || !hasV1)('cgroup v1 pool on real cgroups', () => {
  it('gives a finished task’s cgroups to the next task, renamed, with that task’s quota', async () => {
    const { driver, dirOf } = await v1Driver();
    const first = await driver.create(1, { cores: 0.5, memoryBytes: null });
    expect(await control(dirOf('cpu', 'task-1'), 'cpu.cfs_quota_us')).toBe('50000');
    const made = await inodes(first);
    await first.remove();
    expect(existsSync(dirOf('cpu', 'task-1'))).toBe(false);
    expect(await freeDirsIn(dirOf('cpu', 'task-1'))).toEqual([expect.stringMatching(/^free-[0-9a-f]+-1$/)]);

    const second = await driver.create(2, { cores: 2, memoryBytes: null });
    expect(second.dirs).toEqual([dirOf('cpuacct', 'task-2'), dirOf('freezer', 'task-2'), dirOf('cpu', 'task-2')]);
    expect(await inodes(second)).toEqual(made);
    expect(await control(dirOf('cpu', 'task-2'), 'cpu.cfs_quota_us')).toBe('200000');
    expect(await freeDirsIn(dirOf('cpu', 'task-2'))).toEqual([]);
    const { exited } = runIn(second, ['true']);
    expect(await exited).toBe(0);
    await second.remove();
  });

  it('puts back what the previous task changed: freezer state, CPU period, CPU usage', async () => {
    const { driver, dirOf } = await v1Driver();
    const first = await driver.create(1, { cores: 1, memoryBytes: null });
    const { exited } = runIn(first, ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done']);
    expect(await exited).toBe(0);
    expect(Number(await control(dirOf('cpuacct', 'task-1'), 'cpuacct.usage'))).toBeGreaterThan(0);
    expect(await first.freeze()).toBe(true);
    await writeFile(join(dirOf('cpu', 'task-1'), 'cpu.cfs_period_us'), '50000');
    const made = await inodes(first);
    await first.remove();

    const second = await driver.create(2, { cores: 1, memoryBytes: null });
    expect(await inodes(second)).toEqual(made);
    expect(await control(dirOf('freezer', 'task-2'), 'freezer.state')).toBe('THAWED');
    expect(await control(dirOf('cpu', 'task-2'), 'cpu.cfs_period_us')).toBe('100000');
    expect(await control(dirOf('cpu', 'task-2'), 'cpu.cfs_quota_us')).toBe('100000');
    expect(await control(dirOf('cpuacct', 'task-2'), 'cpuacct.usage')).toBe('0');
    // Not frozen: a process in it runs to its end.
    expect(await runIn(second, ['true']).exited).toBe(0);
    await second.remove();
  });

  it('never reuses a cgroup that still holds a process: it is killed and the cgroup removed', async () => {
    const { driver, dirOf } = await v1Driver();
    const first = await driver.create(1, { cores: 1, memoryBytes: null });
    const { child, exited } = runIn(first, ['sleep', '60']);
    await waitFor(
      async () => (await control(dirOf('freezer', 'task-1'), 'cgroup.procs')) === String(child.pid),
      'the process to join its cgroup',
    );
    const made = await inodes(first);
    await first.remove();
    expect(await exited).toBe(null);
    expect(existsSync(dirOf('freezer', 'task-1'))).toBe(false);
    expect(await freeDirsIn(dirOf('freezer', 'task-1'))).toEqual([]);

    const second = await driver.create(2, { cores: 1, memoryBytes: null });
    const fresh = await inodes(second);
    expect(fresh.some((inode) => made.includes(inode))).toBe(false);
    expect(await control(dirOf('freezer', 'task-2'), 'cgroup.procs')).toBe('');
    await second.remove();
  });

  it('keeps nothing of a task with a memory limit (its OOM count cannot be reset)', async () => {
    if (mounts.memory === undefined) return;
    const { driver, dirOf } = await v1Driver();
    const limited = await driver.create(1, { cores: 1, memoryBytes: 100_000_000 });
    await limited.remove();
    expect(existsSync(dirOf('memory', 'task-1'))).toBe(false);
    expect(await freeDirsIn(dirOf('cpu', 'task-1'))).toEqual([]);
  });

  it('removes free cgroups an earlier run left, keeps its own, and removes its own at cleanup', async () => {
    const earlier = await v1Driver();
    const parent = earlier.dirOf('cpu', 'x');
    await (await earlier.driver.create(1, { cores: 1, memoryBytes: null })).remove();
    const [left] = await freeDirsIn(parent);
    const later = await v1Driver(earlier.nodeName);
    const kept = await later.driver.create(2, { cores: 1, memoryBytes: null });
    const made = await inodes(kept);
    await kept.remove();
    expect((await freeDirsIn(parent)).length).toBe(2);

    expect(await later.driver.sweep(new Set())).toEqual([]);
    const own = await freeDirsIn(parent);
    expect(own).toHaveLength(1);
    expect(own).not.toContain(left);
    const reused = await later.driver.create(3, { cores: 1, memoryBytes: null });
    expect(await inodes(reused)).toEqual(made);
    await reused.remove();
    // The earlier run's pool lost its set to the sweep: its next task gets new dirs.
    const fresh = await earlier.driver.create(4, { cores: 1, memoryBytes: null });
    expect(await control(earlier.dirOf('cpu', 'task-4'), 'cpu.cfs_quota_us')).toBe('100000');
    await fresh.remove();
    await later.driver.cleanup();
    await earlier.driver.cleanup();
    // No free dir was left in the node's dir, or it could not have been removed.
    expect(existsSync(join(parent, '..'))).toBe(false);
  });
});

describe.skipIf(!isRoot || !hasV1)('the pool alone', () => {
  it('refuses a set with a process inside and leaves it where it is', async () => {
    const { driver, dirOf } = await v1Driver();
    const cgroup = await driver.create(1, { cores: 0, memoryBytes: null });
    const { child, exited } = runIn(cgroup, ['sleep', '60']);
    await waitFor(
      async () => (await control(dirOf('freezer', 'task-1'), 'cgroup.procs')) !== '',
      'the process to join its cgroup',
    );
    const pool = createV1CgroupPool();
    let resets = 0;
    expect(pool.give(cgroup.dirs, () => (resets += 1))).toBe(false);
    expect(resets).toBe(0);
    expect(pool.size).toBe(0);
    expect(existsSync(dirOf('freezer', 'task-1'))).toBe(true);
    child.kill('SIGKILL');
    await exited;
    expect(pool.give(cgroup.dirs, () => (resets += 1))).toBe(true);
    expect(resets).toBe(1);
    expect(pool.size).toBe(1);
    expect(existsSync(dirOf('freezer', 'task-1'))).toBe(false);
    pool.drain();
    expect(pool.size).toBe(0);
    expect(await freeDirsIn(dirOf('freezer', 'task-1'))).toEqual([]);
  });
});

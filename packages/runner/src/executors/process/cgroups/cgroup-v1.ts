import { access, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, errorMessage } from '../../../util/errno.js';
import type { Logger } from '../../../logger.js';
import {
  killPids,
  parseFlatKeyed,
  readControl,
  readProcs,
  removeCgroupDir,
  waitUntil,
  writeControl,
  writeControlSync,
} from './cgroup-files.js';
import type { V1Controller } from './cgroup-mounts.js';
import { joinCgroupsAndExec } from './join-script.js';
import {
  CPU_PERIOD_US,
  cpuQuotaMicros,
  taskCgroupName,
  unknownTaskIds,
  type CgroupDriver,
  type CgroupLimits,
  type TaskCgroup,
} from './task-cgroup.js';
import { cgroupUnavailable } from './unavailable.js';
import { createV1CgroupPool, isFreeCgroupName, type V1CgroupPool } from './v1-pool.js';

export interface V1DriverOptions {
  mounts: Partial<Record<V1Controller, string>>;
  /** config.cgroup_parent */
  parent: string;
  nodeName: string;
  logger: Logger;
}

const FREEZE_TIMEOUT_MS = 5000;

/**
 * cgroup v1: one dir per mounted hierarchy, `<mount>/<parent>/<node>/task-<id>`. cpu and
 * cpuacct may be separate hierarchies (as on the test machines) or co-mounted; each distinct
 * mount gets one dir. Returns a reason instead when the parent dirs cannot be made.
 */
export async function createV1Driver(options: V1DriverOptions): Promise<CgroupDriver | { unavailable: string }> {
  const { mounts } = options;
  const hierarchies = [...new Set(Object.values(mounts))];
  const baseOf = (mount: string): string => join(mount, options.parent, options.nodeName);
  try {
    await Promise.all(hierarchies.map((mount) => mkdir(baseOf(mount), { recursive: true })));
  } catch (error) {
    return {
      unavailable: `cannot create ${options.parent}/${options.nodeName} in the cgroup v1 hierarchies: ${errorMessage(error)}`,
    };
  }
  const memsw = mounts.memory === undefined ? false : await exists(join(mounts.memory, 'memory.memsw.limit_in_bytes'));
  const pool = createV1CgroupPool();

  return {
    kind: 'v1',
    description: `cgroup v1 (${Object.keys(mounts).join(', ')}) under ${options.parent}/${options.nodeName}`,

    async create(taskId, limits) {
      if (limits.cores > 0 && mounts.cpu === undefined)
        throw cgroupUnavailable(limits, 'the cpu controller is not mounted');
      if (limits.memoryBytes !== null && mounts.memory === undefined) {
        throw cgroupUnavailable(limits, 'the memory controller is not mounted');
      }
      const controllers = controllersFor(limits);
      const dirOf = (controller: V1Controller): string | null => {
        const mount = mounts[controller];
        return mount === undefined || !controllers.has(controller) ? null : join(baseOf(mount), taskCgroupName(taskId));
      };
      const dirs = [...new Set([...controllers].map(dirOf).filter((dir): dir is string => dir !== null))];
      // A memory cgroup is never reused: its OOM kill count cannot be reset, and the page
      // cache charged to it stays charged after its processes are gone.
      const poolable = !controllers.has('memory');
      try {
        if (poolable && pool.take(dirs)) {
          // The quota is the only limit such a set has; it is written for every task.
          const cpu = dirOf('cpu');
          if (limits.cores > 0 && cpu !== null)
            writeControlSync(cpu, 'cpu.cfs_quota_us', String(cpuQuotaMicros(limits.cores)));
        } else {
          await Promise.all(dirs.map(makeTaskDir));
          await applyLimits(limits, dirOf('cpu'), dirOf('memory'));
        }
      } catch (error) {
        await Promise.all(dirs.map((dir) => removeCgroupDir(dir, async () => {}, 500)));
        throw cgroupUnavailable(limits, errorMessage(error), error);
      }
      return v1TaskCgroup(dirs, dirOf, poolable ? pool : null);
    },

    adopt: (_taskId, made) => adoptDirs(made.dirs),

    async sweep(known) {
      const names = await Promise.all(hierarchies.map((mount) => readdir(baseOf(mount)).catch(() => [] as string[])));
      const ids = [...new Set(unknownTaskIds(names.flat(), known))];
      for (const taskId of ids) {
        const dirs = hierarchies.map((mount) => join(baseOf(mount), taskCgroupName(taskId)));
        await adoptDirs(dirs).remove();
      }
      // Free cgroups an earlier run kept (see v1-pool.ts) go too; this run keeps its own.
      const stale = hierarchies.flatMap((mount, index) =>
        (names[index] ?? [])
          .filter(isFreeCgroupName)
          .map((name) => join(baseOf(mount), name))
          .filter((dir) => !pool.holds(dir)),
      );
      await Promise.all(stale.map((dir) => removeCgroupDir(dir, () => killAllIn(dir), 500)));
      return ids;
    },

    async cleanup() {
      pool.drain();
      await Promise.all(hierarchies.map((mount) => removeCgroupDir(baseOf(mount), async () => {}, 200)));
    },
  };

  /** The cgroup of a task made earlier, from its dirs (one per hierarchy it joined). */
  function adoptDirs(made: readonly string[]): TaskCgroup {
    const dirs = [...made];
    const dirIn = (controller: V1Controller): string | null => {
      const mount = mounts[controller];
      return mount === undefined ? null : (dirs.find((dir) => dir.startsWith(`${mount}/`)) ?? null);
    };
    return v1TaskCgroup(dirs, dirIn, null);
  }

  /**
   * The hierarchies a task joins. Every cgroup costs a mkdir and an rmdir per task, so only
   * those that do something: cpuacct (usage) and freezer (pause, and the list of processes to
   * kill) always, cpu and memory when limited, pids only where there is no freezer to list them.
   */
  function controllersFor(limits: CgroupLimits): Set<V1Controller> {
    const controllers = new Set<V1Controller>(['cpuacct', 'freezer']);
    if (limits.cores > 0) controllers.add('cpu');
    if (limits.memoryBytes !== null) controllers.add('memory');
    if (mounts.freezer === undefined) controllers.add('pids');
    return controllers;
  }

  async function applyLimits(limits: CgroupLimits, cpu: string | null, memory: string | null): Promise<void> {
    const writes: Promise<void>[] = [];
    // cpu.cfs_period_us starts at 100000 (CPU_PERIOD_US) in every new cgroup; only the quota is written.
    if (limits.cores > 0 && cpu !== null)
      writes.push(writeControl(cpu, 'cpu.cfs_quota_us', String(cpuQuotaMicros(limits.cores))));
    if (limits.memoryBytes !== null && memory !== null) {
      const bytes = String(limits.memoryBytes);
      writes.push(
        (async () => {
          await writeControl(memory, 'memory.limit_in_bytes', bytes);
          // memsw (memory + swap) must be at least the memory limit, so it is set second.
          if (memsw) await writeControl(memory, 'memory.memsw.limit_in_bytes', bytes);
        })(),
      );
    }
    await Promise.all(writes);
  }
}

async function makeTaskDir(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (error) {
    // A dir left by a crashed runner for the same task id is reused; a parent removed since
    // start-up is made again.
    if (errnoCode(error) === 'EEXIST') return;
    if (errnoCode(error) === 'ENOENT') await mkdir(dir, { recursive: true });
    else throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** What a task may have changed in a pooled cgroup, put back before the next task gets it. */
const RESETS: readonly (readonly [V1Controller, string, string])[] = [
  ['cpu', 'cpu.cfs_period_us', String(CPU_PERIOD_US)],
  ['cpuacct', 'cpuacct.usage', '0'],
  ['freezer', 'freezer.state', 'THAWED'],
  ['pids', 'pids.max', 'max'],
];

/** SIGKILLs what a cgroup holds (the sweep's, for dirs no task owns). */
async function killAllIn(dir: string): Promise<void> {
  killPids(await readProcs(dir));
}

/**
 * A task's cgroup: `dirs`, one per hierarchy, and `dirOf` to find the one of a controller.
 * With a pool, remove() gives the dirs back to it when they are empty.
 */
function v1TaskCgroup(
  dirs: string[],
  dirOf: (controller: V1Controller) => string | null,
  pool: V1CgroupPool | null,
): TaskCgroup {
  const freezer = dirOf('freezer');
  const memory = dirOf('memory');
  const processes = freezer ?? dirOf('pids') ?? dirs[0] ?? null;
  const thaw = async (): Promise<boolean> => {
    if (freezer === null) return false;
    await writeControl(freezer, 'freezer.state', 'THAWED');
    return true;
  };
  const killIn = async (dir: string): Promise<void> => {
    const pids = await readProcs(dir);
    if (pids.length === 0) return;
    killPids(pids);
    // A frozen process keeps a pending SIGKILL until it is thawed.
    await thaw().catch(() => false);
  };
  const reset = (): void => {
    for (const [controller, file, value] of RESETS) {
      const dir = dirOf(controller);
      if (dir !== null) writeControlSync(dir, file, value);
    }
  };

  return {
    kind: 'v1',
    dirs,
    systemdUnit: null,
    launch: (argv, env) =>
      joinCgroupsAndExec(
        dirs.map((dir) => join(dir, 'cgroup.procs')),
        argv,
        env,
      ),

    async freeze() {
      if (freezer === null) return false;
      await writeControl(freezer, 'freezer.state', 'FROZEN');
      await waitUntil(
        async () => (await readControl(freezer, 'freezer.state'))?.trim() === 'FROZEN',
        FREEZE_TIMEOUT_MS,
      );
      return true;
    },
    thaw,
    killAll: () => (processes === null ? Promise.resolve() : killIn(processes)),

    async oomKilled(signal) {
      if (memory === null) return false;
      const oomControl = parseFlatKeyed((await readControl(memory, 'memory.oom_control')) ?? '');
      const kills = oomControl.get('oom_kill');
      if (kills !== undefined) return kills > 0;
      // Kernels before 4.13 do not count OOM kills; a SIGKILL after hitting the limit is one.
      const failures = Number((await readControl(memory, 'memory.failcnt'))?.trim() ?? '0');
      return signal === 'SIGKILL' && failures > 0;
    },

    async remove() {
      if (pool?.give(dirs, reset) === true) return;
      await Promise.all(dirs.map((dir) => removeCgroupDir(dir, () => killIn(dir))));
    },
  };
}

import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../../logger.js';
import { errnoCode, errorMessage } from '../../../util/errno.js';
import {
  killPids,
  parseFlatKeyed,
  readControl,
  readProcs,
  removeCgroupDir,
  waitUntil,
  writeControl,
} from './cgroup-files.js';
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

export interface V2DriverOptions {
  /** The cgroup2 mount. */
  root: string;
  parent: string;
  nodeName: string;
  logger: Logger;
}

const WANTED_CONTROLLERS = ['cpu', 'memory', 'pids'] as const;
const FREEZE_TIMEOUT_MS = 5000;

/**
 * cgroup v2: one dir, `<root>/<parent>/<node>/task-<id>`. The controllers are enabled in
 * cgroup.subtree_control of every level above the task dirs; those levels hold no processes,
 * as v2 requires. Freezing needs no controller (cgroup.freeze is a core file).
 */
export async function createV2Driver(options: V2DriverOptions): Promise<CgroupDriver | { unavailable: string }> {
  const base = join(options.root, options.parent, options.nodeName);
  try {
    await mkdir(base, { recursive: true });
  } catch (error) {
    return { unavailable: `cannot create ${base}: ${errorMessage(error)}` };
  }
  const offered = new Set(((await readControl(options.root, 'cgroup.controllers')) ?? '').trim().split(/\s+/));
  const wanted = WANTED_CONTROLLERS.filter((controller) => offered.has(controller));
  if (wanted.length > 0) {
    const levels = [options.root];
    for (const segment of [...options.parent.split('/'), options.nodeName])
      levels.push(join(levels.at(-1) as string, segment));
    for (const level of levels) {
      try {
        await writeControl(level, 'cgroup.subtree_control', wanted.map((controller) => `+${controller}`).join(' '));
      } catch (error) {
        options.logger.warn(
          `cannot enable ${wanted.join(', ')} in ${level}/cgroup.subtree_control: ${errorMessage(error)}`,
        );
      }
    }
  }
  const enabled = new Set(((await readControl(base, 'cgroup.subtree_control')) ?? '').trim().split(/\s+/));

  return {
    kind: 'v2',
    description: `cgroup v2 at ${base} (controllers: ${[...enabled].filter(Boolean).join(', ') || 'none'})`,

    async create(taskId, limits) {
      if (limits.cores > 0 && !enabled.has('cpu'))
        throw cgroupUnavailable(limits, `cgroup v2 at ${options.root} does not offer the cpu controller`);
      if (limits.memoryBytes !== null && !enabled.has('memory')) {
        throw cgroupUnavailable(limits, `cgroup v2 at ${options.root} does not offer the memory controller`);
      }
      const dir = join(base, taskCgroupName(taskId));
      try {
        await mkdir(dir).catch((error: unknown) => {
          if (errnoCode(error) !== 'EEXIST') throw error;
        });
        await applyLimits(dir, limits);
      } catch (error) {
        await removeCgroupDir(dir, async () => {}, 500);
        throw cgroupUnavailable(limits, errorMessage(error), error);
      }
      return v2TaskCgroup(dir);
    },

    adopt(taskId, made) {
      return v2TaskCgroup(made.dirs[0] ?? join(base, taskCgroupName(taskId)));
    },

    async sweep(known) {
      const ids = unknownTaskIds(await readdir(base).catch(() => []), known);
      for (const taskId of ids) await v2TaskCgroup(join(base, taskCgroupName(taskId))).remove();
      return ids;
    },

    async cleanup() {
      await removeCgroupDir(base, async () => {}, 200);
    },
  };
}

async function applyLimits(dir: string, limits: CgroupLimits): Promise<void> {
  const writes: Promise<void>[] = [];
  if (limits.cores > 0) writes.push(writeControl(dir, 'cpu.max', `${cpuQuotaMicros(limits.cores)} ${CPU_PERIOD_US}`));
  if (limits.memoryBytes !== null) {
    writes.push(writeControl(dir, 'memory.max', String(limits.memoryBytes)));
    // No swap: a task over its limit is OOM-killed instead of thrashing. Absent without swap accounting.
    writes.push(
      writeControl(dir, 'memory.swap.max', '0').catch((error: unknown) => {
        if (errnoCode(error) !== 'ENOENT') throw error;
      }),
    );
  }
  await Promise.all(writes);
}

function v2TaskCgroup(dir: string): TaskCgroup {
  const thaw = async (): Promise<boolean> => {
    await writeControl(dir, 'cgroup.freeze', '0');
    return true;
  };
  const killAll = async (): Promise<void> => {
    try {
      // cgroup.kill (Linux 5.14+) kills every process atomically, frozen ones included.
      await writeControl(dir, 'cgroup.kill', '1');
    } catch {
      killPids(await readProcs(dir));
      await thaw().catch(() => false);
    }
  };

  return {
    kind: 'v2',
    dirs: [dir],
    systemdUnit: null,
    launch: (argv, env) => joinCgroupsAndExec([join(dir, 'cgroup.procs')], argv, env),

    async freeze() {
      await writeControl(dir, 'cgroup.freeze', '1');
      await waitUntil(
        async () => parseFlatKeyed((await readControl(dir, 'cgroup.events')) ?? '').get('frozen') === 1,
        FREEZE_TIMEOUT_MS,
      );
      return true;
    },
    thaw,
    killAll,

    async oomKilled() {
      const events = parseFlatKeyed((await readControl(dir, 'memory.events')) ?? '');
      return (events.get('oom_kill') ?? 0) > 0;
    },

    async remove() {
      await removeCgroupDir(dir, killAll);
    },
  };
}

import type { CgroupDriver, TaskCgroup } from './task-cgroup.js';
import { wantsLimits } from './task-cgroup.js';
import { cgroupUnavailable } from './unavailable.js';

const noTaskCgroup: TaskCgroup = {
  kind: 'none',
  dirs: [],
  systemdUnit: null,
  launch: (argv, env) => ({ file: argv[0] as string, args: argv.slice(1), env }),
  freeze: () => Promise.resolve(false),
  thaw: () => Promise.resolve(false),
  killAll: () => Promise.resolve(),
  oomKilled: () => Promise.resolve(false),
  remove: () => Promise.resolve(),
};

/**
 * No usable cgroups (not root, nothing mounted). Tasks without limits still run, paused with
 * SIGSTOP and killed by process group; tasks with limits fail with the reason.
 */
export function createNoCgroupDriver(reason: string): CgroupDriver {
  return {
    kind: 'none',
    description: `no cgroups (${reason}); only tasks with --cores 0 and no --memory can run`,
    create(_taskId, limits) {
      if (wantsLimits(limits)) return Promise.reject(cgroupUnavailable(limits, reason));
      return Promise.resolve(noTaskCgroup);
    },
    adopt: () => noTaskCgroup,
    sweep: () => Promise.resolve([]),
    cleanup: () => Promise.resolve(),
  };
}

import type { RunCommand } from '../../../util/run-command.js';
import { cpuQuotaMicros, CPU_PERIOD_US, type CgroupDriver, type CgroupLimits, type TaskCgroup } from './task-cgroup.js';

export interface SystemdDriverOptions {
  systemdRunPath: string;
  systemctlPath: string;
  run: RunCommand;
}

export const systemdUnitName = (taskId: number): string => `kawa-task-${taskId}`;

/** The systemd-run argv that starts `argv` in a transient scope with the task's limits. */
export function systemdRunArgs(taskId: number, limits: CgroupLimits, argv: readonly string[]): string[] {
  const properties: string[] = [];
  if (limits.cores > 0) {
    // CPUQuota is a percentage of one core; the same quota the cgroupfs drivers write.
    properties.push(`--property=CPUQuota=${Math.round((cpuQuotaMicros(limits.cores) / CPU_PERIOD_US) * 100)}%`);
  }
  if (limits.memoryBytes !== null) {
    properties.push(`--property=MemoryMax=${limits.memoryBytes}`, '--property=MemorySwapMax=0');
  }
  return ['--scope', '--quiet', `--unit=${systemdUnitName(taskId)}`, ...properties, '--', ...argv];
}

/**
 * Where systemd is PID 1 it owns the cgroup tree, so tasks go into transient scopes made by
 * `systemd-run --scope` (which execs the command in place: the pid stays the task's) and are
 * frozen, killed and inspected through systemctl. Not exercised on the test machines, where
 * systemd is not PID 1.
 */
export function createSystemdDriver(options: SystemdDriverOptions): CgroupDriver {
  const systemctl = (...args: string[]): Promise<string> => options.run(options.systemctlPath, args);
  const succeeded = (promise: Promise<unknown>): Promise<boolean> =>
    promise.then(
      () => true,
      () => false,
    );

  return {
    kind: 'systemd',
    description: `systemd transient scopes (${options.systemdRunPath})`,

    create: (taskId, limits) => Promise.resolve(scope(taskId, limits)),
    adopt: (taskId, made) => scope(taskId, made.limits),
    // Transient scopes end with their processes, and are not listed here.
    sweep: () => Promise.resolve([]),
    cleanup: () => Promise.resolve(),
  };

  function scope(taskId: number, limits: CgroupLimits): TaskCgroup {
    const unit = `${systemdUnitName(taskId)}.scope`;
    return {
      kind: 'systemd',
      dirs: [],
      systemdUnit: unit,
      launch: (argv, env) => ({ file: options.systemdRunPath, args: systemdRunArgs(taskId, limits, argv), env }),
      freeze: () => succeeded(systemctl('freeze', unit)),
      thaw: () => succeeded(systemctl('thaw', unit)),
      killAll: async () => {
        await succeeded(systemctl('kill', '--signal=SIGKILL', unit));
      },
      async oomKilled(signal) {
        if (limits.memoryBytes === null || signal === null) return false;
        const result = await systemctl('show', '--property=Result', '--value', unit).catch(() => '');
        return result.trim() === 'oom-kill';
      },
      async remove() {
        // Stopping the scope kills processes the task left behind; a failed scope lingers
        // until reset.
        await succeeded(systemctl('stop', unit));
        await succeeded(systemctl('reset-failed', unit));
      },
    };
  }
}

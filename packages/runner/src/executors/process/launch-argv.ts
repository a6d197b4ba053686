import type { TaskSpec } from '@kawa/protocol';

export interface LaunchTools {
  /** Resolved numactl, needed when the task names a NUMA zone. */
  numactl: string | null;
  /** Resolved unshare, needed for private network or PID namespaces. */
  unshare: string | null;
}

/**
 * The argv that runs a task's command with its isolation: `unshare` for private network and
 * PID namespaces (a forked child becomes PID 1 of the new namespace, with its own /proc), then
 * `numactl` to bind CPUs and memory to the zone, then the user's argv untouched.
 */
export function buildLaunchArgv(spec: TaskSpec, tools: LaunchTools): string[] {
  const argv: string[] = [];
  if (spec.privateNetwork || spec.privatePid) {
    if (tools.unshare === null) throw new Error('buildLaunchArgv: unshare is required');
    argv.push(tools.unshare);
    if (spec.privateNetwork) argv.push('--net');
    if (spec.privatePid) argv.push('--pid', '--fork', '--kill-child', '--mount-proc');
    argv.push('--');
  }
  if (spec.numa !== null) {
    if (tools.numactl === null) throw new Error('buildLaunchArgv: numactl is required');
    argv.push(tools.numactl, `--cpunodebind=${spec.numa}`, `--membind=${spec.numa}`, '--');
  }
  argv.push(...spec.command);
  return argv;
}

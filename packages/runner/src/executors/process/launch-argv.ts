import type { TaskSpec } from '@kawa/protocol';

/**
 * A new network namespace starts with its loopback down; systemd's PrivateNetwork= (which the
 * original offered) brings it up, and programs expect 127.0.0.1 to work. Fixed text: the
 * user's argv only follows as "$@". Without `ip` the task still runs, loopback down.
 */
export const LOOPBACK_UP_SCRIPT = 'ip link set lo up 2>/dev/null; exec "$@"';

export interface LaunchTools {
  /** Resolved numactl, needed when the task names a NUMA zone. */
  numactl: string | null;
  /** Resolved unshare, needed for private network or PID namespaces. */
  unshare: string | null;
}

/**
 * The argv that runs a task's command with its isolation: `unshare` for private network and
 * PID namespaces (a forked child becomes PID 1 of the new namespace, with its own /proc; the
 * loopback of a new network is brought up), then `numactl` to bind CPUs and memory to the
 * zone, then the user's argv untouched.
 */
export function buildLaunchArgv(spec: TaskSpec, tools: LaunchTools): string[] {
  const argv: string[] = [];
  if (spec.privateNetwork || spec.privatePid) {
    if (tools.unshare === null) throw new Error('buildLaunchArgv: unshare is required');
    argv.push(tools.unshare);
    if (spec.privateNetwork) argv.push('--net');
    if (spec.privatePid) argv.push('--pid', '--fork', '--kill-child', '--mount-proc');
    argv.push('--');
    if (spec.privateNetwork) argv.push('/bin/sh', '-c', LOOPBACK_UP_SCRIPT, 'kawa-net');
  }
  if (spec.numa !== null) {
    if (tools.numactl === null) throw new Error('buildLaunchArgv: numactl is required');
    argv.push(tools.numactl, `--cpunodebind=${spec.numa}`, `--membind=${spec.numa}`, '--');
  }
  argv.push(...spec.command);
  return argv;
}

import type { LaunchCommand } from './task-cgroup.js';

/** The internal variable that carries the cgroup.procs paths to the wrapper. */
export const CGROUP_PROCS_VAR = '_KAWA_CGROUP_PROCS';

/**
 * The one fixed shell script every cgroup-limited task starts through. It writes its own pid
 * into each cgroup.procs file, so the process is limited before the user's command runs, then
 * execs the command. User strings only ever reach it as "$@": never interpolated, never
 * parsed. The paths are made of the config's cgroup_parent and the node name, whose patterns
 * exclude ":" and whitespace. Exit 125 says the join failed (the message is in stderr.log).
 */
export const CGROUP_JOIN_SCRIPT = [
  'set -f',
  'IFS=:',
  `for kawa_procs in $${CGROUP_PROCS_VAR}; do`,
  '  echo $$ > "$kawa_procs" || { echo "kawa: cannot join cgroup $kawa_procs" >&2; exit 125; }',
  'done',
  `unset IFS kawa_procs ${CGROUP_PROCS_VAR}`,
  'set +f',
  'exec "$@"',
].join('\n');

export const CGROUP_JOIN_EXIT_CODE = 125;

export function joinCgroupsAndExec(
  procsFiles: readonly string[],
  argv: readonly string[],
  env: Record<string, string>,
): LaunchCommand {
  return {
    file: '/bin/sh',
    args: ['-c', CGROUP_JOIN_SCRIPT, 'kawa-task', ...argv],
    env: { ...env, [CGROUP_PROCS_VAR]: procsFiles.join(':') },
  };
}

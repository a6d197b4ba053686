import { stat } from 'node:fs/promises';
import { KawaError, type TaskSpec } from '@kawa/protocol';
import type { FindResult } from '../../util/find-executable.js';
import type { LaunchTools } from './launch-argv.js';

export interface PreflightContext {
  nodeName: string;
  numaZones: readonly number[];
  /** numactl and unshare, resolved once per runner. */
  numactl: () => Promise<string | null>;
  numactlSetting: string;
  unshare: () => Promise<string | null>;
  /** findExecutable, possibly cached. */
  findCommand: (command: string, searchPath: string, cwd: string) => Promise<FindResult>;
  /** checkWorkdir, possibly cached (see cachedCheckWorkdir). */
  checkWorkdir?: (workdir: string, nodeName: string) => Promise<KawaError | null>;
}

/**
 * The checks before a task is spawned. Behind the cgroup wrapper a missing command or
 * workdir would only show up as an exit code, so they are caught here with a clear message.
 * Returns the resolved helper tools; throws KawaError for expected failures.
 */
export async function preflight(
  spec: TaskSpec,
  workdir: string,
  searchPath: string,
  context: PreflightContext,
): Promise<LaunchTools> {
  const [workdirError, commandError, tools] = await Promise.all([
    (context.checkWorkdir ?? checkWorkdir)(workdir, context.nodeName),
    checkCommand(spec.command[0] as string, searchPath, workdir, context),
    resolveTools(spec, context),
  ]);
  if (workdirError) throw workdirError;
  if (commandError) throw commandError;
  return tools;
}

/** Why `workdir` cannot be a task's working directory, or null when it can. */
export async function checkWorkdir(workdir: string, nodeName: string): Promise<KawaError | null> {
  try {
    if ((await stat(workdir)).isDirectory()) return null;
    return new KawaError(
      'KAWA_ERR_SPAWN_FAILED',
      `the working directory ${workdir} on node ${nodeName} is not a directory`,
    );
  } catch {
    return new KawaError(
      'KAWA_ERR_SPAWN_FAILED',
      `the working directory ${workdir} does not exist on node ${nodeName}; create it or pass another --workdir`,
    );
  }
}

/**
 * checkWorkdir that trusts a directory it found for `ttlMs`: most tasks share one workdir (the
 * shared data dir), and a stat per task costs the runner a thread-pool round trip before every
 * spawn. A dir removed within that time makes the spawn fail instead; the executor then checks
 * again, uncached, for the message.
 */
export function cachedCheckWorkdir(ttlMs: number, now: () => number = Date.now): typeof checkWorkdir {
  const found = new Map<string, number>();
  return async (workdir, nodeName) => {
    if ((found.get(workdir) ?? 0) > now()) return null;
    const error = await checkWorkdir(workdir, nodeName);
    if (error === null) {
      if (found.size >= 1000) found.clear();
      found.set(workdir, now() + ttlMs);
    } else {
      found.delete(workdir);
    }
    return error;
  };
}

async function checkCommand(
  command: string,
  searchPath: string,
  workdir: string,
  context: PreflightContext,
): Promise<KawaError | null> {
  const { nodeName } = context;
  const found = await context.findCommand(command, searchPath, workdir);
  if ('path' in found) return null;
  switch (found.error) {
    case 'not-found':
      return new KawaError(
        'KAWA_ERR_SPAWN_FAILED',
        command.includes('/')
          ? `the command ${command} does not exist on node ${nodeName}`
          : `the command "${command}" was not found in PATH on node ${nodeName} (PATH=${searchPath}); install it or give its full path`,
      );
    case 'not-executable':
      return new KawaError(
        'KAWA_ERR_SPAWN_FAILED',
        `the command "${command}" on node ${nodeName} is not executable (permission denied)`,
      );
    case 'is-directory':
      return new KawaError('KAWA_ERR_SPAWN_FAILED', `the command "${command}" on node ${nodeName} is a directory`);
  }
}

async function resolveTools(spec: TaskSpec, context: PreflightContext): Promise<LaunchTools> {
  const tools: LaunchTools = { numactl: null, unshare: null };
  if (spec.numa !== null) {
    if (!context.numaZones.includes(spec.numa)) {
      throw new KawaError(
        'KAWA_ERR_NUMA_UNAVAILABLE',
        `node ${context.nodeName} has NUMA zones ${context.numaZones.join(', ') || 'none'}; zone ${spec.numa} does not exist`,
      );
    }
    tools.numactl = await context.numactl();
    if (tools.numactl === null) {
      throw new KawaError(
        'KAWA_ERR_NUMA_UNAVAILABLE',
        `numactl ("${context.numactlSetting}") was not found on node ${context.nodeName}; install numactl or set runner.numactl_path`,
      );
    }
  }
  if (spec.privateNetwork || spec.privatePid) {
    tools.unshare = await context.unshare();
    if (tools.unshare === null) {
      throw new KawaError(
        'KAWA_ERR_SPAWN_FAILED',
        `private network and PID namespaces need util-linux "unshare", which was not found on node ${context.nodeName}`,
      );
    }
  }
  return tools;
}

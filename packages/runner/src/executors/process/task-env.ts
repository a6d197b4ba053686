import { join } from 'node:path';
import { sharedLayout, taskEnvNames, type TaskSpec } from '@kawa/protocol';

/** The runner environment variables a task inherits; nothing else of the runner's leaks in. */
export interface BaseEnv {
  PATH: string;
  HOME?: string;
  LANG?: string;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Picks PATH, HOME and LANG out of a process environment. */
export function baseEnvFrom(env: Readonly<Record<string, string | undefined>>): BaseEnv {
  return {
    PATH: env.PATH ?? DEFAULT_PATH,
    ...(env.HOME === undefined ? {} : { HOME: env.HOME }),
    ...(env.LANG === undefined ? {} : { LANG: env.LANG }),
  };
}

export interface TaskDirs {
  sharedDir: string;
  localTempDir: string;
}

export const taskDataDir = (sharedDir: string): string => join(sharedDir, sharedLayout.data);
export const taskLocalTempDir = (localTempDir: string, taskId: number): string => join(localTempDir, `task-${taskId}`);

/**
 * A task's environment: the clean base, then the user's variables, then Kawa's, which win
 * because they describe where the task really is.
 */
export function buildTaskEnv(spec: TaskSpec, base: BaseEnv, dirs: TaskDirs): Record<string, string> {
  const env: Record<string, string> = { ...base, ...spec.env };
  env[taskEnvNames.taskId] = String(spec.id);
  env[taskEnvNames.batchId] = String(spec.batchId);
  env[taskEnvNames.sharedDir] = taskDataDir(dirs.sharedDir);
  env[taskEnvNames.localTempDir] = taskLocalTempDir(dirs.localTempDir, spec.id);
  if (spec.numa !== null) env[taskEnvNames.numaNode] = String(spec.numa);
  if (spec.gpus.length > 0) env[taskEnvNames.cudaVisibleDevices] = spec.gpus.join(',');
  return env;
}

import type { CgroupDriverKind } from '../../../state/task-record.js';

/** The limits a task asks for. `cores` 0 and `memoryBytes` null mean no limit. */
export interface CgroupLimits {
  cores: number;
  memoryBytes: number | null;
}

/** What to hand the spawner: the driver may put a wrapper in front of the task's argv. */
export interface LaunchCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/** The cgroup (or cgroups, one per v1 hierarchy) of one task. */
export interface TaskCgroup {
  readonly kind: CgroupDriverKind;
  readonly dirs: readonly string[];
  readonly systemdUnit: string | null;
  /** Wraps `argv` so the process is inside the cgroup before the user's command starts. */
  launch(argv: readonly string[], env: Record<string, string>): LaunchCommand;
  /** Freezes every process; false when there is no freezer here (the caller then uses SIGSTOP). */
  freeze(): Promise<boolean>;
  /** Thaws; false when there is no freezer here. */
  thaw(): Promise<boolean>;
  /** SIGKILLs every process in the cgroup and thaws it so frozen ones can die. */
  killAll(): Promise<void>;
  /** Whether the kernel's OOM killer killed a process of this cgroup. */
  oomKilled(signal: NodeJS.Signals | null): Promise<boolean>;
  /** Kills what is left and removes the cgroup, retrying briefly while processes drain. */
  remove(): Promise<void>;
}

/** What a task record says of the cgroup a task was put in. */
export interface AdoptedCgroup {
  dirs: readonly string[];
  systemdUnit: string | null;
  limits: CgroupLimits;
}

/** Makes task cgroups under `<controller mount>/<cgroup_parent>/<node>/task-<id>`. */
export interface CgroupDriver {
  readonly kind: CgroupDriverKind;
  /** For the runner's start-up log line. */
  readonly description: string;
  /** Throws KawaError KAWA_ERR_CGROUP_UNAVAILABLE when the limits cannot be applied. */
  create(taskId: number, limits: CgroupLimits): Promise<TaskCgroup>;
  /**
   * The cgroup a task of an earlier run of this runner was put in, from its record: for the
   * kill, pause, OOM check and removal of an adopted task. Makes nothing.
   */
  adopt(taskId: number, made: AdoptedCgroup): TaskCgroup;
  /**
   * Kills and removes this node's task cgroups whose id is not in `known`: after a crash, the
   * tasks no record names (the runner went before writing one), which no one would ever end.
   * Resolves with their ids.
   */
  sweep(known: ReadonlySet<number>): Promise<number[]>;
  /** Removes this node's (empty) parent cgroups when the runner stops. */
  cleanup(): Promise<void>;
}

export const taskCgroupName = (taskId: number): string => `task-${taskId}`;

/** The task ids of the `task-<id>` dirs in `dirs`, skipping `known` ones. */
export function unknownTaskIds(names: readonly string[], known: ReadonlySet<number>): number[] {
  return names.flatMap((name) => {
    const match = /^task-(\d+)$/.exec(name);
    const id = match === null ? NaN : Number(match[1]);
    return Number.isSafeInteger(id) && !known.has(id) ? [id] : [];
  });
}

/** CFS bandwidth period; the quota is cores × period. */
export const CPU_PERIOD_US = 100_000;

/** The CFS quota for `cores`; the kernel rejects quotas under 1 ms. */
export function cpuQuotaMicros(cores: number): number {
  return Math.max(1000, Math.round(cores * CPU_PERIOD_US));
}

export function wantsLimits(limits: CgroupLimits): boolean {
  return limits.cores > 0 || limits.memoryBytes !== null;
}

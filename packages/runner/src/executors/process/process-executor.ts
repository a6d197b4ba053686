import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  isKawaError,
  logFileName,
  sharedLayout,
  type RunnerReportedStatus,
  type TaskAction,
  type TaskEventFrame,
  type TaskSpec,
} from '@kawa/protocol';
import type { Logger } from '../../logger.js';
import { exitFilePath, removeExitFile } from '../../state/exit-file.js';
import type { TaskRecord } from '../../state/task-record.js';
import type { TaskTable } from '../../state/task-table.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { errorMessage } from '../../util/errno.js';
import { cachedFindExecutable, findExecutable } from '../../util/find-executable.js';
import { createLimiter } from '../../util/limiter.js';
import { readProcStat } from '../../system/proc-stat.js';
import { watchAdoptedExit } from './adopted-exit.js';
import type { CgroupDriver, TaskCgroup } from './cgroups/task-cgroup.js';
import { newLiveTask, signalGroup, type LiveTask } from './live-task.js';
import { classifyExit, type FinalOutcome } from './exit-status.js';
import { buildLaunchArgv } from './launch-argv.js';
import { cachedCheckWorkdir, checkWorkdir, preflight, type PreflightContext } from './preflight.js';
import { createHelperSpawner } from './spawn-helper.js';
import { createTaskControls, type ControlOutcome } from './task-control.js';
import type { ProcessExit, Spawner } from './spawner.js';
import { buildTaskEnv, taskDataDir, taskLocalTempDir, type BaseEnv } from './task-env.js';

export interface ProcessExecutorOptions {
  nodeName: string;
  sharedDir: string;
  localTempDir: string;
  /** config.numactl_path: a name looked up in PATH, or a path. */
  numactlPath: string;
  /** The node's NUMA zone ids. */
  numaZones: readonly number[];
  baseEnv: BaseEnv;
  cgroups: CgroupDriver;
  table: TaskTable;
  logger: Logger;
  /** Every task-event, in order. */
  onEvent: (event: TaskEventFrame) => void;
  spawner?: Spawner;
  clock?: Clock;
  /** Where /proc is; tests may point elsewhere. */
  procRoot?: string;
}

export type { ControlOutcome } from './task-control.js';

export interface LiveTaskSummary {
  taskId: number;
  status: RunnerReportedStatus;
}

/** Runs tasks whose container is NULL as plain processes, limited by cgroups. */
export interface ProcessExecutor {
  /** Starts a task; every outcome, failures included, arrives through onEvent. */
  start(spec: TaskSpec): void;
  /** Kills, pauses or resumes. The matching task-event is emitted before this resolves. */
  control(taskId: number, action: TaskAction): Promise<ControlOutcome>;
  /** Tasks still running or paused, for hello. */
  liveTasks(): LiveTaskSummary[];
  /**
   * Takes over the tasks of an earlier run of this runner, from their records (see
   * adoptable()): those still running are watched again and can be controlled, those that
   * ended while no runner was there are reported with the status their exit file holds.
   */
  adopt(records: readonly TaskRecord[]): Promise<void>;
  /** The host has this task's final event; its local record can go. */
  finalDelivered(taskId: number): void;
  /** Kills every task and removes the node's cgroups. */
  close(): Promise<void>;
}

const MAX_MESSAGE = 4096;
/** Records wait this long: most trivial tasks are over and reported by then (see recordLater). */
const RECORD_DELAY_MS = 200;
const FINAL_RECORD_DELAY_MS = 250;
/** Task starts in flight at once; enough to overlap one start's I/O with another's spawn. */
const LAUNCH_SLOTS = 4;
/** How long a workdir found to exist is trusted (see cachedCheckWorkdir). */
const WORKDIR_CHECK_TTL_MS = 1000;
/** How often an adopted task (not the runner's child, so not waited for) is looked at. */
const ADOPTED_POLL_MS = 200;
/** A gone process whose exit file has not appeared after this lost its status. */
const ADOPTED_MISSING_GRACE_MS = 2000;

/** Whether a record is a no-Docker task's (the Docker executor adopts the others). */
export function isProcessRecord(record: TaskRecord): boolean {
  return record.spec.kind === 'command' && record.spec.container === null && record.spec.image === null;
}

export function createProcessExecutor(options: ProcessExecutorOptions): ProcessExecutor {
  const { logger, table, cgroups } = options;
  const spawner = options.spawner ?? createHelperSpawner(logger);
  const clock = options.clock ?? systemClock;
  const procRoot = options.procRoot ?? '/proc';
  const live = new Map<number, LiveTask>();
  /** Ends the watches of adopted tasks when the executor closes. */
  const adoptedWatches = new AbortController();
  /** Tasks whose exit file exists (or may): removed once the host has the final event. */
  const exitFiles = new Set<number>();
  const dataDir = taskDataDir(options.sharedDir);
  const logsDir = join(options.sharedDir, sharedLayout.logs);
  let closing = false;
  const launchSlot = createLimiter(LAUNCH_SLOTS);

  const once = <T>(make: () => Promise<T>): (() => Promise<T>) => {
    let value: Promise<T> | null = null;
    return () => (value ??= make());
  };
  const resolveTool = (name: string) =>
    once(async () => {
      const found = await findExecutable(name, options.baseEnv.PATH, '/');
      return 'path' in found ? found.path : null;
    });
  const preflightContext: PreflightContext = {
    nodeName: options.nodeName,
    numaZones: options.numaZones,
    numactl: resolveTool(options.numactlPath),
    numactlSetting: options.numactlPath,
    unshare: resolveTool('unshare'),
    findCommand: cachedFindExecutable(10_000),
    checkWorkdir: cachedCheckWorkdir(WORKDIR_CHECK_TTL_MS),
  };

  function emit(
    task: LiveTask,
    status: RunnerReportedStatus,
    outcome: Partial<FinalOutcome> = {},
    at = clock.now(),
  ): void {
    const message = outcome.message ?? null;
    options.onEvent({
      type: 'task-event',
      taskId: task.spec.id,
      status,
      exitCode: outcome.exitCode ?? null,
      message: message === null ? null : message.slice(0, MAX_MESSAGE),
      errorCode: outcome.errorCode ?? null,
      at,
    });
  }

  function record(task: LiveTask, status: RunnerReportedStatus, final: TaskRecord['final'] = null): TaskRecord {
    return {
      version: 1,
      spec: task.spec,
      status,
      pid: task.pid,
      pgid: task.pid,
      cgroupDriver: task.cgroup?.kind ?? cgroups.kind,
      cgroupDirs: [...(task.cgroup?.dirs ?? [])],
      systemdUnit: task.cgroup?.systemdUnit ?? null,
      startedAt: task.startedAt,
      pidStartTime: task.pidStartTime,
      pausedWith: task.pausedWith,
      final,
    };
  }

  /** State writes and exit handling in flight, so close() can wait for them. */
  const writes = new Set<Promise<void>>();
  function track(write: Promise<void>, what: string): void {
    const tracked = write.catch((error: unknown) => logger.warn(`${what}: ${errorMessage(error)}`));
    writes.add(tracked);
    void tracked.then(() => writes.delete(tracked));
  }

  /** Tasks with a record on disk, so that a delivered ending removes only what exists. */
  const recorded = new Set<number>();
  /** Running records not written yet (see RECORD_DELAY_MS). */
  const pendingRecords = new Map<number, NodeJS.Timeout>();

  /**
   * Writes a new task's record once it has run for RECORD_DELAY_MS. Most short tasks end and
   * report before that, and skip the write, rename and unlink (and the inode churn) entirely;
   * a runner that crashes in that window leaves the task to its cgroup, which names it too.
   */
  function recordLater(task: LiveTask): void {
    const timer = setTimeout(() => {
      pendingRecords.delete(task.spec.id);
      if (task.status === 'running' || task.status === 'paused') persist(task, task.status);
    }, RECORD_DELAY_MS);
    timer.unref();
    pendingRecords.set(task.spec.id, timer);
  }

  function persist(task: LiveTask, status: RunnerReportedStatus, final: TaskRecord['final'] = null): void {
    clearTimeout(pendingRecords.get(task.spec.id));
    pendingRecords.delete(task.spec.id);
    recorded.add(task.spec.id);
    track(table.put(record(task, status, final)), `cannot write the state of task ${task.spec.id} to ${table.dir}`);
  }

  /** Final records not written yet: most final events are delivered before this delay ends. */
  const pendingFinals = new Map<number, { timer: NodeJS.Timeout; write: () => void }>();

  /**
   * Emits the final event once, then forgets the task. Its record gets the final state only
   * if the host has not received the event within FINAL_RECORD_DELAY_MS (the link is down):
   * saving two file writes on the common path, for a crash window of that delay.
   */
  function finish(task: LiveTask, outcome: FinalOutcome): void {
    if (!live.has(task.spec.id) || live.get(task.spec.id) !== task) return;
    clearTimeout(pendingRecords.get(task.spec.id));
    pendingRecords.delete(task.spec.id);
    const at = clock.now();
    const final = { exitCode: outcome.exitCode, message: outcome.message, errorCode: outcome.errorCode, at };
    const write = (): void => {
      pendingFinals.delete(task.spec.id);
      persist(task, outcome.status, final);
    };
    const timer = setTimeout(write, FINAL_RECORD_DELAY_MS);
    timer.unref();
    pendingFinals.set(task.spec.id, { timer, write });
    live.delete(task.spec.id);
    task.status = 'ending';
    logger.debug(
      `task ${task.spec.id} ${outcome.status}${outcome.exitCode === null ? '' : ` (exit ${outcome.exitCode})`}${outcome.message ? `: ${outcome.message}` : ''}`,
    );
    emit(task, outcome.status, outcome, at);
    task.markFinished();
  }

  async function launch(task: LiveTask): Promise<void> {
    const { spec } = task;
    const workdir = spec.workdir ?? dataDir;
    const env = buildTaskEnv(spec, options.baseEnv, options);
    const logDir = join(logsDir, String(spec.id));
    let cgroup: TaskCgroup | null = null;
    try {
      const tools = await preflight(spec, workdir, env.PATH ?? options.baseEnv.PATH, preflightContext);
      const argv = buildLaunchArgv(spec, tools);
      if (task.killRequested) throw new Error('killed before start');
      cgroup = task.cgroup = await cgroups.create(spec.id, { cores: spec.cores, memoryBytes: spec.memoryBytes });
      const child = await spawner.spawn({
        ...cgroup.launch(argv, env),
        cwd: workdir,
        // Made by the spawner, off the runner's event loop and in the same round trip.
        dirs: [logDir, taskLocalTempDir(options.localTempDir, spec.id)],
        stdoutPath: join(logDir, logFileName('stdout')),
        stderrPath: join(logDir, logFileName('stderr')),
        exitPath: exitFilePath(table.dir, spec.id),
      });
      task.pid = child.pid;
      // Read now, while the pid is surely the task's; records written later carry it. The
      // spawn helper reads it before it can reap the process, saving the runner the file read.
      if (child.startTime !== undefined) task.pidStartTime = child.startTime;
      else void readProcStat(child.pid, procRoot).then((stat) => (task.pidStartTime ??= stat?.startTime ?? null));
      task.startedAt = clock.now();
      task.status = 'running';
      logger.debug(`task ${spec.id} running as pid ${child.pid}`);
      emit(task, 'running', {}, task.startedAt);
      recordLater(task);
      track(
        child.exited.then((exit) => onExit(task, exit)),
        `handling the exit of task ${spec.id}`,
      );
      // A kill that arrived while the process was being spawned.
      if (task.killRequested) await killProcesses(task);
    } catch (caught) {
      let error = caught;
      // The workdir check may have trusted a dir that is gone since (see cachedCheckWorkdir).
      if (!isKawaError(error)) error = (await checkWorkdir(workdir, options.nodeName)) ?? error;
      if (cgroup !== null) await cgroup.remove().catch(() => {});
      await rmdir(taskLocalTempDir(options.localTempDir, spec.id)).catch(() => {});
      if (task.killRequested) {
        finish(task, { status: 'killed', exitCode: null, message: 'killed before it started', errorCode: null });
      } else if (isKawaError(error)) {
        finish(task, { status: 'failed', exitCode: null, message: error.message, errorCode: error.code });
      } else {
        finish(task, {
          status: 'failed',
          exitCode: null,
          message: `node ${options.nodeName} could not start the task: ${errorMessage(error)}`,
          errorCode: 'KAWA_ERR_SPAWN_FAILED',
        });
      }
    }
  }

  async function onExit(task: LiveTask, exit: ProcessExit): Promise<void> {
    task.status = 'ending';
    if (exit.exitFile === true) exitFiles.add(task.spec.id);
    const cgroup = task.cgroup;
    let oomKilled = false;
    try {
      if (cgroup !== null) oomKilled = await cgroup.oomKilled(exit.signal);
    } catch (error) {
      logger.warn(`reading the OOM count of task ${task.spec.id}: ${errorMessage(error)}`);
    }
    finish(
      task,
      exit.lost
        ? {
            status: 'failed',
            exitCode: null,
            message: `node ${options.nodeName} lost track of the task's process; it was killed`,
            errorCode: 'KAWA_ERR_INTERNAL',
          }
        : classifyExit({ ...exit, oomKilled, killRequested: task.killRequested, memoryBytes: task.spec.memoryBytes }),
    );
    try {
      // The task is over: whatever it left running goes too. Removing the cgroup kills what is
      // still in it (rmdir fails while it holds processes). Without a cgroup the process group
      // is the fallback (its leader is reaped by now, so in theory its pid could be reused).
      if (cgroup === null || cgroup.kind === 'none' || exit.lost === true) signalGroup(task.pid, 'SIGKILL');
      await cgroup?.remove();
      // The scratch dir goes only when the task left nothing in it.
      await rmdir(taskLocalTempDir(options.localTempDir, task.spec.id)).catch(() => {});
    } catch (error) {
      logger.warn(`removing the cgroup of task ${task.spec.id}: ${errorMessage(error)}`);
    }
  }

  const { runControl, killProcesses } = createTaskControls({
    nodeName: options.nodeName,
    logger,
    onChange: (task, status) => {
      emit(task, status);
      persist(task, status);
    },
  });

  return {
    start(spec) {
      if (closing) {
        logger.warn(`task ${spec.id} arrived while the runner is stopping; not started`);
        return;
      }
      if (live.has(spec.id)) {
        logger.warn(`task ${spec.id} is already running here; ignoring the repeated start`);
        return;
      }
      const task = newLiveTask(spec);
      live.set(spec.id, task);
      task.started = launchSlot(() => launch(task));
    },

    control(taskId, action) {
      const task = live.get(taskId);
      if (task === undefined) {
        return Promise.resolve({
          ok: false,
          code: 'KAWA_ERR_TASK_NOT_FOUND',
          message: `node ${options.nodeName} has no live task ${taskId}`,
        });
      }
      const run = (): Promise<ControlOutcome> => runControl(task, action);
      const result = task.controls.then(run, run);
      task.controls = result;
      return result;
    },

    liveTasks() {
      const summaries: LiveTaskSummary[] = [];
      for (const task of live.values()) {
        if (task.status === 'running' || task.status === 'paused')
          summaries.push({ taskId: task.spec.id, status: task.status });
      }
      return summaries;
    },

    finalDelivered(taskId) {
      clearTimeout(pendingFinals.get(taskId)?.timer);
      pendingFinals.delete(taskId);
      if (recorded.delete(taskId)) track(table.remove(taskId), `cannot remove the state of task ${taskId}`);
      if (exitFiles.delete(taskId)) {
        track(removeExitFile(exitFilePath(table.dir, taskId)), `cannot remove the exit file of task ${taskId}`);
      }
    },

    async adopt(records) {
      for (const found of records) {
        const { spec } = found;
        if (live.has(spec.id)) continue;
        recorded.add(spec.id);
        exitFiles.add(spec.id);
        const task = newLiveTask(spec);
        task.pid = found.pid;
        task.pidStartTime = found.pidStartTime;
        task.startedAt = found.startedAt;
        if (found.final !== null) {
          // It ended, and the runner crashed before the host had the final event.
          task.status = 'ending';
          emit(task, found.status, found.final, found.final.at);
          continue;
        }
        // Made by another driver (the runner's cgroup setup changed): signals still reach it.
        task.cgroup =
          found.cgroupDriver === cgroups.kind
            ? cgroups.adopt(spec.id, {
                dirs: found.cgroupDirs,
                systemdUnit: found.systemdUnit,
                limits: { cores: spec.cores, memoryBytes: spec.memoryBytes },
              })
            : null;
        task.status = found.status === 'paused' ? 'paused' : 'running';
        task.pausedWith = task.status === 'paused' ? (found.pausedWith ?? 'signal') : null;
        live.set(spec.id, task);
        const exited = watchAdoptedExit(
          { pid: found.pid, startTime: found.pidStartTime, exitPath: exitFilePath(table.dir, spec.id) },
          {
            procRoot,
            pollMs: ADOPTED_POLL_MS,
            missingGraceMs: ADOPTED_MISSING_GRACE_MS,
            signal: adoptedWatches.signal,
          },
        );
        logger.info(`adopted task ${spec.id} (pid ${found.pid ?? 'none'}, ${task.status})`);
        track(
          exited.then((exit) => {
            // Gone, or never found: the pid may name another process now, which is not ours to kill.
            if (exit.lost === true) task.pid = null;
            return onExit(task, exit);
          }),
          `handling the exit of adopted task ${spec.id}`,
        );
      }
      // Tasks no record names (the runner crashed in their first moments): nothing would ever
      // end them, and the host has them as lost. Their cgroups name them; they go.
      const swept = await cgroups.sweep(new Set(live.keys())).catch((error: unknown) => {
        logger.warn(`cannot look for task cgroups left by the previous run: ${errorMessage(error)}`);
        return [];
      });
      if (swept.length > 0)
        logger.warn(`killed task(s) ${swept.join(', ')}: left running by the previous run, with no record to adopt`);
      // Exit files no record names: the runner crashed after the host had the ending.
      const known = new Set(records.map((found) => found.spec.id));
      const stray = (await readdir(table.dir).catch(() => [])).filter((file) => {
        const match = /^(\d+)\.exit(\.tmp)?$/.exec(file);
        return match !== null && !known.has(Number(match[1]));
      });
      await Promise.all(stray.map((file) => rm(join(table.dir, file), { force: true })));
    },

    async close() {
      closing = true;
      await Promise.all([...live.values()].map((task) => runControl(task, 'kill')));
      adoptedWatches.abort();
      // Final events still undelivered at shutdown keep their record for the next start.
      for (const { timer, write } of [...pendingFinals.values()]) {
        clearTimeout(timer);
        write();
      }
      await Promise.all([cgroups.cleanup().catch(() => {}), ...writes]);
      await spawner.close();
    },
  };
}

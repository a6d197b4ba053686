import { mkdir, rmdir } from 'node:fs/promises';
import {
  isKawaError,
  type NumaZone,
  type RunnerReportedStatus,
  type TaskEventFrame,
  type TaskProgressFrame,
} from '@kawa/protocol';
import type { EnvSync, ImageSource } from '../../envs/env-sync.js';
import type { Logger } from '../../logger.js';
import type { TaskRecord } from '../../state/task-record.js';
import type { TaskTable } from '../../state/task-table.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { errorMessage } from '../../util/errno.js';
import { createLimiter } from '../../util/limiter.js';
import { sleep } from '../../util/sleep.js';
import { classifyExit, type FinalOutcome } from '../process/exit-status.js';
import { isProcessRecord, type LiveTaskSummary, type ProcessExecutor } from '../process/process-executor.js';
import { taskLocalTempDir } from '../process/task-env.js';
import { buildContainerOptions } from './container-options.js';
import { createDockerAdoption } from './docker-adoption.js';
import { createDockerControls } from './docker-control.js';
import type { DockerEngine, OutputAttachment } from './docker-engine.js';
import {
  containerLookup,
  liveSummary,
  newDockerTask,
  queueControl,
  type ContainerLookup,
  type DockerTask,
} from './docker-task.js';
import { createOwnedContainer } from './owned-container.js';
import { startFailure } from './start-failure.js';
import { syncTaskImage } from './sync-watcher.js';
import { taskEventFrame, type EventDetails } from './task-event.js';
import { createDockerTaskRecords } from './task-records.js';
import { createVpsExecutor } from './vps-executor.js';
import { openTaskLogs, type TaskLogFiles } from './task-logs.js';

export interface DockerExecutorOptions {
  nodeName: string;
  sharedDir: string;
  localTempDir: string;
  /** The node's NUMA zones with their cpus (from the runner's probe), for cpusets. */
  numaZones: readonly NumaZone[];
  engine: DockerEngine;
  envSync: EnvSync;
  table: TaskTable;
  logger: Logger;
  /** Every task-event, in order. */
  onEvent: (event: TaskEventFrame) => void;
  /** Sync progress of syncing tasks, a few frames a second at most; lossy. */
  onProgress: (frame: TaskProgressFrame) => void;
  clock?: Clock;
}

/**
 * Runs tasks with an env or an image in a fresh container each, through the Docker Engine, and
 * VPS tasks (vps-executor.ts). The same contract as the no-Docker executor, so the runner
 * routes to either; its liveTasks also lists tasks still syncing or starting (as `syncing`),
 * and close() kills those too (VPS tasks are stopped, so they can be restarted).
 */
export interface DockerExecutor extends ProcessExecutor {
  /** A live task's or VPS's container, for terminal and SSH streams; null when none is live here. */
  lookup(taskId: number): ContainerLookup | null;
}

/** Whether a record is a Docker task's or a VPS's. */
export function isDockerRecord(record: TaskRecord): boolean {
  return !isProcessRecord(record);
}

/** Container creates and starts in flight at once; more only queue up inside dockerd. */
const START_SLOTS = 4;
/** After the exit, how long the last output may take to arrive before the log is closed anyway. */
const OUTPUT_DRAIN_MS = 10_000;

/** Thrown inside the start-up when a kill came before the container started. */
class KilledBeforeStart extends Error {}

/** A started container with its open logs. */
interface Started {
  id: string;
  logs: TaskLogFiles;
  attachment: OutputAttachment;
}

/** What a start-up has opened so far, for the clean-up when it fails half-way. */
interface Opened {
  logs: TaskLogFiles | null;
  attachment: OutputAttachment | null;
}

/** How long an OOM kill may take to show in inspect after the exit: 20 × 25 ms. */
const OOM_SETTLE_POLLS = 20;
const OOM_SETTLE_MS = 25;

export function createDockerExecutor(options: DockerExecutorOptions): DockerExecutor {
  const { engine, envSync, logger } = options;
  const clock = options.clock ?? systemClock;
  const live = new Map<number, DockerTask>();
  const records = createDockerTaskRecords(options.table, logger);
  const startSlot = createLimiter(START_SLOTS);
  const exits = new Set<Promise<void>>();
  let closing = false;

  function emit(task: DockerTask, status: RunnerReportedStatus, details: EventDetails = {}, at = clock.now()) {
    options.onEvent(taskEventFrame(task.spec.id, status, details, at));
  }

  /** Emits the final event once and forgets the task. */
  function finish(task: DockerTask, outcome: FinalOutcome): void {
    if (live.get(task.spec.id) !== task) return;
    const at = clock.now();
    live.delete(task.spec.id);
    task.status = 'ending';
    const { exitCode, message, errorCode } = outcome;
    records.final(task, outcome.status, { exitCode, message, errorCode, at });
    logger.debug(
      `task ${task.spec.id} ${outcome.status}${exitCode === null ? '' : ` (exit ${exitCode})`}${message ? `: ${message}` : ''}`,
    );
    emit(task, outcome.status, outcome, at);
    task.markFinished();
  }

  const syncDeps = { engine, envSync, onProgress: options.onProgress, clock };

  async function launch(task: DockerTask): Promise<void> {
    const { spec } = task;
    const opened: Opened = { logs: null, attachment: null };
    let started: Started;
    try {
      const source: ImageSource = spec.container !== null ? { env: spec.container } : { image: spec.image ?? '' };
      const image = await syncTaskImage(task, source, {
        ...syncDeps,
        onSyncing: (message) => emit(task, 'syncing', { message }),
      });
      started = await startSlot(() => createAndStart(task, image, opened));
    } catch (error) {
      const outcome: FinalOutcome = task.killRequested
        ? {
            status: 'killed',
            exitCode: null,
            message: task.abort.signal.aborted
              ? 'killed while its image was syncing, before it started'
              : 'killed before it started',
            errorCode: null,
          }
        : startFailure(error, spec, options.nodeName);
      await cleanUp(task, opened.logs, opened.attachment);
      finish(task, outcome);
      return;
    }
    const { id, logs, attachment } = started;
    task.startedAt = clock.now();
    task.status = 'running';
    logger.debug(`task ${spec.id} running as container ${id.slice(0, 12)}`);
    emit(task, 'running', {}, task.startedAt);
    records.put(task, 'running');
    follow(task, id, logs, attachment);
    // A kill that arrived while the container was being started.
    if (task.killRequested) await controls.stopContainer(task);
  }

  /** Opens the logs, creates the container, attaches to its output and starts it. */
  async function createAndStart(task: DockerTask, image: string, opened: Opened): Promise<Started> {
    const { spec } = task;
    if (task.killRequested) throw new KilledBeforeStart();
    const [logs] = await Promise.all([
      openTaskLogs(options.sharedDir, spec.id, (stream, error) =>
        logger.warn(`task ${spec.id}: writing ${stream}.log failed, so the log is cut short: ${error.message}`),
      ),
      mkdir(taskLocalTempDir(options.localTempDir, spec.id), { recursive: true }),
    ]);
    opened.logs = logs;
    const id = await createOwnedContainer(
      engine,
      buildContainerOptions(spec, { ...options, image }),
      options.nodeName,
      logger,
    );
    task.containerId = id;
    // Attached before start, so no byte of output is missed and the logs grow while it runs.
    const attachment = (opened.attachment = await engine.attachOutput(id, logs.stdout, logs.stderr));
    if (task.killRequested) throw new KilledBeforeStart();
    await engine.startContainer(id);
    return { id, logs, attachment };
  }

  /** Follows a started container to its end (see watchExit); close() waits for that. */
  function follow(task: DockerTask, id: string, logs: TaskLogFiles, attachment: OutputAttachment): void {
    const exit = watchExit(task, id, logs, attachment);
    exits.add(exit);
    void exit.then(() => exits.delete(exit));
  }

  /** Waits for the container to stop, completes the logs, removes the container, then reports. */
  async function watchExit(
    task: DockerTask,
    id: string,
    logs: TaskLogFiles,
    attachment: OutputAttachment,
  ): Promise<void> {
    let outcome: FinalOutcome;
    try {
      const exitCode = await engine.waitContainer(id);
      // Over: pause and resume now answer "finished", a kill "already ending".
      task.status = 'ending';
      const state = await settledExitState(task, id, exitCode);
      const code = state?.exitCode ?? exitCode;
      outcome = classifyExit({
        code,
        signal: null,
        oomKilled: (state?.oomKilled ?? false) || unflaggedOomKill(task, code),
        killRequested: task.killRequested,
        memoryBytes: task.spec.memoryBytes,
      });
      // 137 would be the runner's own SIGKILL, not an answer of the task's.
      if (outcome.status === 'killed') outcome = { ...outcome, exitCode: null };
    } catch (error) {
      task.status = 'ending';
      outcome = {
        status: 'failed',
        exitCode: null,
        message: `node ${options.nodeName} lost track of the task's container: ${errorMessage(error)}`,
        errorCode: isKawaError(error) ? error.code : 'KAWA_ERR_DOCKER_FAILED',
      };
    }
    // Every byte the task wrote is in the log files before the final state goes out.
    const drained = await Promise.race([attachment.ended.then(() => true), sleep(OUTPUT_DRAIN_MS).then(() => false)]);
    if (!drained)
      logger.warn(`task ${task.spec.id}: the engine kept its output stream open after the exit; closing it`);
    await closeOutput(logs, attachment);
    // The outcome is known and the logs are complete: report first, then remove the container.
    // Removal (an overlay unmount) takes 10–50 ms that no one needs to wait for; close() still
    // waits for it, because this promise is in `exits` until it is done.
    finish(task, outcome);
    await removeLeftovers(task);
  }

  /**
   * The container's state after its exit. Docker learns of an OOM kill from a separate event
   * that can land just after the exit: a limited task that died of SIGKILL it did not get from
   * us is inspected again for a short while, so it is not misreported as failed (exit 137).
   */
  async function settledExitState(task: DockerTask, id: string, exitCode: number) {
    let state = await engine.inspectContainer(id);
    const maybeOom = exitCode === 137 && !task.killRequested && task.spec.memoryBytes !== null;
    for (let poll = 0; maybeOom && state !== null && !state.oomKilled && poll < OOM_SETTLE_POLLS; poll += 1) {
      await sleep(OOM_SETTLE_MS);
      state = await engine.inspectContainer(id);
    }
    return state;
  }

  /**
   * Whether a memory-limited task's SIGKILL exit (137) that the runner did not send is an OOM
   * kill the engine failed to flag. On cgroup v1 the engine sometimes drops the OOM event when
   * the task dies at once (seen here: `dd bs=64M` under `-m 20M` in 1 run of ~10, still
   * unflagged 2 s later). The kernel refuses a SIGKILL from inside a container to its first
   * process, so one from outside it is the OOM killer or the node's root; Kawa's own kills are
   * known (killRequested).
   */
  function unflaggedOomKill(task: DockerTask, code: number): boolean {
    return code === 137 && !task.killRequested && task.spec.memoryBytes !== null;
  }

  async function closeOutput(logs: TaskLogFiles | null, attachment: OutputAttachment | null): Promise<void> {
    attachment?.detach();
    await logs?.close();
  }

  /** Closes the logs and removes the container and an empty scratch dir; the logs stay. */
  async function cleanUp(
    task: DockerTask,
    logs: TaskLogFiles | null,
    attachment: OutputAttachment | null,
  ): Promise<void> {
    await closeOutput(logs, attachment);
    await removeLeftovers(task);
  }

  /** The task's container (and a VPS's) and its scratch dir, if empty; the logs stay. */
  async function removeLeftovers(task: DockerTask): Promise<void> {
    // By id only: the name may belong to another node's task (a create that failed on a
    // name conflict), and that one is not ours to remove.
    if (task.containerId !== null) {
      await engine
        .removeContainer(task.containerId)
        .catch((error: unknown) =>
          logger.warn(`cannot remove the container of task ${task.spec.id}: ${errorMessage(error)}`),
        );
    }
    await rmdir(taskLocalTempDir(options.localTempDir, task.spec.id)).catch(() => {});
  }

  const controls = createDockerControls({
    engine,
    nodeName: options.nodeName,
    logger,
    onChange: (task, status) => {
      emit(task, status);
      records.put(task, status);
    },
  });

  const vps = createVpsExecutor({
    ...options,
    clock,
    records,
    controls,
    startSlot,
    emit,
    removeLeftovers,
  });

  const adopt = createDockerAdoption({
    nodeName: options.nodeName,
    sharedDir: options.sharedDir,
    engine,
    logger,
    clock,
    records,
    vps,
    live,
    onEvent: options.onEvent,
    follow,
    finish,
  });

  return {
    start(spec) {
      if (spec.kind === 'vps') return vps.start(spec);
      if (closing) {
        logger.warn(`task ${spec.id} arrived while the runner is stopping; not started`);
        return;
      }
      if (live.has(spec.id)) {
        logger.warn(`task ${spec.id} is already running here; ignoring the repeated start`);
        return;
      }
      const task = newDockerTask(spec);
      live.set(spec.id, task);
      task.started = launch(task);
    },

    control(taskId, action) {
      const task = live.get(taskId);
      if (task === undefined) {
        const vpsAnswer = vps.control(taskId, action);
        if (vpsAnswer !== null) return vpsAnswer;
        return Promise.resolve({
          ok: false,
          code: 'KAWA_ERR_TASK_NOT_FOUND',
          message: `node ${options.nodeName} has no live task ${taskId}`,
        });
      }
      // One after another, as the host sent them. None waits on a sync (pause and resume of a
      // syncing task answer at once), so a kill is never stuck behind a slow load.
      return queueControl(task, () => controls.runControl(task, action));
    },

    liveTasks() {
      const summaries: LiveTaskSummary[] = [...live.values()].flatMap((task) => liveSummary(task) ?? []);
      return [...summaries, ...vps.liveTasks()];
    },

    lookup(taskId) {
      const task = live.get(taskId);
      return task === undefined ? vps.lookup(taskId) : containerLookup(task);
    },

    finalDelivered(taskId) {
      records.delivered(taskId);
    },

    adopt,

    async close() {
      closing = true;
      await Promise.all([...[...live.values()].map((task) => controls.runControl(task, 'kill')), vps.close()]);
      await Promise.all(exits);
      await records.flush();
    },
  };
}

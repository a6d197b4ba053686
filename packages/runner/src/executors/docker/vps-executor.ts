import { mkdir } from 'node:fs/promises';
import { KawaError, type RunnerReportedStatus, type TaskAction, type TaskSpec } from '@kawa/protocol';
import type { ImageSource } from '../../envs/env-sync.js';
import type { Clock } from '../../util/clock.js';
import { errorMessage } from '../../util/errno.js';
import { sleep } from '../../util/sleep.js';
import type { LiveTaskSummary } from '../process/process-executor.js';
import type { ControlOutcome } from '../process/task-control.js';
import { taskLocalTempDir } from '../process/task-env.js';
import type { TaskRecord } from '../../state/task-record.js';
import type { DockerControls } from './docker-control.js';
import type { ContainerSummary } from './docker-engine.js';
import type { DockerExecutorOptions } from './docker-executor.js';
import {
  containerLookup,
  liveSummary,
  newDockerTask,
  queueControl,
  type ContainerLookup,
  type DockerTask,
} from './docker-task.js';
import { createOwnedContainer } from './owned-container.js';
import { SshdWaitAbandoned, waitForSshd, type SshEndpoint } from './sshd-ready.js';
import { startFailure } from './start-failure.js';
import { syncTaskImage } from './sync-watcher.js';
import type { EventDetails } from './task-event.js';
import type { DockerTaskRecords } from './task-records.js';
import { buildVpsContainerOptions, SSHD_PATH, vpsContainerName } from './vps-options.js';
import { authorizedKeysArchive } from './vps-key.js';

/** How a VPS ends on this node: stopped (restartable) or killed (final). */
type VpsEnding = Extract<RunnerReportedStatus, 'stopped' | 'killed'>;

/** A VPS on this node; `ending` is set once a stop or kill was asked for. */
interface VpsTask extends DockerTask {
  ending: VpsEnding | null;
}

/** The Docker executor's options, and what it shares with its VPS half. */
export interface VpsExecutorOptions extends Omit<DockerExecutorOptions, 'table' | 'onEvent' | 'clock'> {
  clock: Clock;
  records: DockerTaskRecords;
  /** Shared with the Docker executor: pause and resume are the same engine calls. */
  controls: DockerControls;
  /** Shared with command tasks, so a burst of both queues in one line. */
  startSlot: <T>(job: () => Promise<T>) => Promise<T>;
  emit: (task: DockerTask, status: RunnerReportedStatus, details?: EventDetails, at?: number) => void;
  /** Removes the container by id and an empty scratch dir, as for command tasks. */
  removeLeftovers: (task: DockerTask) => Promise<void>;
}

/** What the Docker executor needs of its VPS half. */
export interface VpsExecutor {
  start(spec: TaskSpec): void;
  /** Watches a running VPS container again after a runner restart. */
  adopt(record: TaskRecord, container: ContainerSummary): void;
  /** The answer of a live VPS, or null when `taskId` is not one. */
  control(taskId: number, action: TaskAction): Promise<ControlOutcome> | null;
  liveTasks(): LiveTaskSummary[];
  lookup(taskId: number): ContainerLookup | null;
  /** Stops every VPS (they can be restarted later) and waits until each is reported. */
  close(): Promise<void>;
}

/** sshd makes its host keys at the first start: a second on a fast node, more on a busy one. */
const SSHD_START_MS = 30_000;
const SSHD_POLL_MS = 100;
/** sshd ends at SIGTERM; the grace is for an image whose sshd does not. */
const STOP_GRACE_SECONDS = 5;
/** How long a stop or kill waits for the VPS's end before answering anyway. */
const END_WAIT_MS = 30_000;
/** After an exit, how long the engine may take to show the restart its policy makes. */
const RESTART_SETTLE_POLLS = 30;
const RESTART_SETTLE_MS = 100;
/** After the engine broke the watch (a dockerd restart), the pause before watching again. */
const REWATCH_DELAY_MS = 1000;
/** The shortest time between two rounds of the watch. */
const MIN_ROUND_MS = 1000;

/**
 * VPS tasks: `kawa-vps-<id>` runs sshd with the user's key, restarts unless stopped, and has
 * no end of its own. A stop removes the container and reports `stopped` (the host may start
 * the same task again, which recreates it from the same env and key); a kill removes it and
 * reports `killed`. Nothing of a stopped VPS is left running: no container, no port.
 */
export function createVpsExecutor(options: VpsExecutorOptions): VpsExecutor {
  const { engine, envSync, logger, clock, records, controls, emit, removeLeftovers } = options;
  const live = new Map<number, VpsTask>();
  let closing = false;

  /** Reports the end once, forgets the VPS and lets a later start of the same id in. */
  function finish(task: VpsTask, status: RunnerReportedStatus, details: EventDetails = {}): void {
    if (live.get(task.spec.id) !== task) return;
    const at = clock.now();
    live.delete(task.spec.id);
    task.status = 'ending';
    records.final(task, status, {
      exitCode: details.exitCode ?? null,
      message: details.message ?? null,
      errorCode: details.errorCode ?? null,
      at,
    });
    logger.debug(`VPS ${task.spec.id} ${status}${details.message ? `: ${details.message}` : ''}`);
    emit(task, status, details, at);
    task.markFinished();
  }

  async function launch(task: VpsTask): Promise<void> {
    const { spec } = task;
    let sshd: SshEndpoint;
    try {
      const image = await syncTaskImage(task, imageSource(spec), {
        engine,
        envSync,
        onSyncing: (message) => emit(task, 'syncing', { message }),
        onProgress: options.onProgress,
        clock,
      });
      const id = await options.startSlot(() => createAndStart(task, image));
      sshd = await waitForSshd(engine, id, {
        timeoutMs: SSHD_START_MS,
        pollMs: SSHD_POLL_MS,
        stillWanted: () => task.ending === null,
      });
    } catch (error) {
      await removeLeftovers(task);
      if (task.ending !== null) finish(task, task.ending, { message: `${task.ending} before it started` });
      else finish(task, 'failed', startFailure(error, spec, options.nodeName));
      return;
    }
    if (task.ending !== null) {
      await removeLeftovers(task);
      finish(task, task.ending, { message: `${task.ending} before it started` });
      return;
    }
    task.startedAt = clock.now();
    task.status = 'running';
    logger.debug(`VPS ${spec.id} running as ${vpsContainerName(spec.id)}, sshd on ${sshd.host}:${sshd.port}`);
    emit(task, 'running', {}, task.startedAt);
    records.put(task, 'running');
    void watch(task);
  }

  /** Where the VPS's image comes from; a VPS is a container, so it needs one (the host never sends NULL). */
  function imageSource(spec: TaskSpec): ImageSource {
    if (spec.container !== null) return { env: spec.container };
    if (spec.image !== null) return { image: spec.image };
    throw new KawaError('KAWA_ERR_BAD_REQUEST', `VPS ${spec.id} names no env and no image: a VPS runs in a container`);
  }

  /** Creates the container, checks it has sshd, installs the key, starts it; resolves with its id. */
  async function createAndStart(task: VpsTask, image: string): Promise<string> {
    const { spec } = task;
    if (task.ending !== null) throw new SshdWaitAbandoned();
    const archive = authorizedKeysArchive(spec.id, spec.publicKey);
    await mkdir(taskLocalTempDir(options.localTempDir, spec.id), { recursive: true });
    const id = await createOwnedContainer(
      engine,
      buildVpsContainerOptions(spec, { ...options, image }),
      options.nodeName,
      logger,
    );
    task.containerId = id;
    // Never a password or an empty root login instead: without sshd the VPS does not start.
    if (!(await engine.pathExists(id, SSHD_PATH))) {
      const what = spec.container !== null ? `env ${spec.container}` : `image ${spec.image ?? ''}`;
      throw new KawaError(
        'KAWA_ERR_VPS_NO_SSHD',
        `${what} has no OpenSSH server (${SSHD_PATH}), so VPS ${spec.id} cannot start: install openssh-server ` +
          'in the env (kawa docker container shell, then tar create) or pick an image that has it',
      );
    }
    await engine.putArchive(id, '/', archive);
    if (task.ending !== null) throw new SshdWaitAbandoned();
    await engine.startContainer(id);
    return id;
  }

  /**
   * Follows the running VPS until it ends. Each round waits until the container is not running.
   * A crash is not such a moment: the engine restarts the container (unless-stopped) and counts
   * it as running while it does, so the VPS stays running. The wait does end when the container
   * is stopped or removed outside Kawa: then it does not come back, and the VPS is reported
   * stopped. (Waiting for the next exit instead would miss a stop that lands between rounds.)
   */
  async function watch(task: VpsTask): Promise<void> {
    const id = task.containerId as string;
    const current = (): boolean => live.get(task.spec.id) === task && task.ending === null;
    // Lives as long as the VPS. Each round waits for an exit, and rounds are at least
    // MIN_ROUND_MS apart, so an engine that answered at once every time could not spin it.
    while (current()) {
      const roundStart = Date.now();
      let exitCode: number | null = null;
      try {
        exitCode = await engine.waitContainer(id);
      } catch (error) {
        if (!current()) return;
        logger.debug(`watching VPS ${task.spec.id}: ${errorMessage(error)}`);
        await sleep(REWATCH_DELAY_MS);
      }
      if (!current()) return;
      const after = await afterExit(id);
      // 'back': it runs again (started by hand, or a restart the engine showed late). 'unknown':
      // the engine does not answer; it may be restarting itself, and brings the container back
      // with it. Either way, watch on.
      if (after !== 'down') {
        await sleep(Math.max(0, MIN_ROUND_MS - (Date.now() - roundStart)));
        continue;
      }
      if (!current()) return;
      task.status = 'ending';
      await removeLeftovers(task);
      finish(task, 'stopped', {
        exitCode,
        message: `${vpsContainerName(task.spec.id)} was stopped or removed outside Kawa; restart the VPS to recreate it`,
      });
      return;
    }
  }

  /**
   * Whether the container runs again (or waits for its restart) shortly after an exit, is
   * down for good (stopped or removed), or cannot be told because the engine does not answer.
   */
  async function afterExit(id: string): Promise<'back' | 'down' | 'unknown'> {
    let answered = false;
    for (let poll = 0; poll < RESTART_SETTLE_POLLS; poll += 1) {
      const state = await engine.inspectContainer(id).catch(() => undefined);
      if (state === null) return 'down';
      if (state !== undefined) {
        answered = true;
        if (state.running || state.restarting) return 'back';
      }
      await sleep(RESTART_SETTLE_MS);
    }
    return answered ? 'down' : 'unknown';
  }

  /**
   * Stop or kill. A stop lets sshd end at SIGTERM; both then remove the container, so neither
   * leaves a process or a published port behind. During sync or start-up the start-up itself
   * notices and reports the end.
   */
  async function end(task: VpsTask, ending: VpsEnding, message: string | null = null): Promise<ControlOutcome> {
    const verb = ending === 'stopped' ? 'stop' : 'kill';
    if (task.status === 'ending' || task.ending !== null)
      return { ok: false, code: 'KAWA_ERR_INVALID_STATE', message: `cannot ${verb} VPS ${task.spec.id}: it is ending` };
    task.ending = ending;
    if (task.status === 'syncing') task.abort.abort(new Error(`${ending} while syncing`));
    if (task.status === 'running' || task.status === 'paused') {
      const wasPaused = task.status === 'paused';
      task.status = 'ending';
      const id = task.containerId as string;
      if (ending === 'stopped') {
        // A frozen sshd cannot take SIGTERM; thaw it so the stop is graceful.
        if (wasPaused) await engine.unpauseContainer(id).catch(() => undefined);
        await engine
          .stopContainer(id, STOP_GRACE_SECONDS)
          .catch((error: unknown) => logger.debug(`stopping VPS ${task.spec.id}: ${errorMessage(error)}`));
      }
      await removeLeftovers(task);
      finish(task, ending, { message });
    }
    const ended = await Promise.race([task.finished.then(() => true), sleep(END_WAIT_MS).then(() => false)]);
    if (!ended) logger.warn(`VPS ${task.spec.id} has not ended ${END_WAIT_MS} ms after its ${verb}`);
    return { ok: true };
  }

  async function runControl(task: VpsTask, action: TaskAction): Promise<ControlOutcome> {
    try {
      switch (action) {
        case 'pause':
        case 'resume':
          // SSH connections stall while the VPS is frozen and carry on after the resume.
          return await controls.toggle(task, action);
        case 'stop':
          return await end(task, 'stopped');
        case 'kill':
          return await end(task, 'killed');
      }
    } catch (error) {
      return controls.failed(task, action, error);
    }
  }

  return {
    start(spec) {
      if (closing) {
        logger.warn(`VPS ${spec.id} arrived while the runner is stopping; not started`);
        return;
      }
      if (live.has(spec.id)) {
        logger.warn(`VPS ${spec.id} is already here; ignoring the repeated start`);
        return;
      }
      const task: VpsTask = { ...newDockerTask(spec), ending: null };
      live.set(spec.id, task);
      task.started = launch(task);
    },

    adopt(record, container) {
      const task: VpsTask = { ...newDockerTask(record.spec), ending: null };
      task.containerId = container.id;
      task.startedAt = record.startedAt;
      task.status = container.state === 'paused' ? 'paused' : 'running';
      live.set(record.spec.id, task);
      logger.info(`adopted VPS ${record.spec.id} (${vpsContainerName(record.spec.id)}, ${container.state})`);
      void watch(task);
    },

    control(taskId, action) {
      const task = live.get(taskId);
      if (task === undefined) return null;
      return queueControl(task, () => runControl(task, action));
    },

    liveTasks: () => [...live.values()].flatMap((task) => liveSummary(task) ?? []),

    lookup(taskId) {
      const task = live.get(taskId);
      return task === undefined ? null : containerLookup(task);
    },

    async close() {
      closing = true;
      const message = `the runner on node ${options.nodeName} stopped; restart the VPS to start it again`;
      await Promise.all([...live.values()].map((task) => end(task, 'stopped', message)));
    },
  };
}

import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { sanitizeNodeName } from '@kawa/config';
import {
  KawaError,
  PROTOCOL_VERSION,
  sharedLayout,
  type CommandResultFrame,
  type RunnerConfig,
  type TaskEventFrame,
} from '@kawa/protocol';
import { detectCgroupDriver } from './executors/process/cgroups/detect-driver.js';
import type { CgroupDriver } from './executors/process/cgroups/task-cgroup.js';
import { createDockerEngine, type DockerEngine } from './executors/docker/docker-engine.js';
import { createDockerExecutor, isDockerRecord } from './executors/docker/docker-executor.js';
import { createProcessExecutor, isProcessRecord } from './executors/process/process-executor.js';
import type { Spawner } from './executors/process/spawner.js';
import { baseEnvFrom } from './executors/process/task-env.js';
import { envRecordsIn } from './envs/env-records.js';
import { createEnvSync } from './envs/env-sync.js';
import { createHostLink, type HostLink, type HostWorkFrame } from './host-link/host-link.js';
import { readCaFile } from './host-link/ca-file.js';
import { runnerLinkUrl } from './host-link/link-url.js';
import { createLogger, type LogLevel } from './logger.js';
import type { ControlOutcome } from './executors/process/task-control.js';
import { endsOnNode, PendingReports } from './state/pending-reports.js';
import { createStreamService, type LocalStreamSink } from './streams/stream-service.js';
import type { StreamSubject } from './streams/stream-target.js';
import { openTaskTable } from './state/task-table.js';
import { defaultSystemRoots, type SystemRoots } from './system/roots.js';
import { createSystemProbe } from './system/system-probe.js';
import { systemClock, type Clock } from './util/clock.js';
import { errorMessage } from './util/errno.js';
import { findExecutable } from './util/find-executable.js';
import { execFileCommand, type RunCommand } from './util/run-command.js';

export interface StartRunnerOptions {
  /** The [runner] section from @kawa/config's loadConfig: `~` expanded, name resolved. */
  config: RunnerConfig;
  /** Overrides config.host_url. */
  hostUrl?: string;
  /** Overrides config.join_token and config.join_token_file. */
  joinToken?: string;
  /** The host in this process (`kawa up`): SSH streams are handed to it without a dial-back. */
  localStreams?: LocalStreamSink;
  logLevel?: LogLevel;
}

export interface RunningRunner {
  name: string;
  /**
   * Resolves once the host has answered hello with welcome; rejects (KAWA_ERR_RUNNER_UNAVAILABLE)
   * if the runner is closed before that. Later drops reconnect on their own.
   */
  connected: Promise<void>;
  /**
   * Stops the link and its streams, kills the runner's live tasks and stops its VPS (reported while
   * connected), and removes their cgroups.
   */
  close(): Promise<void>;
}

/** Side effects a test may replace; production uses the real machine. */
export interface RunnerDeps {
  roots?: SystemRoots;
  /** Exists exactly when systemd is PID 1. */
  systemdMarker?: string;
  /** The process environment, read for PATH, HOME and LANG only. */
  env?: Readonly<Record<string, string | undefined>>;
  cgroups?: CgroupDriver;
  spawner?: Spawner;
  clock?: Clock;
  run?: RunCommand;
  /** The Docker Engine; by default dockerode on config.docker_socket. */
  docker?: DockerEngine;
}

/** Starts a runner: probes the machine, prepares its dirs, and dials the host. */
export function startRunner(options: StartRunnerOptions): Promise<RunningRunner> {
  return startRunnerWith(options, {});
}

export async function startRunnerWith(options: StartRunnerOptions, deps: RunnerDeps): Promise<RunningRunner> {
  const { config } = options;
  const logger = createLogger(options.logLevel ?? 'info');
  const name = config.name === '' ? sanitizeNodeName(hostname()) : config.name;
  const hostUrl = options.hostUrl ?? config.host_url;
  const url = runnerLinkUrl(hostUrl);
  const ca = readCaFile(config.ca_file, 'runner.ca_file');
  const token = joinTokenReader(options);
  await token().catch((error: unknown) => {
    throw error instanceof KawaError ? error : new KawaError('KAWA_ERR_CONFIG', errorMessage(error), { cause: error });
  });

  // Nothing else reads process.env (STYLE.md): tasks get PATH, HOME and LANG from here.
  const baseEnv = baseEnvFrom(deps.env ?? process.env);
  const roots = deps.roots ?? defaultSystemRoots;
  const run = deps.run ?? execFileCommand();
  await prepareDirs(config);

  const nvidiaSmi = await findExecutable('nvidia-smi', baseEnv.PATH, '/');
  const probe = await createSystemProbe({
    roots,
    hostname: hostname(),
    nvidiaSmiPath: 'path' in nvidiaSmi ? nvidiaSmi.path : null,
    run,
    logger,
  });
  const resources = await probe.resources();
  const table = await openTaskTable(config.state_dir);
  const leftovers = await table.list((file, reason) =>
    logger.warn(`ignoring unreadable task record ${file}: ${reason}`),
  );
  const cgroups =
    deps.cgroups ??
    (await detectCgroupDriver({
      procRoot: roots.procRoot,
      systemdMarker: deps.systemdMarker ?? '/run/systemd/system',
      searchPath: baseEnv.PATH,
      parent: config.cgroup_parent,
      nodeName: name,
      run,
      logger,
    }));
  logger.info(
    `node ${name}: ${resources.cores} cores, ${resources.numa.length} NUMA zone(s), ${resources.gpus.length} GPU(s); tasks use ${cgroups.description}`,
  );

  const reports = new PendingReports();
  // The link is made below, after adoption: events of adopted tasks wait here until it exists.
  let link: HostLink | null = null;
  const beforeLink: TaskEventFrame[] = [];
  /** Docker tasks and VPS from their start until their end here: where their controls go. */
  const dockerTasks = new Set<number>();
  const report = (frame: TaskEventFrame): void => {
    reports.produced(frame);
    if (endsOnNode(frame.status)) dockerTasks.delete(frame.taskId);
    if (link === null) beforeLink.push(frame);
    else send(link, frame);
  };
  const send = (hostLink: HostLink, frame: TaskEventFrame): void => {
    hostLink.sendEvent(frame, {
      onDelivered: () => {
        reports.delivered(frame);
        if (!endsOnNode(frame.status)) return;
        // Each executor forgets only ids it holds a record for, so telling both is safe.
        processExecutor.finalDelivered(frame.taskId);
        dockerExecutor.finalDelivered(frame.taskId);
      },
      onDropped: () => {
        reports.dropped(frame);
        logger.warn(
          `dropped the ${frame.status} event of task ${frame.taskId}: too many events queued while disconnected`,
        );
      },
    });
  };

  const processExecutor = createProcessExecutor({
    nodeName: name,
    sharedDir: config.shared_dir,
    localTempDir: config.local_temp_dir,
    numactlPath: config.numactl_path,
    numaZones: resources.numa.map((zone) => zone.id),
    baseEnv,
    cgroups,
    table,
    logger,
    onEvent: report,
    ...(deps.spawner ? { spawner: deps.spawner } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    procRoot: roots.procRoot,
  });
  const clock = deps.clock ?? systemClock;

  // dockerode only connects per call: a runner without a Docker Engine starts and runs
  // no-Docker tasks, and its Docker tasks fail with KAWA_ERR_DOCKER_UNAVAILABLE.
  const docker = deps.docker ?? createDockerEngine(config.docker_socket);
  void docker.ping().then(
    () => logger.debug(`the Docker Engine answers on ${docker.socketPath}`),
    (error: unknown) =>
      logger.warn(`${errorMessage(error)}. Docker tasks fail until it answers; no-Docker tasks run as usual`),
  );
  const dockerExecutor = createDockerExecutor({
    nodeName: name,
    sharedDir: config.shared_dir,
    localTempDir: config.local_temp_dir,
    numaZones: resources.numa,
    engine: docker,
    envSync: createEnvSync({
      engine: docker,
      sharedDir: config.shared_dir,
      records: envRecordsIn(config.state_dir),
      logger,
      clock,
    }),
    table,
    logger,
    onEvent: report,
    onProgress: (frame) => link?.sendProgress(frame),
    clock,
  });

  // Tasks of an earlier run of this runner (a crash, a kill -9, an upgrade) are taken over
  // before the first hello, so that hello lists them and the host keeps them running.
  if (leftovers.length > 0) {
    for (const record of leftovers) {
      const paused = record.final === null && record.status === 'paused';
      const ran = record.final === null || record.startedAt !== null;
      reports.adopted(record.spec.id, paused ? 'paused' : ran ? 'running' : null);
    }
    await processExecutor.adopt(leftovers.filter(isProcessRecord));
    await dockerExecutor.adopt(leftovers.filter(isDockerRecord));
    for (const task of dockerExecutor.liveTasks()) dockerTasks.add(task.taskId);
    logger.info(`adopted ${leftovers.length} task record(s) from a previous run in ${table.dir}`);
  } else {
    // No record, but a crash before the first record leaves containers and exit files behind.
    // The containers in the background: a runner without a Docker Engine must not wait for one.
    await processExecutor.adopt([]);
    void dockerExecutor.adopt([]);
  }

  /** What a stream into a task reaches: its container, a no-Docker task (none), or nothing. */
  const streamSubject = (taskId: number): StreamSubject => {
    if (dockerTasks.has(taskId)) return dockerExecutor.lookup(taskId);
    const noDocker = processExecutor.liveTasks().some((task) => task.taskId === taskId);
    return noDocker ? { kind: 'no-docker' } : null;
  };
  const streams = createStreamService({
    hostUrl,
    ...(ca ? { ca } : {}),
    token,
    nodeName: name,
    engine: docker,
    subject: streamSubject,
    logger,
    ...(options.localStreams ? { localStreams: options.localStreams } : {}),
  });
  const answer = (requestId: number, outcome: ControlOutcome): void =>
    link?.sendCommandResult(commandResult(requestId, outcome));

  const onFrame = (frame: HostWorkFrame): void => {
    switch (frame.type) {
      case 'task-start':
        // Both null: the no-Docker executor (`--container NULL`). A VPS is always a container:
        // the Docker executor refuses one without an image rather than run its argv bare.
        if (frame.task.kind === 'command' && frame.task.container === null && frame.task.image === null) {
          processExecutor.start(frame.task);
        } else {
          dockerTasks.add(frame.task.id);
          dockerExecutor.start(frame.task);
        }
        return;
      case 'task-control': {
        const executor = dockerTasks.has(frame.taskId) ? dockerExecutor : processExecutor;
        // The executor emits the task-event before it resolves, so the event goes out first.
        void executor.control(frame.taskId, frame.action).then((outcome) => answer(frame.requestId, outcome));
        return;
      }
      case 'stream-open':
        // Answered once the stream is dialled back and open, or with why it cannot be.
        void streams.open(frame).then((outcome) => answer(frame.requestId, outcome));
        return;
    }
  };

  const hostLink = createHostLink({
    url,
    token,
    hello: () => ({
      name,
      version: PROTOCOL_VERSION,
      resources,
      liveTasks: reports.liveTasks([...processExecutor.liveTasks(), ...dockerExecutor.liveTasks()]),
    }),
    usage: () => probe.usage(),
    onFrame,
    reconnectMaxDelayMs: config.reconnect_max_delay * 1000,
    ...(ca ? { ca } : {}),
    logger,
  });
  link = hostLink;
  for (const frame of beforeLink.splice(0)) send(hostLink, frame);

  let closing: Promise<void> | null = null;
  return {
    name,
    connected: hostLink.connected,
    close: () =>
      (closing ??= (async () => {
        await Promise.all([streams.close(), processExecutor.close(), dockerExecutor.close()]);
        if (hostLink.isConnected()) await hostLink.flush(2000);
        await hostLink.close();
      })()),
  };
}

function commandResult(requestId: number, outcome: ControlOutcome): CommandResultFrame {
  return {
    type: 'command-result',
    requestId,
    ok: outcome.ok,
    error: outcome.ok ? null : { code: outcome.code, message: outcome.message.slice(0, 4096) },
  };
}

/** The join token: given directly, from the config, or read from the token file at each dial. */
function joinTokenReader(options: StartRunnerOptions): () => Promise<string> {
  const direct = options.joinToken ?? (options.config.join_token === '' ? null : options.config.join_token);
  if (direct !== null) return () => Promise.resolve(direct);
  const file = options.config.join_token_file;
  return async () => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new KawaError(
        'KAWA_ERR_CONFIG',
        `cannot read the join token file ${file}: ${errorMessage(error)}. Set runner.join_token (or KAWA_RUNNER_JOIN_TOKEN), ` +
          'or point runner.join_token_file at the file the host wrote',
        { cause: error },
      );
    }
    const token = text.trim();
    if (token === '') throw new KawaError('KAWA_ERR_CONFIG', `the join token file ${file} is empty`);
    return token;
  };
}

async function prepareDirs(config: RunnerConfig): Promise<void> {
  const dirs = [
    config.state_dir,
    config.local_temp_dir,
    join(config.shared_dir, sharedLayout.data),
    join(config.shared_dir, sharedLayout.logs),
  ];
  for (const dir of dirs) {
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw new KawaError(
        'KAWA_ERR_CONFIG',
        `cannot create ${dir}: ${errorMessage(error)}; check the runner's state, shared and temp dirs`,
        {
          cause: error,
        },
      );
    }
  }
}

import type { FastifyBaseLogger } from 'fastify';
import { holdingStatuses, isFinalStatus, restartableStatuses, type HostConfig } from '@kawa/protocol';
import { AuditLog } from './audit/audit-log.js';
import { AuthService } from './auth/service.js';
import type { Clock } from './clock.js';
import { createEnvServices, type EnvServices } from './envs/services.js';
import { EventHub } from './events/hub.js';
import { LogsService } from './logs/service.js';
import { NodeRegistry } from './nodes/registry.js';
import { NodesService } from './nodes/service.js';
import { RunnerGateway } from './runner-gateway/gateway.js';
import type { LinkSessionDeps } from './runner-gateway/link-session.js';
import { Liveness } from './runner-gateway/liveness.js';
import { reconcileNode } from './runner-gateway/reconcile.js';
import { applyTaskProgress } from './runner-gateway/task-progress.js';
import { applyTaskReport } from './runner-gateway/task-reports.js';
import { Scheduler } from './scheduler/scheduler.js';
import { TaskStreams } from './streams/service.js';
import { toTaskSpec } from './scheduler/task-spec.js';
import type { Store } from './store/store.js';
import { TaskLifecycle } from './tasks/lifecycle.js';
import { Retries } from './tasks/retries.js';
import { TasksService } from './tasks/service.js';
import { FinalWaiters } from './tasks/waiters.js';
import { UsersService } from './users/service.js';
import { VpsService } from './vps/service.js';

export interface ServiceOptions {
  config: HostConfig;
  store: Store;
  clock: Clock;
  log: FastifyBaseLogger;
  commandTimeoutMs: number;
  logPollMs: number;
  /** How long a runner has to dial a stream back. */
  streamOpenTimeoutMs: number;
  /** How often open streams ping both sides. */
  streamPingMs: number;
}

/** Everything behind the routes, wired once per app. */
export interface HostServices {
  auth: AuthService;
  users: UsersService;
  audit: AuditLog;
  nodes: NodesService;
  tasks: TasksService;
  vps: VpsService;
  streams: TaskStreams;
  logs: LogsService;
  envs: EnvServices;
  scheduler: Scheduler;
  gateway: RunnerGateway;
  waiters: FinalWaiters;
  link: LinkSessionDeps;
  events: EventHub;
  /** Aborts on shutdown: long-polls answer, follows end, tarball writes stop. */
  shutdown: AbortController;
  /** Aborts and waits for background work (tarball writes) to clean up. */
  stop(): Promise<void>;
}

export function createServices(options: ServiceOptions): HostServices {
  const { config, store, clock, log } = options;
  const graceMs = Math.round(config.heartbeat_grace * 1000);

  const registry = new NodeRegistry();
  registry.load(
    store.nodes.all(),
    [...holdingStatuses].flatMap((status) => store.tasks.withStatus(status)),
  );
  const lifecycle = new TaskLifecycle(store.tasks, registry, clock);
  const gateway = new RunnerGateway();
  const waiters = new FinalWaiters();
  const scheduler = new Scheduler({
    tasks: store.tasks,
    nodes: registry,
    lifecycle,
    startTask: (node, task) => gateway.send(node, { type: 'task-start', task: toTaskSpec(task) }),
    clock,
    policy: { placement: config.placement_policy, reserveAfterMs: config.backfill_reserve_after * 1000 },
    log,
  });
  for (const task of store.tasks.withStatus('pending')) scheduler.enqueue(task);
  // No runner is connected yet, so this places nothing; it gives every pending task its reason.
  scheduler.requestPass();

  let passQueued = false;
  /** After the current transaction and frame: one pass for a burst of ends. */
  const queuePass = (): void => {
    if (passQueued) return;
    passQueued = true;
    queueMicrotask(() => {
      passQueued = false;
      scheduler.requestPass();
    });
  };
  const retries = new Retries(store.tasks, clock, (task) => scheduler.enqueue(task), log);
  lifecycle.onChange((task, from) => {
    // A stopped VPS changes only when someone restarts or kills it: a wait answers now.
    if (isFinalStatus(task.status) || restartableStatuses.has(task.status)) waiters.notifyFinal(task.id);
    retries.onChange(task, from);
    if (holdingStatuses.has(from) && !holdingStatuses.has(task.status)) queuePass();
  });

  const nodes = new NodesService(store, registry, lifecycle, clock, log, queuePass);
  const grace = `${config.heartbeat_grace} s`;
  const liveness = new Liveness(graceMs, (name) => {
    const link = gateway.get(name);
    if (link?.isOpen) {
      gateway.detach(link);
      link.terminate();
      nodes.goOffline(name, `no heartbeat for ${grace}`);
    } else {
      nodes.goOffline(name, `its runner link closed and did not come back within ${grace}`);
    }
  });
  // Runners of the previous host process get one grace period to reconnect.
  for (const node of registry.all()) if (node.status === 'online') liveness.touch(node.name);

  const shutdown = new AbortController();
  const envs = createEnvServices({ config, clock, log, shutdown: shutdown.signal });
  const tasks = new TasksService({
    config,
    tasks: store.tasks,
    nodes: registry,
    lifecycle,
    scheduler,
    gateway,
    waiters,
    envs: envs.check,
    clock,
    commandTimeoutMs: options.commandTimeoutMs,
  });
  const vps = new VpsService({
    config,
    tasks: store.tasks,
    nodes: registry,
    lifecycle,
    scheduler,
    envs: envs.check,
    clock,
    taskService: tasks,
  });
  const streams = new TaskStreams({
    tasks: store.tasks,
    gateway,
    log,
    openTimeoutMs: options.streamOpenTimeoutMs,
    pingMs: options.streamPingMs,
    shutdown: shutdown.signal,
  });
  lifecycle.onChange((task) => streams.taskChanged(task));

  const link: LinkSessionDeps = {
    gateway,
    heartbeatIntervalMs: Math.max(1, Math.round(config.heartbeat_interval * 1000)),
    helloTimeoutMs: graceMs,
    commandTimeoutMs: options.commandTimeoutMs,
    log,
    onHello: (frame) => {
      nodes.register(frame.name, frame.version, frame.resources);
      liveness.touch(frame.name);
      return reconcileNode(frame.name, frame.liveTasks, store.tasks, lifecycle, log, (task) => scheduler.enqueue(task));
    },
    afterWelcome: () => scheduler.requestPass(),
    onAlive: (name) => liveness.touch(name),
    transaction: (body) => store.tasks.transaction(body),
    onTaskEvents: (name, frames) => {
      store.tasks.transaction(() => {
        for (const frame of frames) applyTaskReport(name, frame, store.tasks, lifecycle, log);
      });
    },
    onFrame: (name, frame, runnerLink) => {
      switch (frame.type) {
        case 'heartbeat':
          nodes.heartbeat(name, frame.usage);
          return;
        case 'task-progress':
          applyTaskProgress(name, frame, store.tasks, log);
          return;
        case 'command-result':
          if (!runnerLink.resolveCommand(frame))
            log.debug({ node: name, requestId: frame.requestId }, 'late or unknown command-result');
          return;
      }
    },
    onDisconnect: (name) => {
      nodes.disconnected(name);
      liveness.touch(name);
    },
  };

  const auth = new AuthService(store.tokens);
  return {
    auth,
    users: new UsersService(store, auth, clock),
    audit: new AuditLog(store.audit, clock),
    nodes,
    tasks,
    vps,
    streams,
    logs: new LogsService(config.shared_dir, store.tasks, waiters, options.logPollMs),
    envs,
    scheduler,
    gateway,
    waiters,
    link,
    events: new EventHub({ lifecycle, nodes, scheduler, tasks: store.tasks, clock, signal: shutdown.signal }),
    shutdown,
    stop: async () => {
      shutdown.abort();
      liveness.stop();
      scheduler.stop();
      await envs.idle();
    },
  };
}

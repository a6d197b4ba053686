import { SNAPSHOT_RECENT_TASKS, type EventFrame, type Node, type Task } from '@kawa/protocol';
import type { Principal } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import type { NodesService } from '../nodes/service.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { TaskRepo } from '../store/task-repo.js';
import type { TaskLifecycle } from '../tasks/lifecycle.js';
import { PendingReasons } from './pending-reasons.js';
import { UsageHistory, toSample } from './usage-history.js';

export interface EventHubDeps {
  lifecycle: TaskLifecycle;
  nodes: NodesService;
  scheduler: Scheduler;
  tasks: TaskRepo;
  clock: Clock;
  /** Aborts when the host shuts down: the sampler stops. */
  signal: AbortSignal;
  /** How often nodes, new tasks and the queue are looked at; 1 s unless a test says otherwise. */
  sampleMs?: number;
}

/** One open event stream. */
export interface Subscriber {
  principal: Principal;
  send(frame: EventFrame): void;
}

/** At most this many new tasks are announced per sample; a bigger burst shows on reload. */
const MAX_NEW_TASKS_PER_SAMPLE = 200;

const maySee = (principal: Principal, task: Task): boolean => principal.admin || task.owner === principal.user;

/**
 * The source of the event stream. Task state changes come from the lifecycle as they commit.
 * Nodes, usage, new submits, pending reasons and the queue length have no change events of
 * their own, so a sampler looks at them once a second (in memory, plus one indexed query) and
 * sends what changed. It also keeps the usage history, so charts have the last hour on load.
 */
export class EventHub {
  private readonly subscribers = new Set<Subscriber>();
  private readonly history = new UsageHistory();
  private readonly pending = new PendingReasons();
  private readonly lastNode = new Map<string, string>();
  private readonly lastHeartbeat = new Map<string, number | null>();
  private lastTaskId: number;
  private lastPending = -1;
  /** The sync progress last sent per syncing task: progress frames change no state, so no event. */
  private readonly syncProgress = new Map<number, string>();

  constructor(private readonly deps: EventHubDeps) {
    this.lastTaskId = this.newestTaskId();
    deps.lifecycle.onChange((task) => this.taskChanged(task));
    this.sample();
    const timer = setInterval(() => this.sample(), deps.sampleMs ?? 1000);
    timer.unref();
    deps.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  }

  /** Adds a stream; returns the snapshot to send first and the way to leave. */
  subscribe(subscriber: Subscriber): { snapshot: EventFrame; unsubscribe: () => void } {
    this.subscribers.add(subscriber);
    return { snapshot: this.snapshot(subscriber.principal), unsubscribe: () => this.subscribers.delete(subscriber) };
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  snapshot(principal: Principal): EventFrame {
    const now = this.deps.clock.now();
    const nodes = this.deps.nodes.list();
    const recent = this.deps.tasks.list({ limit: SNAPSHOT_RECENT_TASKS }).tasks;
    return {
      type: 'snapshot',
      at: now,
      nodes,
      history: nodes.map((node) => ({ node: node.name, samples: this.history.samples(node.name, now) })),
      queue: { pending: this.deps.scheduler.pendingCount },
      recentTasks: recent.filter((task) => maySee(principal, task)).map((task) => this.withLiveReason(task)),
    };
  }

  /** Looks at everything without change events and sends what changed; public for tests. */
  sample(): void {
    for (const node of this.deps.nodes.list()) this.sampleNode(node);
    this.announceNewTasks();
    for (const task of this.pending.changed(this.deps.tasks, this.deps.scheduler)) this.publishTask(task);
    this.sampleSyncProgress();
    const pending = this.deps.scheduler.pendingCount;
    if (pending !== this.lastPending) {
      this.lastPending = pending;
      this.broadcast({ type: 'queue', queue: { pending } });
    }
  }

  private sampleNode(node: Node): void {
    const text = JSON.stringify(node);
    if (this.lastNode.get(node.name) !== text) {
      this.lastNode.set(node.name, text);
      this.broadcast({ type: 'node', node });
    }
    const previous = this.lastHeartbeat.get(node.name);
    this.lastHeartbeat.set(node.name, node.lastHeartbeatAt);
    if (node.usage === null || node.lastHeartbeatAt === null || node.lastHeartbeatAt === previous) return;
    const sample = toSample(node.lastHeartbeatAt, node.usage);
    if (this.history.record(node.name, sample)) this.broadcast({ type: 'usage', node: node.name, sample });
  }

  private sampleSyncProgress(): void {
    const syncing = this.deps.tasks.withStatus('syncing');
    const ids = new Set(syncing.map((task) => task.id));
    for (const id of this.syncProgress.keys()) if (!ids.has(id)) this.syncProgress.delete(id);
    for (const task of syncing) {
      const text = JSON.stringify(task.syncProgress);
      if (this.syncProgress.get(task.id) === text) continue;
      this.syncProgress.set(task.id, text);
      this.publishTask(task);
    }
  }

  /** Submits insert tasks without a state change; they are found by id. */
  private announceNewTasks(): void {
    const newest = this.newestTaskId();
    if (newest <= this.lastTaskId) return;
    const first = Math.max(this.lastTaskId + 1, newest - MAX_NEW_TASKS_PER_SAMPLE + 1);
    this.lastTaskId = newest;
    for (let id = first; id <= newest; id += 1) {
      const task = this.deps.tasks.get(id);
      if (task) this.taskChanged(task);
    }
  }

  private taskChanged(task: Task): void {
    this.pending.track(task);
    this.publishTask(this.withLiveReason(task));
  }

  private publishTask(task: Task): void {
    for (const subscriber of this.subscribers)
      if (maySee(subscriber.principal, task)) subscriber.send({ type: 'task', task });
  }

  private broadcast(frame: EventFrame): void {
    for (const subscriber of this.subscribers) subscriber.send(frame);
  }

  private withLiveReason(task: Task): Task {
    if (task.status !== 'pending') return task;
    const reason = this.deps.scheduler.pendingReason(task.id);
    return reason === null ? task : { ...task, reason };
  }

  private newestTaskId(): number {
    return this.deps.tasks.list({ limit: 1 }).tasks[0]?.id ?? 0;
  }
}

import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from '@fastify/websocket';
import type { FastifyBaseLogger } from 'fastify';
import type { StreamKind, Task } from '@kawa/protocol';
import type { RunnerGateway } from '../runner-gateway/gateway.js';
import type { TaskRepo } from '../store/task-repo.js';
import { StreamBroker } from './broker.js';
import type { Relay } from './relay.js';
import { runRawSshSession } from './raw-session.js';
import { RelayProcess } from './relay-process.js';
import { runStreamSession, type SessionDeps } from './session.js';
import { streamTarget, type StreamRequest, type StreamTarget } from './target.js';

export interface TaskStreamsDeps {
  tasks: TaskRepo;
  gateway: RunnerGateway;
  log: FastifyBaseLogger;
  openTimeoutMs: number;
  pingMs: number;
  shutdown: AbortSignal;
}

/**
 * After a task leaves running or paused its runner ends its streams (sshd or the exec goes);
 * the host closes what is still open after this long, leaving time for a terminal's `exit`.
 */
const TASK_END_GRACE_MS = 2_000;

/** SSH and terminal streams into tasks: who may open one, the dial-backs, the open relays. */
export class TaskStreams {
  readonly broker = new StreamBroker();
  private readonly open = new Map<number, Set<Relay>>();
  private readonly relayProcess: RelayProcess;

  constructor(private readonly deps: TaskStreamsDeps) {
    this.relayProcess = new RelayProcess(deps.log);
  }

  /** Ends the relay process (and the streams it pipes); for the host's shutdown. */
  close(): void {
    this.relayProcess.close();
  }

  /** Checks a client's request before the upgrade; throws the coded refusal. */
  target(kind: StreamKind, request: StreamRequest): StreamTarget {
    return streamTarget(kind, request, {
      task: (id) => this.deps.tasks.get(id),
      isConnected: (node) => this.deps.gateway.isConnected(node),
    });
  }

  /** Runs an upgraded client socket to the end of its stream. */
  run(client: WebSocket, target: StreamTarget): void {
    runStreamSession(client, target, this.sessionDeps());
  }

  /** Runs a client connection that took the unframed `kawa-ssh` upgrade to the end of its stream. */
  runRaw(client: Socket, head: Buffer, target: StreamTarget): void {
    runRawSshSession(client, head, target, { ...this.sessionDeps(), relayProcess: this.relayProcess });
  }

  private sessionDeps(): SessionDeps {
    return {
      broker: this.broker,
      gateway: this.deps.gateway,
      log: this.deps.log,
      openTimeoutMs: this.deps.openTimeoutMs,
      pingMs: this.deps.pingMs,
      shutdown: this.deps.shutdown,
      track: (taskId, relay) => this.track(taskId, relay),
    };
  }

  /**
   * Takes a runner's end of a stream from a runner in this process (`kawa up`), in place of its
   * dial-back; false when no stream with this id waits for one.
   */
  acceptLocal(streamId: string, socket: Duplex): boolean {
    return this.broker.joinLocal(streamId, socket);
  }

  /** A lifecycle listener: the streams of a task that stopped running close (after a grace). */
  taskChanged(task: Task): void {
    if (task.status === 'running' || task.status === 'paused') return;
    // Only the streams open now: a VPS restarted within the grace may have new ones.
    const relays = [...(this.open.get(task.id) ?? [])];
    if (relays.length === 0) return;
    const reason = `task ${task.id} is ${task.status}`;
    const timer = setTimeout(() => {
      for (const relay of relays) relay.end({ client: { code: 1000, reason }, runner: { code: 1000, reason } });
    }, TASK_END_GRACE_MS);
    timer.unref();
  }

  /** How many relays are open (tests check that closing cleans up). */
  get relayCount(): number {
    let count = 0;
    for (const relays of this.open.values()) count += relays.size;
    return count;
  }

  private track(taskId: number, relay: Relay): () => void {
    let relays = this.open.get(taskId);
    if (!relays) {
      relays = new Set();
      this.open.set(taskId, relays);
    }
    relays.add(relay);
    return () => {
      relays.delete(relay);
      if (relays.size === 0 && this.open.get(taskId) === relays) this.open.delete(taskId);
    };
  }
}

import type { WebSocket } from '@fastify/websocket';
import type { FastifyBaseLogger } from 'fastify';
import {
  RunnerFrameSchema,
  fromZodError,
  linkCloseCodes,
  type HelloFrame,
  type RunnerFrame,
  type TaskEventFrame,
} from '@kawa/protocol';
import type { RunnerGateway } from './gateway.js';
import type { ReconcileAction } from './reconcile.js';
import type { BatchedEvents, TaskEventBatch } from './event-batch.js';
import { RunnerLink, type LinkWire } from './runner-link.js';

/** What a link session needs from the rest of the host. */
export interface LinkSessionDeps {
  gateway: RunnerGateway;
  heartbeatIntervalMs: number;
  /** A socket that sends no hello within this long is closed. */
  helloTimeoutMs: number;
  commandTimeoutMs: number;
  log: FastifyBaseLogger;
  /** Registers the node and reconciles its tasks; returns what the runner must kill or stop. */
  onHello(frame: HelloFrame): ReconcileAction[];
  /** Called after welcome went out, so placements on the new node follow it. */
  afterWelcome(name: string): void;
  /** Any frame from a registered runner proves it is alive. */
  onAlive(name: string): void;
  /** Applies one link's task-events, in one transaction (a savepoint inside the batch's). */
  onTaskEvents(name: string, frames: readonly TaskEventFrame[]): void;
  /**
   * Runs `body` in one SQLite transaction, nesting as a savepoint: the task-events of every link
   * from one turn of the event loop are applied in one (see TaskEventBatch).
   */
  transaction<T>(body: () => T): T;
  onFrame(name: string, frame: Exclude<RunnerFrame, HelloFrame | TaskEventFrame>, link: RunnerLink): void;
  onDisconnect(name: string): void;
}

/** RawData from ws: a Buffer, an ArrayBuffer, or fragments. */
function frameText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/**
 * Runs one runner's WebSocket: the first frame must be `hello`; after `welcome`, frames are
 * dispatched in arrival order. Any invalid frame closes the link with `protocolError`.
 */
export function runLinkSession(
  socket: WebSocket,
  deps: LinkSessionDeps,
  batch: TaskEventBatch,
  wire: LinkWire | null = null,
): void {
  const link = new RunnerLink(socket, wire);
  const protocolError = (message: string): void => {
    deps.log.warn({ node: link.name, message }, 'runner link protocol error');
    // The reason leads with the code, so the runner can log why in Kawa's terms.
    link.close(linkCloseCodes.protocolError, `KAWA_ERR_PROTOCOL: ${message}`);
  };
  const helloTimer = setTimeout(() => protocolError('no hello frame in time'), deps.helloTimeoutMs);
  helloTimer.unref();

  // task-events wait for the end of this turn of the event loop and are applied together with
  // every other link's; a frame of another kind first applies this link's, so its order holds.
  const pendingEvents: TaskEventFrame[] = [];
  const ack = (frames: readonly TaskEventFrame[]): void => {
    // Committed (better-sqlite3 is synchronous): only now may the runner forget them (ADR 5).
    // Events of a link that closed first are not acked; the runner sends them again.
    for (const frame of frames) link.send({ type: 'task-event-ack', taskId: frame.taskId, status: frame.status });
  };
  const events: BatchedEvents = {
    apply: () => {
      if (pendingEvents.length === 0 || link.name === null || !link.isOpen) return [];
      const frames = pendingEvents.splice(0);
      deps.onTaskEvents(link.name, frames);
      return frames;
    },
    committed: ack,
    failed: (error) => failed(error),
  };
  const flushEvents = (): void => {
    if (pendingEvents.length > 0) ack(deps.transaction(() => events.apply()));
  };
  const failed = (error: unknown): void => {
    deps.log.error({ err: error, node: link.name }, 'failed to handle a runner frame');
    link.close(1011, 'KAWA_ERR_INTERNAL: internal error on the host');
  };

  const onMessage = (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void => {
    // Frames that arrive while a close is under way (name in use, protocol error) are dropped.
    if (!link.isOpen) return;
    if (isBinary) return protocolError('frames must be JSON text, not binary');
    let json: unknown;
    try {
      json = JSON.parse(frameText(data));
    } catch {
      return protocolError('a frame is not valid JSON');
    }
    const parsed = RunnerFrameSchema.safeParse(json);
    if (!parsed.success) return protocolError(fromZodError(parsed.error, 'invalid frame').message);
    const frame = parsed.data;

    if (link.name === null) {
      if (frame.type !== 'hello') return protocolError(`the first frame must be hello, got ${frame.type}`);
      if (!deps.gateway.attach(frame.name, link)) {
        deps.log.warn({ node: frame.name }, 'a second runner tried to use a connected node name');
        link.close(linkCloseCodes.nameInUse, `another runner is connected as ${frame.name}`);
        return;
      }
      clearTimeout(helloTimer);
      const actions = deps.onHello(frame);
      link.send({ type: 'welcome', heartbeatIntervalMs: deps.heartbeatIntervalMs });
      for (const { taskId, action } of actions) {
        link.command(taskId, action, deps.commandTimeoutMs).catch((error: unknown) => {
          deps.log.warn({ node: frame.name, taskId, action, err: error }, 'could not end a task the host does not run');
        });
      }
      deps.afterWelcome(frame.name);
      return;
    }
    deps.onAlive(link.name);
    if (frame.type === 'hello') return protocolError('hello was already sent on this link');
    if (frame.type === 'task-event') {
      pendingEvents.push(frame);
      batch.add(events);
      return;
    }
    flushEvents();
    deps.onFrame(link.name, frame, link);
  };

  socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    try {
      onMessage(data, isBinary);
    } catch (error) {
      failed(error);
    }
  });
  socket.on('close', () => {
    clearTimeout(helloTimer);
    link.markClosed();
    if (deps.gateway.detach(link) && link.name !== null) deps.onDisconnect(link.name);
  });
}

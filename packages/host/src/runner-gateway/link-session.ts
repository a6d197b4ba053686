import type { WebSocket } from '@fastify/websocket';
import type { FastifyBaseLogger } from 'fastify';
import { RunnerFrameSchema, fromZodError, linkCloseCodes, type HelloFrame, type RunnerFrame } from '@kawa/protocol';
import type { RunnerGateway } from './gateway.js';
import type { ReconcileAction } from './reconcile.js';
import { RunnerLink } from './runner-link.js';

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
  onFrame(name: string, frame: Exclude<RunnerFrame, HelloFrame>, link: RunnerLink): void;
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
export function runLinkSession(socket: WebSocket, deps: LinkSessionDeps): void {
  const link = new RunnerLink(socket);
  const protocolError = (message: string): void => {
    deps.log.warn({ node: link.name, message }, 'runner link protocol error');
    // The reason leads with the code, so the runner can log why in Kawa's terms.
    link.close(linkCloseCodes.protocolError, `KAWA_ERR_PROTOCOL: ${message}`);
  };
  const helloTimer = setTimeout(() => protocolError('no hello frame in time'), deps.helloTimeoutMs);
  helloTimer.unref();

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
    deps.onFrame(link.name, frame, link);
    // onFrame applied the event in a committed SQLite transaction (better-sqlite3 is synchronous):
    // only now may the runner forget it (ADR 5).
    if (frame.type === 'task-event') link.send({ type: 'task-event-ack', taskId: frame.taskId, status: frame.status });
  };

  socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    try {
      onMessage(data, isBinary);
    } catch (error) {
      deps.log.error({ err: error, node: link.name }, 'failed to handle a runner frame');
      link.close(1011, 'KAWA_ERR_INTERNAL: internal error on the host');
    }
  });
  socket.on('close', () => {
    clearTimeout(helloTimer);
    link.markClosed();
    if (deps.gateway.detach(link) && link.name !== null) deps.onDisconnect(link.name);
  });
}

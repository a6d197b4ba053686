import WebSocket, { type RawData } from 'ws';
import {
  HostFrameSchema,
  KawaError,
  fromZodError,
  linkCloseCodes,
  MAX_FRAME_BYTES,
  RunnerFrameSchema,
  type CommandResultFrame,
  type HelloFrame,
  type HostFrame,
  type NodeUsage,
  type RunnerFrame,
  type TaskEventAckFrame,
  type TaskEventFrame,
  type TaskProgressFrame,
} from '@kawa/protocol';
import type { Logger } from '../logger.js';
import { errorMessage } from '../util/errno.js';
import { reconnectDelay } from './backoff.js';
import { Outbox, type OutboxItem } from './outbox.js';

/** Frames the host sends after welcome: work for the runner (acks are the link's own business). */
export type HostWorkFrame = Exclude<HostFrame, { type: 'welcome' } | { type: 'task-event-ack' }>;

export interface HostLinkOptions {
  /** The runner-link WebSocket URL (see runnerLinkUrl). */
  url: string;
  /** The join token, read at every dial so a rotated token file is picked up. */
  token: () => Promise<string>;
  /** The hello frame, built at every dial: live tasks change while disconnected. */
  hello: () => Omit<HelloFrame, 'type'>;
  usage: () => Promise<NodeUsage>;
  onFrame: (frame: HostWorkFrame) => void;
  reconnectMaxDelayMs: number;
  reconnectBaseDelayMs?: number;
  /** PEM CA certificate(s) to trust for a wss:// host (runner.ca_file); absent: the system's. */
  ca?: Buffer;
  /** Most task events kept while disconnected. */
  maxQueuedEvents?: number;
  logger: Logger;
  random?: () => number;
}

export interface HostLink {
  /** Resolves at the first welcome; rejects if the link is closed before one. */
  readonly connected: Promise<void>;
  isConnected(): boolean;
  /**
   * Sends now when welcomed, else queues; onDelivered runs once the host acknowledged the event
   * (stored it). An event not acknowledged when the link drops is sent again on the next one.
   */
  sendEvent(frame: TaskEventFrame, callbacks?: { onDelivered?: () => void; onDropped?: () => void }): void;
  /** Answers a task-control; dropped when the link it came on is gone (the host gave up on it). */
  sendCommandResult(frame: CommandResultFrame): void;
  /**
   * Sends sync progress while the link is up; dropped otherwise, never queued: the next frame
   * supersedes it, and a reconnect must not replay a backlog of stale percentages.
   */
  sendProgress(frame: TaskProgressFrame): void;
  /** Waits (at most timeoutMs) until every queued and in-flight event is written. */
  flush(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

type LinkState = 'dialing' | 'greeting' | 'ready' | 'waiting' | 'closed';

/**
 * The runner's end of the runner link: dials the host, says hello, heartbeats after welcome,
 * and dials again with backoff whenever the link drops. Task events survive drops in a bounded
 * outbox. Frames are checked with the protocol schemas in both directions.
 */
export function createHostLink(options: HostLinkOptions): HostLink {
  const { logger } = options;
  const baseDelay = options.reconnectBaseDelayMs ?? 200;
  const outbox = new Outbox(options.maxQueuedEvents ?? 100_000);
  const inflight = new Set<OutboxItem>();
  let state: LinkState = 'waiting';
  let socket: WebSocket | null = null;
  let attempt = 0;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let heartbeatTimer: NodeJS.Timeout | null = null;
  let awaitingPong = false;
  let sampling = false;
  let quietFailures = false;
  let nextDelayMs: number | null = null;
  const flushWaiters = new Set<() => void>();

  let markConnected!: () => void;
  let failConnected!: (error: Error) => void;
  const connected = new Promise<void>((resolve, reject) => {
    markConnected = resolve;
    failConnected = reject;
  });
  // Nobody has to await `connected`; a close before the first welcome must not crash the runner.
  connected.catch(() => {});

  function encode(frame: RunnerFrame): string | null {
    const parsed = RunnerFrameSchema.safeParse(frame);
    if (parsed.success) return JSON.stringify(parsed.data);
    logger.error(`bug: refusing to send an invalid ${frame.type} frame: ${parsed.error.message}`);
    return null;
  }

  function settleFlushWaiters(): void {
    if (outbox.size > 0 || inflight.size > 0) return;
    for (const waiter of flushWaiters) waiter();
    flushWaiters.clear();
  }

  function transmit(item: OutboxItem): void {
    const text = encode(item.frame);
    if (text === null || socket === null) return;
    inflight.add(item);
    socket.send(text, (error) => {
      // Written is not stored: the item stays in flight until the host's task-event-ack.
      if (error && inflight.delete(item)) outbox.requeue([item]);
    });
  }

  /** The host stored an event: the oldest in-flight one for that task and status is done. */
  function onAck(ack: TaskEventAckFrame): void {
    for (const item of inflight) {
      if (item.frame.taskId !== ack.taskId || item.frame.status !== ack.status) continue;
      inflight.delete(item);
      item.onDelivered?.();
      settleFlushWaiters();
      return;
    }
    logger.debug(`an ack for task ${ack.taskId} (${ack.status}) matched no event in flight`);
  }

  function sendRaw(frame: RunnerFrame): void {
    const text = encode(frame);
    if (text !== null && socket !== null && socket.readyState === WebSocket.OPEN) socket.send(text);
  }

  function onWelcome(heartbeatIntervalMs: number): void {
    if (state !== 'greeting') return;
    state = 'ready';
    attempt = 0;
    quietFailures = false;
    logger.info(`connected to the host at ${options.url}`);
    markConnected();
    for (const item of outbox.takeAll()) transmit(item);
    settleFlushWaiters();
    awaitingPong = false;
    void heartbeat();
    heartbeatTimer = setInterval(() => {
      // No pong since the previous beat: the peer is gone without a close (cable, crash).
      if (awaitingPong) {
        logger.warn('the host stopped answering pings; reconnecting');
        socket?.terminate();
        return;
      }
      awaitingPong = true;
      socket?.ping();
      void heartbeat();
    }, heartbeatIntervalMs);
  }

  async function heartbeat(): Promise<void> {
    if (sampling) return;
    sampling = true;
    try {
      const usage = await options.usage();
      if (state === 'ready') sendRaw({ type: 'heartbeat', usage });
    } catch (error) {
      logger.warn(`cannot sample usage for the heartbeat: ${errorMessage(error)}`);
    } finally {
      sampling = false;
    }
  }

  /**
   * Parses one frame from the host. An invalid frame is refused with KAWA_ERR_PROTOCOL in the
   * log and dropped; the link stays up, since the tasks it reports on keep running either way.
   */
  function onMessage(data: RawData, isBinary: boolean): void {
    const refuse = (why: string): void => logger.warn(`KAWA_ERR_PROTOCOL: ignored ${why}`);
    if (isBinary) return refuse('a binary frame from the host');
    let json: unknown;
    try {
      json = JSON.parse(rawText(data));
    } catch {
      return refuse('a frame from the host that is not JSON');
    }
    const parsed = HostFrameSchema.safeParse(json);
    if (!parsed.success)
      return refuse(`an invalid frame from the host: ${fromZodError(parsed.error, 'frame').message}`);
    const frame = parsed.data;
    if (frame.type === 'welcome') {
      onWelcome(frame.heartbeatIntervalMs);
      return;
    }
    if (frame.type === 'task-event-ack') {
      onAck(frame);
      return;
    }
    try {
      options.onFrame(frame);
    } catch (error) {
      // A handler bug must not take the runner, and every task on it, down with it.
      logger.error(`KAWA_ERR_INTERNAL: failed to handle a ${frame.type} frame: ${errorMessage(error)}`);
    }
  }

  function onClose(code: number, reason: string): void {
    socket = null;
    if (heartbeatTimer !== null) clearInterval(heartbeatTimer);
    heartbeatTimer = null;
    // Events written to a socket that closed may never have arrived; send them again.
    outbox.requeue([...inflight]);
    inflight.clear();
    if (state === 'closed') return;
    const wasReady = state === 'ready';
    state = 'waiting';
    let delay = reconnectDelay(attempt, baseDelay, options.reconnectMaxDelayMs, options.random);
    if (code === linkCloseCodes.nameInUse) {
      delay = options.reconnectMaxDelayMs;
      logger.error(
        `the host refused the name "${options.hello().name}": another connected runner uses it. ` +
          `Retrying every ${Math.round(delay / 1000)} s; give this runner its own name (runner.name or --name).`,
      );
    } else if (nextDelayMs !== null) {
      delay = nextDelayMs;
    } else if (wasReady || !quietFailures) {
      logger.warn(`the link to the host closed (${code}${reason ? `: ${reason}` : ''}); reconnecting in ${delay} ms`);
    }
    nextDelayMs = null;
    quietFailures = true;
    attempt += 1;
    reconnectTimer = setTimeout(() => void dial(), delay);
  }

  async function dial(): Promise<void> {
    reconnectTimer = null;
    if (state === 'closed') return;
    state = 'dialing';
    let token: string;
    try {
      token = await options.token();
    } catch (error) {
      logger.error(`cannot read the join token: ${errorMessage(error)}`);
      onClose(1006, 'no join token');
      return;
    }
    if (state !== 'dialing') return;
    const ws = new WebSocket(options.url, {
      headers: { authorization: `Bearer ${token}` },
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 10_000,
      perMessageDeflate: false,
      ...(options.ca ? { ca: options.ca } : {}),
    });
    socket = ws;
    ws.on('open', () => {
      state = 'greeting';
      const hello = options.hello();
      sendRaw({ type: 'hello', ...hello });
    });
    ws.on('message', onMessage);
    ws.on('pong', () => {
      awaitingPong = false;
    });
    ws.on('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      if (status === 401 || status === 403) {
        logger.error(
          `the host refused the join token (HTTP ${status}); check runner.join_token or runner.join_token_file`,
        );
        nextDelayMs = options.reconnectMaxDelayMs;
      } else if (!quietFailures) {
        logger.warn(`the host answered the runner link with HTTP ${status}`);
      }
      response.resume();
      ws.terminate();
    });
    ws.on('error', (error) => {
      if (!quietFailures) logger.warn(`cannot reach the host at ${options.url}: ${error.message}`);
      else logger.debug(`link error: ${error.message}`);
    });
    ws.on('close', (code, reason) => {
      if (socket === ws) onClose(code, reason.toString('utf8'));
    });
  }

  void dial();

  return {
    connected,
    isConnected: () => state === 'ready',

    sendEvent(frame, callbacks = {}) {
      const item: OutboxItem = { frame, ...callbacks };
      if (state === 'ready' && outbox.size === 0) transmit(item);
      else outbox.push(item);
    },

    sendCommandResult(frame) {
      if (state === 'ready') sendRaw(frame);
      else logger.debug(`dropped the result of request ${frame.requestId}: the link it came on is gone`);
    },

    sendProgress(frame) {
      if (state === 'ready') sendRaw(frame);
    },

    flush(timeoutMs) {
      if (outbox.size === 0 && inflight.size === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done(): void {
          clearTimeout(timer);
          flushWaiters.delete(done);
          resolve();
        }
        flushWaiters.add(done);
      });
    },

    async close() {
      if (state === 'closed') return;
      const wasConnected = state === 'ready';
      state = 'closed';
      if (reconnectTimer !== null) clearTimeout(reconnectTimer);
      if (heartbeatTimer !== null) clearInterval(heartbeatTimer);
      reconnectTimer = heartbeatTimer = null;
      if (!wasConnected)
        failConnected(new KawaError('KAWA_ERR_RUNNER_UNAVAILABLE', 'the runner stopped before the host welcomed it'));
      const ws = socket;
      if (ws === null || ws.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2000);
        ws.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
        else ws.close(1000, 'runner stopping');
      });
    },
  };
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

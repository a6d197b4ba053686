import type { WebSocket } from '@fastify/websocket';
import { EventClientFrameSchema, eventCloseCodes, type EventFrame } from '@kawa/protocol';
import type { Principal } from '../auth/principal.js';
import type { EventHub } from './hub.js';

export interface EventSessionOptions {
  /** Aborts when the host shuts down: the stream closes with 1001. */
  signal: AbortSignal;
  /** A client that has this much unsent data is dropped; it reconnects for a fresh snapshot. */
  maxBufferedBytes?: number;
  /** A WebSocket ping goes out this often; a client that missed the last one is dropped. */
  pingMs?: number;
}

const DEFAULT_MAX_BUFFERED_BYTES = 8 << 20;
const DEFAULT_PING_MS = 30_000;
/** How long a closing client has to answer the close frame before its socket is cut. */
const CLOSE_GRACE_MS = 1_000;

/** RawData from ws as text. */
function frameText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function parseClientFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): 'ping' | null {
  if (isBinary) return null;
  try {
    const parsed = EventClientFrameSchema.safeParse(JSON.parse(frameText(data)));
    return parsed.success ? parsed.data.type : null;
  } catch {
    return null;
  }
}

/** Runs one event stream: the snapshot, then every change the hub publishes, until either side closes. */
export function runEventSession(
  socket: WebSocket,
  principal: Principal,
  hub: EventHub,
  options: EventSessionOptions,
): void {
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  let closed = false;
  const close = (code: number, reason: string): void => {
    if (closed) return;
    closed = true;
    socket.close(code, reason);
    setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
  };
  const send = (frame: EventFrame): void => {
    if (closed || socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > maxBuffered) return close(eventCloseCodes.tooSlow, 'too far behind; reconnect');
    socket.send(JSON.stringify(frame));
  };

  const { snapshot, unsubscribe } = hub.subscribe({ principal, send });
  send(snapshot);

  let answeredPing = true;
  const pinger = setInterval(() => {
    if (!answeredPing) return socket.terminate();
    answeredPing = false;
    socket.ping();
  }, options.pingMs ?? DEFAULT_PING_MS);
  pinger.unref();
  socket.on('pong', () => (answeredPing = true));

  const onShutdown = (): void => close(1001, 'the host is shutting down');
  options.signal.addEventListener('abort', onShutdown, { once: true });

  socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    if (parseClientFrame(data, isBinary) === 'ping') send({ type: 'pong' });
    else close(eventCloseCodes.badFrame, 'KAWA_ERR_BAD_REQUEST: frames must be {"type":"ping"}');
  });
  socket.on('close', () => {
    closed = true;
    unsubscribe();
    clearInterval(pinger);
    options.signal.removeEventListener('abort', onShutdown);
  });
}

import {
  EventFrameSchema,
  authSubprotocols,
  eventCloseCodes,
  eventStreamRoute,
  type EventClientFrame,
  type EventFrame,
} from '@kawa/protocol';
import { webSocketUrl } from './session';

export type StreamState = 'connecting' | 'open' | 'retrying' | 'stopped';

export interface EventStreamOptions {
  token: string;
  onFrame(frame: EventFrame): void;
  onState(state: StreamState, detail: string): void;
}

/** Backoff between reconnects: 1 s doubling to 30 s. */
const RETRY_MS = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000];
/** After this many failed reconnects in a row the stream stops and offers a button. */
const MAX_RETRIES = 40;
const PING_MS = 20_000;
const PONG_TIMEOUT_MS = 10_000;

/**
 * The one WebSocket every view's live data comes from. It authenticates with subprotocols,
 * parses every frame with the protocol's schema, pings so a dead connection is noticed, and
 * reconnects with bounded backoff (each reconnect starts with a fresh snapshot).
 */
export class EventStream {
  private socket: WebSocket | null = null;
  private failures = 0;
  private retryTimer: number | undefined;
  private pingTimer: number | undefined;
  private pongTimer: number | undefined;
  private stopped = false;

  constructor(private readonly options: EventStreamOptions) {}

  start(): void {
    this.stopped = false;
    this.failures = 0;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    this.clearPing();
    this.socket?.close(1000, 'logged out');
    this.socket = null;
    this.options.onState('stopped', 'disconnected');
  }

  private connect(): void {
    this.options.onState('connecting', 'connecting…');
    const socket = new WebSocket(webSocketUrl(eventStreamRoute.path), authSubprotocols(this.options.token));
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.failures = 0;
      this.options.onState('open', 'live');
      this.schedulePing();
    });
    socket.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (typeof event.data !== 'string') return;
      let json: unknown;
      try {
        json = JSON.parse(event.data);
      } catch {
        return this.drop('the host sent a frame that is not JSON');
      }
      const parsed = EventFrameSchema.safeParse(json);
      if (!parsed.success) return this.drop('the host sent a frame this dashboard does not know; reload the page');
      if (parsed.data.type === 'pong') window.clearTimeout(this.pongTimer);
      else this.options.onFrame(parsed.data);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.clearPing();
      if (this.stopped) return;
      const why = event.code === eventCloseCodes.tooSlow ? 'fell behind' : `closed (${event.code})`;
      this.retry(why);
    });
  }

  private drop(why: string): void {
    const socket = this.socket;
    this.socket = null;
    this.clearPing();
    socket?.close(1000);
    this.retry(why);
  }

  private retry(why: string): void {
    this.failures += 1;
    if (this.failures > MAX_RETRIES) {
      this.stopped = true;
      this.options.onState('stopped', `${why}; gave up after ${MAX_RETRIES} tries`);
      return;
    }
    const delay = RETRY_MS[Math.min(this.failures - 1, RETRY_MS.length - 1)] ?? 30_000;
    this.options.onState('retrying', `${why}; reconnecting in ${delay / 1000} s`);
    this.retryTimer = window.setTimeout(() => this.connect(), delay);
  }

  private schedulePing(): void {
    this.pingTimer = window.setInterval(() => {
      const frame: EventClientFrame = { type: 'ping' };
      this.socket?.send(JSON.stringify(frame));
      window.clearTimeout(this.pongTimer);
      this.pongTimer = window.setTimeout(() => this.drop('no answer to a ping'), PONG_TIMEOUT_MS);
    }, PING_MS);
  }

  private clearPing(): void {
    window.clearInterval(this.pingTimer);
    window.clearTimeout(this.pongTimer);
  }
}

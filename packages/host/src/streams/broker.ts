import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { WebSocket } from '@fastify/websocket';
import { KawaError } from '@kawa/protocol';

/** What a stream waiting for its runner does when the runner dials back, or does not. */
export interface DialBackWaiter {
  /** The runner's socket arrived; from now on the stream is the caller's. */
  joined(socket: WebSocket): void;
  /**
   * A runner in this very process handed over its end (the TCP connection to sshd) instead of
   * dialling back. Only streams that asked for it (`raw`) take one.
   */
  joinedLocal?(socket: Duplex): void;
  /** No dial-back: the deadline passed, the runner refused, or the link failed. */
  failed(error: KawaError): void;
}

interface Waiting extends DialBackWaiter {
  timer: NodeJS.Timeout;
}

/** A stream id: 32 url-safe characters from 24 random bytes, unguessable. */
export function newStreamId(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Streams that asked a runner (`stream-open`) and wait for it to dial back. The stream id is
 * the capability: it only ever travels over the authenticated link to the task's node, and is
 * good for one dial-back before its deadline.
 */
export class StreamBroker {
  private readonly waiting = new Map<string, Waiting>();

  /** Registers `streamId`; `waiter` hears of the dial-back, or of a failure after `timeoutMs`. */
  expect(streamId: string, waiter: DialBackWaiter, timeoutMs: number, node: string): void {
    const timer = setTimeout(() => {
      this.fail(
        streamId,
        new KawaError('KAWA_ERR_RUNNER_TIMEOUT', `node ${node} did not open the stream within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    timer.unref();
    this.waiting.set(streamId, { ...waiter, timer });
  }

  /** Whether a stream with this id waits for its dial-back. */
  has(streamId: string): boolean {
    return this.waiting.has(streamId);
  }

  /** Hands a dialled-back socket to its stream; false when none waits (unknown, expired, taken). */
  join(streamId: string, socket: WebSocket): boolean {
    const waiting = this.take(streamId);
    waiting?.joined(socket);
    return waiting !== null;
  }

  /**
   * Hands a runner's local end to its stream (`kawa up`: host and runner share a process); false
   * when none waits or the stream takes only a dial-back, and the caller keeps the socket.
   */
  joinLocal(streamId: string, socket: Duplex): boolean {
    if (this.waiting.get(streamId)?.joinedLocal === undefined) return false;
    this.take(streamId)?.joinedLocal?.(socket);
    return true;
  }

  /** Fails a stream still waiting; one already joined is left alone. */
  fail(streamId: string, error: KawaError): void {
    this.take(streamId)?.failed(error);
  }

  /** Forgets a stream whose client left before the dial-back. */
  cancel(streamId: string): void {
    this.take(streamId);
  }

  get size(): number {
    return this.waiting.size;
  }

  private take(streamId: string): Waiting | null {
    const waiting = this.waiting.get(streamId);
    if (!waiting) return null;
    this.waiting.delete(streamId);
    clearTimeout(waiting.timer);
    return waiting;
  }
}

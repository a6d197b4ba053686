import WebSocket from 'ws';
import { ErrorBodySchema, TerminalServerFrameSchema, type ErrorBody, type TerminalServerFrame } from '@kawa/protocol';
import { Changes } from './changes.js';
import type { CloseInfo } from './fake-runner.js';

/** An upgrade the host answered with plain HTTP: its status and coded error body. */
export class RefusedUpgrade extends Error {
  constructor(
    readonly status: number,
    readonly error: ErrorBody['error'],
  ) {
    super(`HTTP ${status} ${error.code}`);
  }
}

/**
 * A client of SSH and terminal streams for tests: it keeps the bytes it receives and the
 * text frames (parsed with the protocol), and lets a test wait for either. Every wait is bounded.
 */
export class StreamClient {
  private readonly chunks: Buffer[] = [];
  received = 0;
  readonly frames: TerminalServerFrame[] = [];
  readonly closed: Promise<CloseInfo>;
  private readonly changes = new Changes();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        this.chunks.push(data);
        this.received += data.length;
      } else this.frames.push(TerminalServerFrameSchema.parse(JSON.parse(data.toString('utf8'))));
      this.changes.notify();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString('utf8') });
        this.changes.notify();
      });
    });
  }

  /** Opens `url`; rejects with a RefusedUpgrade when the host answers with HTTP instead. */
  static open(url: string, options: { headers?: Record<string, string>; protocols?: string[] }): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} });
      socket.once('open', () => resolve(new StreamClient(socket)));
      socket.once('unexpected-response', (_request, response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () => {
          const body = ErrorBodySchema.parse(JSON.parse(Buffer.concat(parts).toString('utf8')));
          reject(new RefusedUpgrade(response.statusCode ?? 0, body.error));
          socket.terminate();
        });
      });
      socket.once('error', reject);
    });
  }

  /** Everything binary received so far, in order. */
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  send(data: Buffer | string): void {
    this.socket.send(data, { binary: typeof data !== 'string' });
  }

  /** Waits until `check` holds (it is asked again after every message and at the close). */
  until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    return this.changes.until(
      check,
      timeoutMs,
      () => `${what}: not within ${timeoutMs} ms (received ${this.received} bytes)`,
    );
  }

  close(code?: number): Promise<CloseInfo> {
    this.socket.close(code);
    return this.closed;
  }
}

import WebSocket from 'ws';
import { EventFrameSchema, authSubprotocols, eventStreamRoute, type EventFrame } from '@kawa/protocol';

type FrameOf<T extends EventFrame['type']> = Extract<EventFrame, { type: T }>;

/**
 * An event-stream client over a real WebSocket, for tests: it authenticates the way a browser
 * does (subprotocols), parses every frame with the protocol, and waits for frames with bounds.
 */
export class TestStream {
  readonly frames: EventFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.frames.push(EventFrameSchema.parse(JSON.parse(data.toString('utf8'))));
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
    });
  }

  /** Opens the stream; rejects with `HTTP <status>` when the host refuses the upgrade. */
  static open(wsBase: string, protocols: string[], path: string = eventStreamRoute.path): Promise<TestStream> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${wsBase}${path}`, protocols);
      socket.once('open', () => resolve(new TestStream(socket)));
      socket.once('unexpected-response', (_request, response) => {
        reject(new Error(`HTTP ${response.statusCode}`));
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  static withToken(wsBase: string, token: string): Promise<TestStream> {
    return TestStream.open(wsBase, authSubprotocols(token));
  }

  /** The first frame of `type` that `match` accepts, from all received so far and those to come. */
  async waitFor<T extends EventFrame['type']>(
    type: T,
    match: (frame: FrameOf<T>) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<FrameOf<T>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.frames.find((frame): frame is FrameOf<T> => frame.type === type && match(frame as FrameOf<T>));
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(
      `no matching ${type} frame within ${timeoutMs} ms; got ${this.frames.map((f) => f.type).join(',')}`,
    );
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }
}

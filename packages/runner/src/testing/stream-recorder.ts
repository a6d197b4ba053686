import type { RawData, WebSocket } from 'ws';
import { waitFor } from './wait-for.js';

/** What the host end of a reverse stream received, for a test to check. */
export interface StreamRecorder {
  /** Every binary frame so far, joined. */
  bytes(): Buffer;
  /** Every text frame so far, parsed as JSON. */
  texts: unknown[];
  /** Settles when the socket closes, with the code and reason the runner gave. */
  closed: Promise<{ code: number; reason: string }>;
  /** Waits until the binary bytes include `text`. */
  until(text: string, timeoutMs?: number): Promise<void>;
}

export function recordStream(socket: WebSocket): StreamRecorder {
  const chunks: Buffer[] = [];
  const texts: unknown[] = [];
  const toBuffer = (data: RawData): Buffer =>
    Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
  socket.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) chunks.push(toBuffer(data));
    else texts.push(JSON.parse(toBuffer(data).toString('utf8')));
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
  const bytes = (): Buffer => Buffer.concat(chunks);
  return {
    bytes,
    texts,
    closed,
    until: async (text, timeoutMs = 10_000) => {
      await waitFor(
        () => bytes().includes(text),
        `"${text}" on the stream (got ${JSON.stringify(bytes().toString())})`,
        timeoutMs,
      );
    },
  };
}

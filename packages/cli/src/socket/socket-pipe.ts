import WebSocket, { type RawData } from 'ws';
import type { CliOutput } from '../io.js';

/** Above this many unsent bytes, stop reading input until the socket catches up (a large paste, scp). */
const MAX_BUFFERED_BYTES = 1 << 20;

/** A message's bytes, however `ws` delivered them. */
export function frameBytes(data: RawData): Buffer {
  return Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** Writes a binary frame to `output`; while `output` is full, the socket stops reading. */
export function writeFrame(bytes: Buffer, socket: WebSocket, output: CliOutput): void {
  if (!output.write(bytes) && output.once) {
    socket.pause();
    output.once('drain', () => socket.resume());
  }
}

/**
 * Sends `input`'s chunks up the socket as binary frames, pausing `input` while the socket's
 * buffer is full, and calls `onEnd` at its end. Returns what undoes it (listeners off, input paused).
 */
export function forwardInput(
  socket: WebSocket,
  input: NodeJS.ReadableStream,
  ended: () => boolean,
  onEnd: () => void,
): () => void {
  let throttled = false;
  const onData = (chunk: Buffer | string): void => {
    socket.send(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, { binary: true }, () => {
      if (throttled && !ended() && socket.bufferedAmount < MAX_BUFFERED_BYTES) {
        throttled = false;
        input.resume();
      }
    });
    if (socket.bufferedAmount >= MAX_BUFFERED_BYTES) {
      throttled = true;
      input.pause();
    }
  };
  input.on('data', onData);
  input.on('end', onEnd);
  input.resume();
  return () => {
    input.removeListener('data', onData);
    input.removeListener('end', onEnd);
    input.pause();
  };
}

/** Closes the socket politely, and drops it if the other side does not answer within `graceMs`. */
export function closeSocket(socket: WebSocket, graceMs: number): void {
  if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
  else if (socket.readyState !== WebSocket.CLOSED) {
    socket.close(1000);
    setTimeout(() => socket.terminate(), graceMs).unref();
  }
}

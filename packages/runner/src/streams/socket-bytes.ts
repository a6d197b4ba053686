import type { Readable, Writable } from 'node:stream';
import WebSocket, { type RawData } from 'ws';

/**
 * Byte pumps between a reverse-stream WebSocket and a local stream (sshd's TCP connection, a
 * docker exec TTY), each way with backpressure, so a slow reader on one side stops the other
 * side's source instead of filling the runner's memory.
 */

/** Bytes go to the host in binary frames of at most this size. */
export const MAX_OUTPUT_FRAME = 64 * 1024;
/** The source is paused while this much waits to go to the host, and resumed below LOW. */
const HIGH_WATER = 1 << 20;
const LOW_WATER = 256 * 1024;

export function rawBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? Buffer.from(data) : data;
}

/** WebSocket close reasons are limited to 123 bytes. */
export function closeReason(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= 123) return text;
  return `${bytes
    .subarray(0, 118)
    .toString('utf8')
    .replace(/\uFFFD+$/, '')}...`;
}

/** Copies every chunk `source` emits to the socket as binary frames, pausing it while the socket lags. */
export function pumpToSocket(source: Readable, socket: WebSocket): void {
  const relieve = (): void => {
    if (source.isPaused() && socket.bufferedAmount < LOW_WATER) source.resume();
  };
  source.on('data', (chunk: Buffer) => {
    if (socket.readyState !== WebSocket.OPEN) return;
    for (let offset = 0; offset < chunk.length; offset += MAX_OUTPUT_FRAME)
      socket.send(chunk.subarray(offset, offset + MAX_OUTPUT_FRAME), { binary: true }, relieve);
    if (socket.bufferedAmount > HIGH_WATER) source.pause();
  });
}

/** Writes bytes from the socket to `target`; the socket stops reading until a full target drains. */
export function writeFromSocket(socket: WebSocket, target: Writable, bytes: Buffer): void {
  if (target.destroyed || target.writableEnded) return;
  if (!target.write(bytes) && !socket.isPaused) {
    socket.pause();
    target.once('drain', () => socket.resume());
  }
}

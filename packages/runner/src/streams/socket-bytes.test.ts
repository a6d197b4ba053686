import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { waitFor } from '../testing/wait-for.js';
import { MAX_OUTPUT_FRAME, pumpToSocket } from './socket-bytes.js';

let server: WebSocketServer | null = null;
afterEach(() => {
  for (const client of server?.clients ?? []) client.terminate();
  server?.close();
  server = null;
});

const TOTAL = 32 * 1024 * 1024;
const CHUNK = 256 * 1024;

describe('pumpToSocket', () => {
  it('pauses the source while the host reads nothing, in frames of at most 64 KiB, and loses no byte', async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const hostSide = once(server, 'connection') as Promise<[WebSocket]>;
    const socket = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await once(socket, 'open');
    const [host] = await hostSide;
    // The host stops reading: only the kernel's buffers and the runner's own take bytes now.
    host.pause();
    let produced = 0;
    const source = new Readable({
      read() {
        if (produced >= TOTAL) return void this.push(null);
        produced += CHUNK;
        this.push(Buffer.alloc(CHUNK, produced / CHUNK));
      },
    });
    pumpToSocket(source, socket);
    await waitFor(() => source.isPaused(), 'the source to be paused');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Held back: far from all of it was read while nobody took it.
    expect(produced).toBeLessThan(TOTAL / 2);

    let received = 0;
    let largestFrame = 0;
    host.on('message', (data: Buffer) => {
      received += data.length;
      largestFrame = Math.max(largestFrame, data.length);
    });
    host.resume();
    await waitFor(() => received === TOTAL, `all ${TOTAL} bytes (got ${received})`, 15_000);
    expect(largestFrame).toBe(MAX_OUTPUT_FRAME);
    socket.close();
  });
});

import { EventEmitter } from 'node:events';
import type { WebSocket } from '@fastify/websocket';
import type { FastifyBaseLogger } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { relay, type Relay } from './relay.js';

/**
 * A socket whose buffer the test sets: loopback TCP buffers here hold tens of MiB, so a real
 * slow peer cannot show in a quick test when the host stops reading.
 */
class StubSocket extends EventEmitter {
  readonly OPEN = 1;
  readonly CONNECTING = 0;
  readyState = 1;
  bufferedAmount = 0;
  isPaused = false;
  readonly sent: { text: string; binary: boolean }[] = [];
  readonly callbacks: (() => void)[] = [];
  closedWith: { code: number; reason: string } | null = null;

  send(data: Buffer | string, options: { binary: boolean }, callback?: () => void): void {
    this.sent.push({ text: data.toString(), binary: typeof data === 'string' ? false : options.binary });
    if (callback) this.callbacks.push(callback);
  }
  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
    this.readyState = 2;
  }
  terminate(): void {
    this.readyState = 3;
  }
  pause(): void {
    this.isPaused = true;
  }
  resume(): void {
    this.isPaused = false;
  }
  ping(): void {}
}

const silentLog = { warn: () => undefined, debug: () => undefined } as unknown as FastifyBaseLogger;

describe('relay', () => {
  const relays: Relay[] = [];
  afterEach(() => {
    for (const open of relays.splice(0))
      open.end({ client: { code: 1000, reason: '' }, runner: { code: 1000, reason: '' } });
  });
  const pair = (kind: 'ssh' | 'terminal' = 'ssh'): { client: StubSocket; runner: StubSocket; ended: () => boolean } => {
    const client = new StubSocket();
    const runner = new StubSocket();
    let ended = false;
    relays.push(
      relay(
        client as unknown as WebSocket,
        runner as unknown as WebSocket,
        { client: [], runner: [] },
        {
          kind,
          node: 'node1',
          log: silentLog,
          pingMs: 60_000,
          onEnd: () => (ended = true),
        },
      ),
    );
    return { client, runner, ended: () => ended };
  };

  it('stops reading a side while the other has more than 1 MiB to send, and reads again below 256 KiB', () => {
    const { client, runner } = pair();
    client.emit('message', Buffer.from('a'), true);
    expect(client.isPaused).toBe(false);
    runner.bufferedAmount = 2 << 20;
    client.emit('message', Buffer.from('b'), true);
    expect(client.isPaused).toBe(true);
    runner.bufferedAmount = 512 * 1024;
    runner.callbacks.shift()?.();
    expect(client.isPaused).toBe(true);
    runner.bufferedAmount = 0;
    runner.callbacks.shift()?.();
    expect(client.isPaused).toBe(false);
    expect(runner.sent).toEqual([
      { text: 'a', binary: true },
      { text: 'b', binary: true },
    ]);
  });

  it('passes text as text and closes the client with 4503 and an error frame when the runner vanishes', () => {
    const { client, runner, ended } = pair('terminal');
    runner.emit('message', Buffer.from('{"type":"exit","exitCode":0}'), false);
    expect(client.sent).toEqual([{ text: '{"type":"exit","exitCode":0}', binary: false }]);
    runner.readyState = 3;
    runner.emit('close', 1006, Buffer.alloc(0));
    expect(JSON.parse(client.sent[1]?.text ?? '')).toMatchObject({
      type: 'error',
      code: 'KAWA_ERR_RUNNER_UNAVAILABLE',
    });
    expect(client.closedWith?.code).toBe(4503);
    expect(ended()).toBe(true);
  });

  it('tells the runner 1001 when the client vanishes, and passes a chosen code on as it is', () => {
    const vanished = pair();
    vanished.client.readyState = 3;
    vanished.client.emit('close', 1006, Buffer.alloc(0));
    expect(vanished.runner.closedWith?.code).toBe(1001);

    const chosen = pair();
    chosen.runner.readyState = 3;
    chosen.runner.emit('close', 4409, Buffer.from('sshd went away'));
    expect(chosen.client.closedWith).toEqual({ code: 4409, reason: 'sshd went away' });
    expect(chosen.client.sent).toEqual([]);
  });
});

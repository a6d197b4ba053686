import type { WebSocket } from '@fastify/websocket';
import { describe, expect, it } from 'vitest';
import type { HostFrame } from '@kawa/protocol';
import { RunnerLink } from './runner-link.js';

const ack = (taskId: number): HostFrame => ({ type: 'task-event-ack', taskId, status: 'running' });

describe('a runner link', () => {
  it('writes the frames of one turn together: its TCP socket is corked until the turn ends', async () => {
    const calls: string[] = [];
    const socket = {
      readyState: 1,
      OPEN: 1,
      send: (data: string) => calls.push(`send ${(JSON.parse(data) as { taskId: number }).taskId}`),
    };
    const wire = { cork: () => calls.push('cork'), uncork: () => calls.push('uncork') };
    const link = new RunnerLink(socket as unknown as WebSocket, wire);
    for (const id of [1, 2, 3]) link.send(ack(id));
    expect(calls).toEqual(['cork', 'send 1', 'send 2', 'send 3']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['cork', 'send 1', 'send 2', 'send 3', 'uncork']);
    link.send(ack(4));
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.slice(5)).toEqual(['cork', 'send 4', 'uncork']);
  });
});

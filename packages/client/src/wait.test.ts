import { describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import { createClient } from './client.js';
import { fakeFetch, json, makeTask } from './test-support.js';

describe('client waitTask', () => {
  it('loops the long-poll until the task is final, reporting each state', async () => {
    const states: Task['status'][] = ['pending', 'running', 'completed'];
    let index = 0;
    const fake = fakeFetch(() =>
      json(makeTask({ id: 3, status: states[index++] ?? 'completed', exitCode: index >= 3 ? 0 : null })),
    );
    const client = createClient({ baseUrl: 'http://h', token: 't', fetch: fake.fetch });
    const seen: string[] = [];
    const task = await client.waitTask(3, { pollMs: 1000, onUpdate: (update) => seen.push(update.status) });
    expect(task).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(seen).toEqual(['pending', 'running', 'completed']);
    expect(fake.requests.map((request) => request.url)).toEqual(
      Array(3).fill('http://h/api/v1/tasks/3/wait?timeoutMs=1000'),
    );
  });

  it('gives up with KAWA_ERR_TIMEOUT and never holds a poll past the deadline', async () => {
    const fake = fakeFetch(() => json(makeTask({ status: 'running' })));
    const client = createClient({ baseUrl: 'http://h', token: 't', fetch: fake.fetch });
    await expect(client.waitTask(1, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'KAWA_ERR_TIMEOUT' });
    for (const request of fake.requests) {
      const held = Number(new URL(request.url).searchParams.get('timeoutMs'));
      expect(held).toBeLessThanOrEqual(300);
    }
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    const fake = fakeFetch(() => {
      controller.abort(new Error('interrupted'));
      return json(makeTask({ status: 'running' }));
    });
    const client = createClient({ baseUrl: 'http://h', token: 't', fetch: fake.fetch });
    await expect(client.waitTask(1, { signal: controller.signal })).rejects.toThrow('interrupted');
  });
});

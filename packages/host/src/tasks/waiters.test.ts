import { describe, expect, it } from 'vitest';
import { FinalWaiters } from './waiters.js';

describe('FinalWaiters', () => {
  it('wakes every waiter of a task once, and forgets them', async () => {
    const waiters = new FinalWaiters();
    const never = new AbortController().signal;
    const both = Promise.all([waiters.waitFinal(1, null, never), waiters.waitFinal(1, 10_000, never)]);
    const other = waiters.waitFinal(2, null, never);
    expect(waiters.size).toBe(3);
    waiters.notifyFinal(1);
    await both;
    expect(waiters.size).toBe(1);
    waiters.notifyFinal(2);
    await other;
    expect(waiters.size).toBe(0);
  });

  it('cleans up on timeout and on abort (a client that went away)', async () => {
    const waiters = new FinalWaiters();
    await waiters.waitFinal(1, 5, new AbortController().signal);
    expect(waiters.size).toBe(0);
    const controller = new AbortController();
    const waiting = waiters.waitFinal(1, null, controller.signal);
    expect(waiters.size).toBe(1);
    controller.abort();
    await waiting;
    expect(waiters.size).toBe(0);
    await waiters.waitFinal(1, null, controller.signal);
    expect(waiters.size).toBe(0);
  });
});

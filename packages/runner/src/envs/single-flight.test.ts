import type { SyncProgress } from '@kawa/protocol';
import { describe, expect, it } from 'vitest';
import { createSingleFlight, type FlightReporter, type FlightWatcher } from './single-flight.js';

interface Heard {
  began: [string, boolean][];
  progress: number[];
}

function watcher(): FlightWatcher<string> & { heard: Heard } {
  const heard: Heard = { began: [], progress: [] };
  return {
    heard,
    began: (begin, leader) => heard.began.push([begin, leader]),
    progress: (progress) => heard.progress.push(progress.doneBytes),
  };
}

const progress = (doneBytes: number): SyncProgress => ({ what: 'x', phase: 'loading', doneBytes, totalBytes: 10 });

/** A flight whose work the test drives by hand. */
function manualWork(): {
  work: (reporter: FlightReporter<string>) => Promise<string>;
  reporter: () => FlightReporter<string>;
  finish: (value: string) => void;
  fail: (error: Error) => void;
  runs: () => number;
} {
  let runs = 0;
  let captured: FlightReporter<string> | null = null;
  let finish: (value: string) => void = () => {};
  let fail: (error: Error) => void = () => {};
  return {
    work: (reporter) => {
      runs += 1;
      captured = reporter;
      return new Promise<string>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
    },
    reporter: () => captured as unknown as FlightReporter<string>,
    finish: (value) => finish(value),
    fail: (error) => fail(error),
    runs: () => runs,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('createSingleFlight', () => {
  it('runs the work once per key, tells the leader apart, and replays the stage to late joiners', async () => {
    const flights = createSingleFlight<string, string>();
    const manual = manualWork();
    const [first, second, late] = [watcher(), watcher(), watcher()];
    const never = new AbortController().signal;
    const results = [
      flights.join('env:a', manual.work, first, never),
      flights.join('env:a', manual.work, second, never),
    ];
    await tick();
    manual.reporter().begin('loading');
    manual.reporter().progress(progress(4));
    results.push(flights.join('env:a', manual.work, late, never));
    manual.reporter().progress(progress(10));
    manual.finish('sha256:1');
    expect(await Promise.all(results)).toEqual(['sha256:1', 'sha256:1', 'sha256:1']);
    expect(manual.runs()).toBe(1);
    expect(first.heard).toEqual({ began: [['loading', true]], progress: [4, 10] });
    expect(second.heard).toEqual({ began: [['loading', false]], progress: [4, 10] });
    expect(late.heard).toEqual({ began: [['loading', false]], progress: [4, 10] });
    expect(flights.inFlight()).toEqual([]);
  });

  it('lets one waiter abort without stopping the work for the others', async () => {
    const flights = createSingleFlight<string, string>();
    const manual = manualWork();
    const [leader, other] = [watcher(), watcher()];
    const abort = new AbortController();
    const aborted = flights.join('env:b', manual.work, leader, abort.signal);
    const waiting = flights.join('env:b', manual.work, other, new AbortController().signal);
    await tick();
    abort.abort(new Error('killed'));
    await expect(aborted).rejects.toThrow('killed');
    manual.reporter().begin('loading');
    manual.reporter().progress(progress(5));
    manual.finish('sha256:2');
    expect(await waiting).toBe('sha256:2');
    expect(leader.heard).toEqual({ began: [], progress: [] });
    expect(other.heard.progress).toEqual([5]);
  });

  it('fails every waiter with the work’s error, and starts afresh afterwards', async () => {
    const flights = createSingleFlight<string, string>();
    const manual = manualWork();
    const never = new AbortController().signal;
    const waiters = [1, 2, 3].map(() => flights.join('env:c', manual.work, watcher(), never));
    await tick();
    manual.fail(new Error('corrupt'));
    for (const waiter of waiters) await expect(waiter).rejects.toThrow('corrupt');
    const again = flights.join('env:c', manual.work, watcher(), never);
    await tick();
    expect(manual.runs()).toBe(2);
    manual.finish('sha256:3');
    expect(await again).toBe('sha256:3');
  });
});

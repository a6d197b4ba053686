import type { SyncProgress } from '@kawa/protocol';
import { describe, expect, it } from 'vitest';
import { throttleProgress } from './progress-throttle.js';

describe('throttleProgress', () => {
  it('passes at most one frame per 250 ms, plus phase changes and the first 100 %', () => {
    let now = 0;
    const sent: SyncProgress[] = [];
    const report = throttleProgress((progress) => sent.push(progress), { now: () => now });
    const at = (ms: number, phase: SyncProgress['phase'], doneBytes: number) => {
      now = ms;
      report({ what: 'env', phase, doneBytes, totalBytes: 100 });
    };
    at(0, 'waiting', 0);
    at(10, 'loading', 1);
    for (let ms = 20; ms < 1000; ms += 10) at(ms, 'loading', Math.floor(ms / 10));
    at(1005, 'loading', 100);
    at(1006, 'loading', 100);
    expect(sent.map((progress) => [progress.phase, progress.doneBytes])).toEqual([
      ['waiting', 0],
      ['loading', 1],
      ['loading', 26],
      ['loading', 51],
      ['loading', 76],
      ['loading', 100],
    ]);
  });

  it('passes the first frame of an unknown total and then throttles', () => {
    let now = 0;
    const sent: number[] = [];
    const report = throttleProgress((progress) => sent.push(progress.doneBytes), { now: () => now });
    for (; now < 600; now += 50) report({ what: 'img', phase: 'pulling', doneBytes: now, totalBytes: null });
    expect(sent).toEqual([0, 250, 500]);
  });
});

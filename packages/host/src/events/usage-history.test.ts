import { describe, expect, it } from 'vitest';
import { USAGE_HISTORY_MS, USAGE_HISTORY_SAMPLES, type UsageSample } from '@kawa/protocol';
import { UsageHistory, toSample } from './usage-history.js';

const sample = (at: number, cpuPercent = 10): UsageSample => ({
  at,
  cpuPercent,
  memoryUsedBytes: 1,
  memoryTotalBytes: 2,
  maxTemperatureCelsius: null,
  gpus: [],
});

describe('UsageHistory', () => {
  it('keeps at most one sample per 5 s, so an hour fits the cap whatever the heartbeat rate', () => {
    const history = new UsageHistory();
    const kept = [0, 1_000, 4_999, 5_000, 9_000, 10_000].filter((at) => history.record('n', sample(at)));
    expect(kept).toEqual([0, 5_000, 10_000]);
  });

  it('never holds more than the cap and drops the oldest first', () => {
    const history = new UsageHistory();
    const gap = USAGE_HISTORY_MS / USAGE_HISTORY_SAMPLES;
    for (let index = 0; index < USAGE_HISTORY_SAMPLES + 50; index += 1) history.record('n', sample(index * gap));
    const now = (USAGE_HISTORY_SAMPLES + 49) * gap;
    const samples = history.samples('n', now);
    expect(samples).toHaveLength(USAGE_HISTORY_SAMPLES);
    expect(samples[0]?.at).toBe(50 * gap);
  });

  it('gives only the last hour and nothing for unknown nodes', () => {
    const history = new UsageHistory();
    history.record('n', sample(0));
    history.record('n', sample(USAGE_HISTORY_MS - 1_000));
    expect(history.samples('n', USAGE_HISTORY_MS + 1).map((kept) => kept.at)).toEqual([USAGE_HISTORY_MS - 1_000]);
    expect(history.samples('other', 0)).toEqual([]);
  });

  it('turns usage into a sample with the hottest sensor', () => {
    const usage = {
      cpuPercent: 5,
      memoryUsedBytes: 3,
      memoryTotalBytes: 4,
      temperatures: [
        { sensor: 'a', celsius: 40 },
        { sensor: 'b', celsius: 55 },
      ],
      gpus: [{ index: 0, utilizationPercent: 80, memoryUsedBytes: 10, temperatureCelsius: 70 }],
    };
    expect(toSample(9, usage)).toEqual({
      at: 9,
      cpuPercent: 5,
      memoryUsedBytes: 3,
      memoryTotalBytes: 4,
      maxTemperatureCelsius: 55,
      gpus: [{ index: 0, utilizationPercent: 80, memoryUsedBytes: 10, temperatureCelsius: 70 }],
    });
    expect(toSample(9, { ...usage, temperatures: [] }).maxTemperatureCelsius).toBeNull();
  });
});

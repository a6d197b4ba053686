import { USAGE_HISTORY_MS, USAGE_HISTORY_SAMPLES, type NodeUsage, type UsageSample } from '@kawa/protocol';

/** The smallest gap between two kept samples, so an hour always fits the sample cap. */
const MIN_GAP_MS = Math.floor(USAGE_HISTORY_MS / USAGE_HISTORY_SAMPLES);

/** A heartbeat's usage as a history sample. */
export function toSample(at: number, usage: NodeUsage): UsageSample {
  const temperatures = usage.temperatures.map((temperature) => temperature.celsius);
  return {
    at,
    cpuPercent: usage.cpuPercent,
    memoryUsedBytes: usage.memoryUsedBytes,
    memoryTotalBytes: usage.memoryTotalBytes,
    maxTemperatureCelsius: temperatures.length === 0 ? null : Math.max(...temperatures),
    gpus: usage.gpus.map((gpu) => ({ ...gpu })),
  };
}

/**
 * The last hour of usage per node, in memory: a ring of at most USAGE_HISTORY_SAMPLES per node,
 * keeping one sample per MIN_GAP_MS at most whatever the heartbeat rate. It is lost on restart,
 * which only costs the charts their past.
 */
export class UsageHistory {
  private readonly rings = new Map<string, UsageSample[]>();

  /** Keeps `sample` unless it is too close to the previous one; true when kept. */
  record(node: string, sample: UsageSample): boolean {
    let ring = this.rings.get(node);
    if (!ring) {
      ring = [];
      this.rings.set(node, ring);
    }
    const last = ring.at(-1);
    if (last && sample.at - last.at < MIN_GAP_MS) return false;
    ring.push(sample);
    if (ring.length > USAGE_HISTORY_SAMPLES) ring.splice(0, ring.length - USAGE_HISTORY_SAMPLES);
    return true;
  }

  /** A node's samples of the last hour before `now`, oldest first. */
  samples(node: string, now: number): UsageSample[] {
    const ring = this.rings.get(node) ?? [];
    const start = ring.findIndex((sample) => sample.at > now - USAGE_HISTORY_MS);
    return start < 0 ? [] : ring.slice(start);
  }

  nodes(): string[] {
    return [...this.rings.keys()];
  }
}

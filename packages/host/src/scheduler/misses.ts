import type { ResourceRequest } from './model.js';

/** What a request asks of each amount; no limit (cores 0, memory null) asks nothing at all. */
const needCores = (request: ResourceRequest): number => (request.cores > 0 ? request.cores : -Infinity);
const needMemory = (request: ResourceRequest): number => request.memoryBytes ?? -Infinity;

/** True when `big` asks at least what `small` asks, in every amount. */
function covers(big: ResourceRequest, small: ResourceRequest): boolean {
  return (
    needCores(big) >= needCores(small) &&
    needMemory(big) >= needMemory(small) &&
    big.gpuCount >= small.gpuCount &&
    (big.numaAuto || !small.numaAuto)
  );
}

/**
 * Requests without a target that found no node in this pass. Free resources only shrink during
 * a pass, so a request at least as big as one of these cannot find a node either, and is
 * refused without a search. Only the smallest misses are kept (no one covers another), so the
 * list stays short: one entry per way of being small.
 */
export class Misses {
  private readonly misses: ResourceRequest[] = [];

  covered(request: ResourceRequest): boolean {
    for (const miss of this.misses) if (covers(request, miss)) return true;
    return false;
  }

  add(request: ResourceRequest): void {
    for (let index = this.misses.length - 1; index >= 0; index -= 1)
      if (covers(this.misses[index] as ResourceRequest, request)) this.misses.splice(index, 1);
    this.misses.push(request);
  }
}

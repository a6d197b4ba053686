/** What one placed task holds on its node. */
export interface Allocation {
  id: number;
  cores: number;
  memoryBytes: number | null;
  numa: number | null;
  gpus: readonly number[];
}

/**
 * Floating-point slack for fractional cores: 0.1 + 0.2 must fit in 0.3. Sums are reset to
 * exactly zero when the last task leaves, so errors never build up.
 */
export const CORE_EPSILON = 1e-9;

/**
 * The resources placed tasks hold on one node, kept in memory so that placement never scans
 * the task table. Holding and releasing are idempotent per task id.
 */
export class NodeCapacity {
  cores = 0;
  memoryBytes = 0;
  /** GPU index → the task holding it. */
  readonly gpuHolders = new Map<number, number>();
  private readonly zoneCores = new Map<number, number>();
  private readonly holders = new Set<number>();

  get tasks(): number {
    return this.holders.size;
  }

  coresInZone(zone: number): number {
    return this.zoneCores.get(zone) ?? 0;
  }

  hold(allocation: Allocation): void {
    if (this.holders.has(allocation.id)) return;
    this.holders.add(allocation.id);
    this.cores += allocation.cores;
    this.memoryBytes += allocation.memoryBytes ?? 0;
    if (allocation.numa !== null)
      this.zoneCores.set(allocation.numa, this.coresInZone(allocation.numa) + allocation.cores);
    for (const gpu of allocation.gpus) this.gpuHolders.set(gpu, allocation.id);
  }

  release(allocation: Allocation): void {
    if (!this.holders.delete(allocation.id)) return;
    this.cores -= allocation.cores;
    this.memoryBytes -= allocation.memoryBytes ?? 0;
    if (allocation.numa !== null)
      this.zoneCores.set(allocation.numa, this.coresInZone(allocation.numa) - allocation.cores);
    for (const gpu of allocation.gpus) {
      if (this.gpuHolders.get(gpu) === allocation.id) this.gpuHolders.delete(gpu);
    }
    if (this.holders.size === 0) {
      this.cores = 0;
      this.memoryBytes = 0;
      this.zoneCores.clear();
    }
  }
}

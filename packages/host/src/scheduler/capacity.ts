/** What one placed task holds on its node. */
export interface Allocation {
  id: number;
  cores: number;
  memoryBytes: number | null;
  numa: number | null;
  gpus: readonly number[];
}

/**
 * The resources placed tasks hold on one node, as the API shows them (`Node.allocated`).
 * Holding and releasing are idempotent per task id. Sums are reset to exactly zero when the
 * last task leaves, so floating-point errors from fractional cores never build up.
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

/**
 * Clients waiting for tasks to reach a final state: long-poll waits and log follows. In memory
 * only; a host restart answers them all by closing their connections.
 */
export class FinalWaiters {
  private readonly waiting = new Map<number, Set<() => void>>();

  /** Wakes everyone waiting on `taskId`. */
  notifyFinal(taskId: number): void {
    const wakers = this.waiting.get(taskId);
    if (!wakers) return;
    this.waiting.delete(taskId);
    for (const wake of wakers) wake();
  }

  /**
   * Resolves when `taskId` is reported final, when `timeoutMs` passes (null: never) or when
   * `signal` aborts, whichever is first. It never rejects; callers read the task afterwards.
   */
  waitFinal(taskId: number, timeoutMs: number | null, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        const wakers = this.waiting.get(taskId);
        wakers?.delete(finish);
        if (wakers?.size === 0) this.waiting.delete(taskId);
        resolve();
      };
      if (timeoutMs !== null) timer = setTimeout(finish, timeoutMs);
      signal.addEventListener('abort', finish, { once: true });
      let wakers = this.waiting.get(taskId);
      if (!wakers) {
        wakers = new Set();
        this.waiting.set(taskId, wakers);
      }
      wakers.add(finish);
    });
  }

  /** How many waits are open (tests check that disconnects clean up). */
  get size(): number {
    let count = 0;
    for (const wakers of this.waiting.values()) count += wakers.size;
    return count;
  }
}

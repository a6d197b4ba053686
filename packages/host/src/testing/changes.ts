/**
 * Lets a test client wait for its state to change: the client calls `notify` whenever something
 * arrives, and `until` re-checks a condition after each change (and every 100 ms), bounded.
 */
export class Changes {
  private wake: (() => void) | null = null;

  notify(): void {
    this.wake?.();
  }

  /** Resolves once `check` holds; rejects with `failure()` after `timeoutMs` or when `check` throws. */
  async until(check: () => boolean, timeoutMs: number, failure: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(failure());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.wake = () => {
          clearTimeout(timer);
          this.wake = null;
          resolve();
        };
      });
    }
  }
}

/**
 * One grace timer per node. Any frame from the runner, and the link closing, restart it; if it
 * runs out the node is declared offline. `refresh()` reuses the timer, so a heartbeat costs no
 * allocation.
 */
export class Liveness {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly graceMs: number,
    private readonly onExpire: (name: string) => void,
  ) {}

  /** Starts or restarts the grace period of `name` from now. */
  touch(name: string): void {
    // Links close after shutdown began; their grace must not outlive the app (or its database).
    if (this.stopped) return;
    const timer = this.timers.get(name);
    if (timer) {
      timer.refresh();
      return;
    }
    const created = setTimeout(() => {
      this.timers.delete(name);
      this.onExpire(name);
    }, this.graceMs);
    created.unref();
    this.timers.set(name, created);
  }

  cancel(name: string): void {
    clearTimeout(this.timers.get(name));
    this.timers.delete(name);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

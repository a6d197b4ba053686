/** Resolves when `promise` settles, or rejects with the signal's reason when it aborts first. */
function untilSettledOrAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/**
 * One writer per env at a time: tar creates (and the default-env build) of the same env run
 * one after another, in arrival order, so each commits and saves on its own and versions never
 * collide. Waiting can be aborted; the queue stays in order.
 */
export class EnvLocks {
  private readonly tails = new Map<string, Promise<void>>();

  /** Whether a writer of `name` runs or waits. */
  isBusy(name: string): boolean {
    return this.tails.has(name);
  }

  async run<T>(name: string, signal: AbortSignal, body: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    let release = (): void => undefined;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The next writer waits for this one and, through it, for every earlier one.
    const tail = previous.then(() => mine);
    this.tails.set(name, tail);
    try {
      await untilSettledOrAborted(previous, signal);
      return await body();
    } finally {
      release();
      if (this.tails.get(name) === tail) this.tails.delete(name);
    }
  }
}

/**
 * Runs at most `slots` async jobs at once, the rest in arrival order. Task starts go through
 * one: without it a burst of starts advances in lockstep through every await, so that the
 * first task starts only when the last one does.
 */
export function createLimiter(slots: number): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    running -= 1;
    waiting.shift()?.();
  };
  return async (job) => {
    if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await job();
    } finally {
      release();
    }
  };
}

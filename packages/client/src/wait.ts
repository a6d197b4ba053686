import { KawaError, isFinalStatus, type Task } from '@kawa/protocol';

export interface WaitTaskOptions {
  signal?: AbortSignal;
  /** Give up with KAWA_ERR_TIMEOUT after this long; absent: wait as long as it takes. */
  timeoutMs?: number;
  /** How long each long-poll may be held by the host; shorter polls report progress sooner. */
  pollMs?: number;
  /** Called with the task's state after every poll, final or not. */
  onUpdate?: (task: Task) => void;
}

/** One long-poll: GET /tasks/:id/wait?timeoutMs=… */
export type PollTask = (id: number, query: { timeoutMs: number }, signal?: AbortSignal) => Promise<Task>;

const DEFAULT_POLL_MS = 30_000;
/** A host that answers a long-poll at once is not slept on for less than this between polls. */
const MIN_POLL_GAP_MS = 250;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Loops the long-poll route until the task reaches a final state. */
export async function waitForTask(poll: PollTask, id: number, options: WaitTaskOptions = {}): Promise<Task> {
  const pollMs = Math.max(0, Math.min(options.pollMs ?? DEFAULT_POLL_MS, 300_000));
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  for (;;) {
    const started = Date.now();
    const hold = Math.max(0, Math.min(pollMs, deadline - started));
    const task = await poll(id, { timeoutMs: Math.round(hold) }, options.signal);
    options.onUpdate?.(task);
    if (isFinalStatus(task.status)) return task;
    const now = Date.now();
    if (now >= deadline) {
      throw new KawaError(
        'KAWA_ERR_TIMEOUT',
        `task ${id} is still ${task.status} after ${formatSeconds(options.timeoutMs ?? 0)}`,
        {
          details: { taskId: id, status: task.status },
        },
      );
    }
    const elapsed = now - started;
    if (elapsed < MIN_POLL_GAP_MS) await sleep(Math.min(MIN_POLL_GAP_MS - elapsed, deadline - now), options.signal);
  }
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)}s`;
}

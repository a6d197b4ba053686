import type { KawaClient } from '@kawa/client';
import { KawaError, isFinalStatus, taskStatuses, type Task } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { formatDuration } from '../../output/format.js';
import { createProgress } from '../../output/progress.js';
import { createOccasionalLines } from '../../output/progress-bar.js';
import { describeSync } from './sync.js';

const TTY_POLL_MS = 2_000;
const PLAIN_POLL_MS = 10_000;
const PLAIN_LINE_MS = 10_000;
/** A host that answers a long-poll at once is not asked again sooner than this. */
const MIN_ROUND_MS = 250;
/** The most tasks one list page holds (the API's limit). */
const PAGE = 1000;

const openStatuses = taskStatuses.filter((status) => !isFinalStatus(status)).join(',');

/** Every task of the batch (only the open ones with `open`), page by page. */
export async function listBatch(client: KawaClient, batchId: number, open = false): Promise<Task[]> {
  const tasks: Task[] = [];
  let before: number | undefined;
  // Bounded: a batch has at most MAX_SWEEP_SIZE × targets tasks; 10,001 pages is far beyond it.
  for (let page = 0; page <= 10_000; page += 1) {
    const query = {
      batch: batchId,
      limit: PAGE,
      ...(open ? { status: openStatuses } : {}),
      ...(before ? { before } : {}),
    };
    const answer = await client.call('listTasks', { query });
    tasks.push(...answer.tasks);
    if (answer.nextBefore === null) return tasks;
    before = answer.nextBefore;
  }
  throw new KawaError('KAWA_ERR_INTERNAL', `batch ${batchId} did not end after 10,000 pages of tasks`);
}

/** "batch 3: 2/12 done, 4 running, 6 pending; task 7: waiting for 1 core on node1". */
function describeBatch(batchId: number, total: number, open: readonly Task[]): string {
  const states = taskStatuses
    .map((status) => [status, open.filter((task) => task.status === status).length] as const)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status}`);
  // Why the queue does not move: the reason of the first task still waiting.
  const blocked = open.filter((task) => task.status === 'pending' && task.reason).sort((a, b) => a.id - b.id)[0];
  const why = blocked ? `; task ${blocked.id}: ${blocked.reason ?? ''}` : '';
  return `batch ${batchId}: ${[`${total - open.length}/${total} done`, ...states].join(', ')}${why}`;
}

/**
 * Waits for every task of batch `batchId` to end, `ids` first and any task that joins the batch
 * meanwhile too (a retry is a new task in the same batch). One long-poll on the lowest open task
 * (it answers as soon as that task ends), then one list of the batch's open tasks to see which
 * others ended or joined: a batch of thousands costs a request per change, not one per task.
 * Returns every task of the batch, in id order.
 */
export async function waitForBatch(
  context: CliContext,
  batchId: number,
  ids: readonly number[],
  timeoutMs?: number,
): Promise<Task[]> {
  const client = context.client();
  const progress = createProgress(context.io.stderr, context.fancy);
  const printSync = createOccasionalLines(context.io.stderr, PLAIN_LINE_MS);
  const started = Date.now();
  const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : started + timeoutMs;
  const waiting = new Set(ids);
  const seen = new Set(ids);
  const pollMs = context.fancy ? TTY_POLL_MS : PLAIN_POLL_MS;
  const lowest = (): number => Math.min(...waiting);
  try {
    while (waiting.size > 0) {
      const hold = Math.max(0, Math.min(pollMs, deadline - Date.now()));
      const round = Date.now();
      const first = lowest();
      const head = await client.call('waitTask', { params: { id: first }, query: { timeoutMs: Math.round(hold) } });
      if (isFinalStatus(head.status)) waiting.delete(first);
      const open = await listBatch(client, batchId, true);
      const stillOpen = new Set(open.map((task) => task.id));
      for (const id of waiting) if (!stillOpen.has(id)) waiting.delete(id);
      for (const task of open) {
        if (seen.has(task.id)) continue;
        seen.add(task.id);
        waiting.add(task.id);
      }
      const sync = describeSync(head, context.fancy);
      progress.update(
        `${describeBatch(batchId, seen.size, open)}${sync === null ? '' : `; task ${head.id}: ${sync}`}` +
          ` · ${formatDuration(Date.now() - started)}`,
      );
      if (!context.fancy && sync !== null)
        printSync(`${head.id} ${head.syncProgress?.phase ?? ''}`, `task ${head.id} syncing: ${sync}`);
      if (waiting.size > 0 && Date.now() >= deadline) {
        const next = lowest();
        const status = open.find((task) => task.id === next)?.status ?? 'not finished';
        const more = waiting.size > 1 ? ` (and ${waiting.size - 1} more not yet finished)` : '';
        throw new KawaError(
          'KAWA_ERR_TIMEOUT',
          `gave up after ${(timeoutMs ?? 0) / 1000}s: task ${next} is still ${status}${more}`,
          { details: { taskId: next, status, unfinished: waiting.size } },
        );
      }
      const elapsed = Date.now() - round;
      if (waiting.size > 0 && elapsed < MIN_ROUND_MS) await sleep(MIN_ROUND_MS - elapsed);
    }
  } finally {
    progress.done();
  }
  return (await listBatch(client, batchId)).sort((a, b) => a.id - b.id);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import type { Command } from 'commander';
import { KawaError, type Task } from '@kawa/protocol';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../../context.js';
import { parseBatchId, parseNumber, parseTaskIds } from '../../parse.js';
import { listBatch, waitForBatch } from './wait-batch.js';
import { reportOutcome, waitForTasks } from './wait-tasks.js';

interface WaitOptions {
  batch?: string;
  timeout?: string;
  json?: boolean;
}

function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = parseNumber(text, '--timeout');
  if (seconds <= 0) throw new UsageError('KAWA_ERR_USAGE', `--timeout must be more than 0 seconds, got ${text}`);
  return Math.round(seconds * 1000);
}

/** Every task of batch `batchId`, retries too, waited for; an unknown or empty batch is an error. */
async function waitForWholeBatch(context: CliContext, batchId: number, timeoutMs?: number): Promise<Task[]> {
  const ids = (await listBatch(context.client(), batchId)).map((task) => task.id);
  if (ids.length === 0)
    throw new KawaError('KAWA_ERR_BATCH_NOT_FOUND', `batch ${batchId} has no tasks of yours: see kawa task list`);
  return waitForBatch(context, batchId, ids, timeoutMs);
}

export function registerWait(task: Command, context: CliContext): void {
  task
    .command('wait')
    .summary('wait for tasks to end; exit with their exit code')
    .usage('[options] <ids...> | --batch <id>')
    .argument('[ids...]', 'task ids')
    .option('--batch <id>', 'every task of this batch (a sweep, or a submit with several targets)')
    .option('--timeout <seconds>', 'give up after this long (KAWA_ERR_TIMEOUT, exit 1)')
    .option('--json', 'print the final tasks as JSON')
    .addHelpText('after', "\nThe exit code is the task's (several tasks: the first non-zero in id order).")
    .action(
      context.run(async (idTexts: string[], options: WaitOptions) => {
        if (idTexts.length > 0 === (options.batch !== undefined))
          throw new UsageError('KAWA_ERR_USAGE', 'give task ids or --batch B, one of the two: kawa task wait 12 13');
        const timeoutMs = parseTimeout(options.timeout);
        const json = context.wantsJson(options.json);
        if (options.batch === undefined)
          return reportOutcome(context, await waitForTasks(context, parseTaskIds(idTexts), timeoutMs), json);
        const tasks = await waitForWholeBatch(context, parseBatchId(options.batch), timeoutMs);
        return reportOutcome(context, tasks, json, {}, true);
      }),
    );
}

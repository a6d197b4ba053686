import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { writeLine } from '../../io.js';
import { formatIdList } from '../../output/format.js';
import { writeJson } from '../../output/json.js';
import { parseBatchId, parseTaskIds } from '../../parse.js';
import { controlTasks } from './control.js';

interface KillOptions {
  batch?: string;
  json?: boolean;
}

/** Kills every task of a batch that has not ended, in one request. */
async function killBatch(context: CliContext, batchId: number, json: boolean): Promise<number> {
  const answer = await context.client().call('killBatch', { params: { id: batchId } });
  if (json) writeJson(context.io.stdout, answer);
  else if (answer.killed.length === 0)
    writeLine(context.io.stdout, `batch ${batchId}: nothing to kill, every task had already ended`);
  else
    writeLine(
      context.io.stdout,
      `batch ${batchId}: killed ${answer.killed.length} task${answer.killed.length === 1 ? '' : 's'} ` +
        `(${formatIdList(answer.killed)})`,
    );
  return 0;
}

export function registerKill(task: Command, context: CliContext): void {
  task
    .command('kill')
    .summary('kill tasks, or a whole batch, in any non-final state')
    .usage('[options] <ids...> | --batch <id>')
    .argument('[ids...]', 'task ids')
    .option('--batch <id>', 'kill every task of this batch that has not ended (a sweep, for example)')
    .option('--json', 'print the API answer as JSON')
    .action(
      context.run(async (idTexts: string[], options: KillOptions) => {
        if (idTexts.length > 0 === (options.batch !== undefined))
          throw new UsageError('KAWA_ERR_USAGE', 'give task ids or --batch B, one of the two: kawa task kill 12 13');
        const json = context.wantsJson(options.json);
        if (options.batch !== undefined) return killBatch(context, parseBatchId(options.batch), json);
        return controlTasks(context, 'killTask', parseTaskIds(idTexts), json);
      }),
    );
}

import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../../context.js';
import { parseNumber, parseTaskIds } from '../../parse.js';
import { reportOutcome, waitForTasks } from './wait-tasks.js';

export function registerWait(task: Command, context: CliContext): void {
  task
    .command('wait')
    .summary('wait for tasks to end; exit with their exit code')
    .argument('<ids...>', 'task ids')
    .option('--timeout <seconds>', 'give up after this long (KAWA_ERR_TIMEOUT, exit 1)')
    .option('--json', 'print the final tasks as JSON')
    .addHelpText('after', "\nThe exit code is the task's (several tasks: the first non-zero in id order).")
    .action(
      context.run(async (idTexts: string[], options: { timeout?: string; json?: boolean }) => {
        const ids = parseTaskIds(idTexts);
        let timeoutMs: number | undefined;
        if (options.timeout !== undefined) {
          const seconds = parseNumber(options.timeout, '--timeout');
          if (seconds <= 0)
            throw new UsageError('KAWA_ERR_USAGE', `--timeout must be more than 0 seconds, got ${options.timeout}`);
          timeoutMs = Math.round(seconds * 1000);
        }
        const json = context.wantsJson(options.json);
        const tasks = await waitForTasks(context, ids, timeoutMs);
        return reportOutcome(context, tasks, json);
      }),
    );
}

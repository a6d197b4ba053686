import type { Command } from 'commander';
import { logsQuery, validateRouteInput, type LogsOptions } from '@kawa/client';
import type { CliContext } from '../../context.js';
import { checkLocally } from '../../errors.js';
import { writeAll } from '../../io.js';
import { parseCount, parseTaskIds } from '../../parse.js';

interface LogsFlags {
  follow?: boolean;
  stderr?: boolean;
  tail?: string;
  offset?: string;
  length?: string;
}

export function registerLogs(task: Command, context: CliContext): void {
  task
    .command('logs')
    .summary("print a task's stdout (or stderr)")
    .description("Write a task's output to stdout as raw bytes. -f keeps streaming until the task ends.")
    .argument('<id>', 'the task id')
    .option('-f, --follow', 'stream new output until the task ends')
    .option('--stderr', 'read stderr instead of stdout')
    .option('--tail <lines>', 'only the last N lines')
    .option('--offset <bytes>', 'start at this byte')
    .option('--length <bytes>', 'read at most this many bytes')
    .action(
      context.run(async (idText: string, flags: LogsFlags) => {
        const [id = 0] = parseTaskIds([idText]);
        const options: LogsOptions & { follow: boolean } = {
          stream: flags.stderr ? 'stderr' : 'stdout',
          follow: flags.follow === true,
        };
        if (flags.tail !== undefined) options.tail = parseCount(flags.tail, '--tail');
        if (flags.offset !== undefined) options.offset = parseCount(flags.offset, '--offset');
        if (flags.length !== undefined) options.length = parseCount(flags.length, '--length');
        checkLocally(() => validateRouteInput('taskLogs', { params: { id }, query: logsQuery(options) }));
        const { chunks } = await context.client().logBytes(id, options);
        for await (const chunk of chunks) await writeAll(context.io.stdout, chunk);
        return 0;
      }),
    );
}

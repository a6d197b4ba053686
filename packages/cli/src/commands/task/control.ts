import type { Command } from 'commander';
import { KawaError } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { exitCodeFor, formatError } from '../../errors.js';
import { writeLine } from '../../io.js';
import { parseTaskIds } from '../../parse.js';

const actions = {
  kill: { route: 'killTask', summary: 'kill tasks in any non-final state' },
  pause: { route: 'pauseTask', summary: 'freeze running tasks; they keep their resources' },
  resume: { route: 'resumeTask', summary: 'thaw paused tasks' },
} as const;

export type ControlAction = keyof typeof actions;

/**
 * kill / pause / resume ID...: acts on each task in turn. One failure does not stop the
 * others; the exit code is that of the first failure. An unreachable host stops at once.
 */
export function registerControl(task: Command, context: CliContext, action: ControlAction): void {
  const { route, summary } = actions[action];
  task
    .command(action)
    .summary(summary)
    .argument('<ids...>', 'task ids')
    .action(
      context.run(async (idTexts: string[]) => {
        const ids = parseTaskIds(idTexts);
        let exitCode = 0;
        for (const id of ids) {
          try {
            const result = await context.client().call(route, { params: { id } });
            writeLine(context.io.stdout, `task ${id}: ${result.status}`);
          } catch (error) {
            if (!(error instanceof KawaError) || error.code === 'KAWA_ERR_HOST_UNREACHABLE' || ids.length === 1)
              throw error;
            writeLine(context.io.stderr, `${formatError(error)} [task ${id}]`);
            if (exitCode === 0) exitCode = exitCodeFor(error);
          }
        }
        return exitCode;
      }),
    );
}

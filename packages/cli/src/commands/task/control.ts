import type { Command } from 'commander';
import { KawaError, type Task } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { exitCodeFor, formatError } from '../../errors.js';
import { writeLine } from '../../io.js';
import { writeJson } from '../../output/json.js';
import { parseTaskIds } from '../../parse.js';

const actions = {
  pause: { route: 'pauseTask', summary: 'freeze running tasks; they keep their resources' },
  resume: { route: 'resumeTask', summary: 'thaw paused tasks' },
} as const;

/** The routes that act on one task by id and answer with it. */
export type ControlRoute = 'killTask' | 'pauseTask' | 'resumeTask' | 'stopVps' | 'restartVps';

/**
 * Acts on each task in turn through `route`. One failure does not stop the others; the exit
 * code is that of the first failure. An unreachable host stops at once. Prints "<noun> N:
 * STATE" lines, or with `json` one document `{ tasks, errors }`.
 */
export async function controlTasks(
  context: CliContext,
  route: ControlRoute,
  ids: readonly number[],
  json: boolean,
  noun = 'task',
): Promise<number> {
  let exitCode = 0;
  const tasks: Task[] = [];
  const errors: { taskId: number; code: string; message: string }[] = [];
  for (const id of ids) {
    try {
      const result = await context.client().call(route, { params: { id } });
      tasks.push(result);
      if (!json) writeLine(context.io.stdout, `${noun} ${id}: ${result.status}`);
    } catch (error) {
      if (!(error instanceof KawaError) || error.code === 'KAWA_ERR_HOST_UNREACHABLE' || ids.length === 1) throw error;
      writeLine(context.io.stderr, `${formatError(error)} [${noun} ${id}]`);
      errors.push({ taskId: id, code: error.code, message: error.message });
      if (exitCode === 0) exitCode = exitCodeFor(error);
    }
  }
  if (json) writeJson(context.io.stdout, { tasks, errors });
  return exitCode;
}

/** pause / resume ID...; kill has its own command (it also takes --batch). */
export function registerControl(task: Command, context: CliContext, action: keyof typeof actions): void {
  task
    .command(action)
    .summary(actions[action].summary)
    .argument('<ids...>', 'task ids')
    .option('--json', 'print the tasks in their new state as JSON')
    .action(
      context.run((idTexts: string[], options: { json?: boolean }) =>
        controlTasks(context, actions[action].route, parseTaskIds(idTexts), context.wantsJson(options.json)),
      ),
    );
}

import type { Command } from 'commander';
import { validateRouteInput } from '@kawa/client';
import { NO_CONTAINER, type ListTasksResponse, type Task } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { checkLocally } from '../../errors.js';
import { palette, statusColour } from '../../output/colour.js';
import { formatAge, formatCommand, formatCores, formatMemoryOrNone } from '../../output/format.js';
import { writeJson } from '../../output/json.js';
import { COLUMN_GAP, TABLE_WIDTH, naturalWidth, renderTable, truncate, type Column } from '../../output/table.js';

interface ListOptions {
  status?: string;
  node?: string;
  batch?: string;
  limit?: string;
  before?: string;
  json?: boolean;
}

const columns: Column[] = [
  { header: 'ID', align: 'right' },
  { header: 'BATCH', align: 'right' },
  { header: 'STATUS' },
  { header: 'PRI', align: 'right' },
  { header: 'EXIT', align: 'right' },
  { header: 'NODE' },
  { header: 'ENV' },
  { header: 'CORES', align: 'right' },
  { header: 'MEM', align: 'right' },
  { header: 'AGE', align: 'right' },
  { header: 'COMMAND/REASON', flex: true },
];
const ENV_COLUMN = 6;
/** An env or image name longer than this is cut, so the command keeps its room. */
const ENV_MAX_WIDTH = 18;
/** The ENV column is left out when it would squeeze COMMAND/REASON below this. */
const COMMAND_MIN_WIDTH = 24;

/** What a task runs in: its env, its image, or NULL (no Docker). */
function envOf(task: Task): string {
  return truncate(task.image ?? task.container ?? NO_CONTAINER, ENV_MAX_WIDTH);
}

function row(task: Task, now: number): string[] {
  // A pending task's reason (what it waits for) matters more than the command the user typed.
  const last = task.status === 'pending' && task.reason ? task.reason : formatCommand(task.command);
  return [
    String(task.id),
    String(task.batchId),
    task.status,
    String(task.priority),
    task.exitCode === null ? '-' : String(task.exitCode),
    task.node ?? '-',
    envOf(task),
    formatCores(task.cores),
    formatMemoryOrNone(task.memoryBytes),
    formatAge(task.submittedAt, now),
    last,
  ];
}

/** Whether every column but the last, at its natural width, leaves the last `room` characters. */
function leavesRoom(shown: readonly Column[], rows: readonly (readonly string[])[], room: number): boolean {
  return naturalWidth(shown.slice(0, -1), rows) + COLUMN_GAP + room <= TABLE_WIDTH;
}

export function renderTaskList(answer: ListTasksResponse, colour: boolean, now = Date.now()): string {
  if (answer.tasks.length === 0) return 'no tasks\n';
  const paint = palette(colour);
  let rows = answer.tasks.map((task) => row(task, now));
  let shown = columns;
  if (!leavesRoom(shown, rows, COMMAND_MIN_WIDTH)) {
    shown = columns.filter((_, index) => index !== ENV_COLUMN);
    rows = rows.map((cells) => cells.filter((_, index) => index !== ENV_COLUMN));
  }
  let text = renderTable(shown, rows, {
    paint: (cell, rowIndex, column) => {
      const status = answer.tasks[rowIndex]?.status;
      const name = column === 2 && status ? statusColour(status) : null;
      return name ? paint[name](cell) : cell;
    },
  });
  if (answer.nextBefore !== null) {
    text += `showing ${answer.tasks.length} of ${answer.total}; next page: --before ${answer.nextBefore}\n`;
  }
  return text;
}

export function registerList(task: Command, context: CliContext): void {
  task
    .command('list')
    .alias('ls')
    .summary('list tasks, newest first')
    .option('--status <statuses>', 'only these states, comma-separated (pending,running,failed,...)')
    .option('--node <name>', 'only tasks placed on this node')
    .option('--batch <id>', 'only tasks of this batch')
    .option('--limit <n>', 'at most this many tasks (1-1000); default 100')
    .option('--before <id>', 'only tasks with a smaller id: the next page')
    .option('--json', 'print the API answer as JSON')
    .action(
      context.run(async (options: ListOptions) => {
        const query = {
          status: options.status,
          node: options.node,
          batch: options.batch,
          limit: options.limit,
          before: options.before,
        };
        checkLocally(() => validateRouteInput('listTasks', { query }));
        const answer = await context.client().call('listTasks', { query });
        if (context.wantsJson(options.json)) writeJson(context.io.stdout, answer);
        else context.io.stdout.write(renderTaskList(answer, context.fancy));
        return 0;
      }),
    );
}

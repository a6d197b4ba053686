import type { Command } from 'commander';
import type { AuditEntry } from '@kawa/protocol';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../../context.js';
import { palette } from '../../output/colour.js';
import { formatTime } from '../../output/format.js';
import { writeJson } from '../../output/json.js';
import { renderTable } from '../../output/table.js';

/** The audit log as a table, newest first; a refusal or failure shows its error code. */
export function renderAudit(entries: readonly AuditEntry[], colour: boolean): string {
  if (entries.length === 0) return 'the audit log is empty\n';
  const paint = palette(colour);
  return renderTable(
    [
      { header: 'TIME' },
      { header: 'USER' },
      { header: 'ACTION' },
      { header: 'TARGET', flex: true },
      { header: 'OUTCOME' },
    ],
    entries.map((entry) => [
      formatTime(entry.at),
      entry.user,
      entry.action,
      entry.target,
      entry.code === null ? entry.outcome : `${entry.outcome} ${entry.code}`,
    ]),
    {
      paint: (cell, rowIndex, column) => {
        const entry = entries[rowIndex];
        if (column !== 4 || !entry || entry.outcome === 'ok') return cell;
        return entry.outcome === 'refused' ? paint.yellow(cell) : paint.red(cell);
      },
    },
  );
}

function limitOf(text: string): number {
  const limit = Number(text);
  if (!/^[0-9]+$/.test(text) || limit < 1 || limit > 10_000)
    throw new UsageError('KAWA_ERR_USAGE', `--limit must be a whole number from 1 to 10000, not "${text}"`);
  return limit;
}

export function registerAuditCommand(program: Command, context: CliContext): void {
  program
    .command('audit')
    .summary('show the audit log: submits, kills, ssh, terminals, VPS and env changes, users, tokens (admin)')
    .option('--user <name>', 'only what this user did')
    .option('--limit <n>', 'how many entries, newest first', '50')
    .option('--json', 'print the API answer as JSON')
    .action(
      context.run(async (options: { user?: string; limit: string; json?: boolean }) => {
        const answer = await context
          .client()
          .call('listAudit', { query: { user: options.user, limit: limitOf(options.limit) } });
        if (context.wantsJson(options.json)) writeJson(context.io.stdout, answer);
        else context.io.stdout.write(renderAudit(answer.entries, context.fancy));
        return 0;
      }),
    );
}

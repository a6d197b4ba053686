import type { Outcome, RunResult } from './execute.js';

export type RunStatus = 'ok' | 'failed' | 'stopped' | 'not started';

/** How a run ended, as the summary counts it. */
export function statusOf(result: RunResult): RunStatus {
  const { outcome } = result;
  if (outcome.kind === 'not-started') return 'not started';
  if (outcome.kind === 'exited' && outcome.code === 0) return 'ok';
  return result.stopped ? 'stopped' : 'failed';
}

/** "exit 3", "killed by SIGKILL", "could not start: spawn foo ENOENT". */
export function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'exited':
      return `exit ${outcome.code}`;
    case 'signalled':
      return `killed by ${outcome.signal}`;
    case 'unstartable':
      return `could not start: ${outcome.message}`;
    case 'not-started':
      return 'not started';
  }
}

/** The most failures the summary line names; the rest are counted. */
const NAMED_FAILURES = 5;

/** "4 runs: 3 ok, 1 failed (run 2: exit 3)"; stopped and unstarted runs are counted too. */
export function summaryLine(results: readonly RunResult[]): string {
  const count = (status: RunStatus): number => results.filter((result) => statusOf(result) === status).length;
  const failed = results.filter((result) => statusOf(result) === 'failed');
  const named = failed
    .slice(0, NAMED_FAILURES)
    .map((result) => `run ${result.run.index}: ${describeOutcome(result.outcome)}`);
  if (failed.length > NAMED_FAILURES) named.push(`${failed.length - NAMED_FAILURES} more`);
  const parts = [`${count('ok')} ok`];
  if (failed.length > 0) parts.push(`${failed.length} failed (${named.join(', ')})`);
  if (count('stopped') > 0) parts.push(`${count('stopped')} stopped`);
  if (count('not started') > 0) parts.push(`${count('not started')} not started`);
  return `${results.length} run${results.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

/** The --json document: every run with its argv and ending, and the counts. */
export function summaryJson(results: readonly RunResult[]): Record<string, unknown> {
  const runs = results.map((result) => ({
    index: result.run.index,
    argv: result.run.argv,
    label: result.run.label,
    status: statusOf(result),
    exitCode: result.outcome.kind === 'exited' ? result.outcome.code : null,
    signal: result.outcome.kind === 'signalled' ? result.outcome.signal : null,
    error: result.outcome.kind === 'unstartable' ? result.outcome.message : null,
    durationMs: result.durationMs,
  }));
  const count = (status: RunStatus): number => runs.filter((run) => run.status === status).length;
  return {
    runs,
    ok: count('ok'),
    failed: count('failed'),
    stopped: count('stopped'),
    notStarted: count('not started'),
  };
}

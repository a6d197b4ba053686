import { MAX_SWEEP_SIZE, SweepSyntaxError, expandSweep, hasSpans, sweepSize } from '@kawa/protocol';

/** How many expanded commands the submit form lists; the count covers the rest. */
export const PREVIEW_COMMANDS = 20;

/** What the submit form shows for an argv with `span:` arguments. */
export type SweepPreview =
  | { kind: 'none' }
  | { kind: 'error'; error: string }
  | { kind: 'sweep'; commands: number; tasks: number; first: string[][] };

/**
 * Expands `argv` as the host will with `sweep: true` (protocol sweep.ts), for a preview: the
 * number of commands, the tasks they make with `targets` (one per command and target), and
 * the first few commands. Errors are the ones the host would refuse the submit with.
 */
export function previewSweep(argv: readonly string[], targets: number): SweepPreview {
  if (!hasSpans(argv)) return { kind: 'none' };
  try {
    const commands = sweepSize(argv);
    const tasks = commands * Math.max(1, targets);
    if (commands > MAX_SWEEP_SIZE)
      return { kind: 'error', error: `the sweep expands to ${commands} commands; at most ${MAX_SWEEP_SIZE}` };
    if (tasks > MAX_SWEEP_SIZE)
      return {
        kind: 'error',
        error: `${commands} commands × ${targets} targets make ${tasks} tasks; at most ${MAX_SWEEP_SIZE}`,
      };
    return { kind: 'sweep', commands, tasks, first: expandSweep(argv).slice(0, PREVIEW_COMMANDS) };
  } catch (error) {
    if (error instanceof SweepSyntaxError) return { kind: 'error', error: error.message };
    throw error;
  }
}

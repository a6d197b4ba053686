import { MAX_SWEEP_SIZE, SweepSyntaxError, hasSpans, sweepSize } from '@kawa/protocol';
import { UsageError } from '../../errors.js';

/** What a sweep submit will make: the host expands the spans, once per target. */
export interface SweepPlan {
  /** Commands the spans expand to. */
  commands: number;
  /** Targets each command runs on (1 when the scheduler picks). */
  targets: number;
  /** commands × targets. */
  tasks: number;
}

const literalHint = 'or add --no-sweep to pass span: arguments literally';

/**
 * Checks the spans of `command` here, with the protocol's parser, so a typo costs no request:
 * null when the command has no span, else the sweep's size. Throws KAWA_ERR_BAD_SWEEP.
 */
export function planSweep(command: readonly string[], targetCount: number): SweepPlan | null {
  if (!hasSpans(command)) return null;
  let commands: number;
  try {
    commands = sweepSize(command);
  } catch (error) {
    if (!(error instanceof SweepSyntaxError)) throw error;
    throw new UsageError('KAWA_ERR_BAD_SWEEP', `${error.message} (${literalHint})`, { cause: error });
  }
  const targets = Math.max(1, targetCount);
  const tasks = commands * targets;
  if (tasks > MAX_SWEEP_SIZE) {
    const product = targets > 1 ? ` (${commands} commands × ${targets} targets)` : '';
    throw new UsageError(
      'KAWA_ERR_BAD_SWEEP',
      `the sweep expands to ${tasks} tasks${product}; a batch has at most ${MAX_SWEEP_SIZE}: split it into smaller sweeps`,
    );
  }
  return { commands, targets, tasks };
}

/** "sweep of 6 commands × 2 targets", or "sweep of 6 commands" when the scheduler picks. */
export function describeSweep(plan: SweepPlan, targetCount: number): string {
  const commands = `${plan.commands} command${plan.commands === 1 ? '' : 's'}`;
  if (targetCount === 0) return `sweep of ${commands}`;
  return `sweep of ${commands} × ${targetCount} target${targetCount === 1 ? '' : 's'}`;
}

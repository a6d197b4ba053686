import { SweepSyntaxError, expandSweep } from '@kawa/protocol';
import { UsageError } from '../errors.js';
import { commandFor, type Target } from './target.js';

/** One run of the sweep. */
export interface Run {
  /** 1-based, in sweep order (the first span varies slowest). */
  index: number;
  total: number;
  argv: string[];
  /** The span values of this run, named after their flag: "lr=0.1 seed=2", or "1 a" for bare spans. */
  label: string;
}

/** The name a span's value is shown under: the flag before it (--lr, -n), else none. */
function spanName(previous: string | undefined): string | null {
  if (previous === undefined || !/^--?[A-Za-z]/.test(previous) || previous.includes('=')) return null;
  return previous.replace(/^--?/, '');
}

/** Every run of `target` over the Cartesian product of the spans in `args`. Throws KAWA_ERR_BAD_SWEEP. */
export function planRuns(target: Target, args: readonly string[]): Run[] {
  let expanded: string[][];
  try {
    expanded = expandSweep(args);
  } catch (error) {
    if (!(error instanceof SweepSyntaxError)) throw error;
    throw new UsageError('KAWA_ERR_BAD_SWEEP', error.message, { cause: error });
  }
  const spans = args.flatMap((argument, position) => (argument.startsWith('span:') ? [position] : []));
  return expanded.map((values, offset) => ({
    index: offset + 1,
    total: expanded.length,
    argv: commandFor(target, values),
    label: spans
      .map((position) => {
        const name = spanName(args[position - 1]);
        const value = values[position] ?? '';
        return name === null ? value : `${name}=${value}`;
      })
      .join(' '),
  }));
}

/** "[3/12 lr=0.1 seed=2] ": the index padded so the prefixes of a sweep line up. */
export function prefixOf(run: Run): string {
  const index = String(run.index).padStart(String(run.total).length);
  return `[${index}/${run.total}${run.label === '' ? '' : ` ${run.label}`}] `;
}

import { writeLine, type CliOutput } from '../io.js';
import { formatAmount } from './format.js';

/** "██████░░░░░░" `width` cells wide, filled by done/total. */
export function renderBar(done: number, total: number, width = 20): string {
  const filled = total <= 0 ? 0 : Math.min(width, Math.floor((done / total) * width));
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** "saving kawa/py:base ███░░ 312 MB / 1.0 GB (31%)": a bar only when the total is known. */
export function describeBytes(label: string, doneBytes: number, totalBytes: number | null, bar: boolean): string {
  // Nothing measured yet and nothing to measure against: the label says it all.
  if (doneBytes === 0 && totalBytes === null) return label;
  const drawn = bar && totalBytes !== null && totalBytes > 0 ? ` ${renderBar(doneBytes, totalBytes)}` : '';
  return `${label}${drawn} ${formatAmount(doneBytes, totalBytes)}`;
}

/**
 * Plain progress lines for logs and pipes: a line when `key` changes (a new phase), otherwise
 * at most one per `intervalMs`, so a long job leaves a readable trail rather than a flood.
 */
export function createOccasionalLines(
  output: CliOutput,
  intervalMs: number,
  now: () => number = Date.now,
): (key: string, line: string) => void {
  let lastKey: string | undefined;
  let lastAt = Number.NEGATIVE_INFINITY;
  return (key, line) => {
    const at = now();
    if (key === lastKey && at - lastAt < intervalMs) return;
    lastKey = key;
    lastAt = at;
    writeLine(output, line);
  };
}

export interface ByteProgress {
  /** Reports how far a phase (`label`) has got. */
  update(label: string, doneBytes: number, totalBytes: number | null): void;
  /** Clears the bar; call before printing results. */
  done(): void;
}

export interface ByteProgressOptions {
  /** A person watches: redraw one line with a bar. Otherwise, plain lines now and then. */
  tty: boolean;
  /** Plain lines: at most one per this long within a phase. */
  intervalMs?: number;
  now?: () => number;
}

/** Progress of work measured in bytes (tar create, env sync) on `output` (stderr). */
export function createByteProgress(output: CliOutput, options: ByteProgressOptions): ByteProgress {
  if (!options.tty) {
    const print = createOccasionalLines(output, options.intervalMs ?? 5_000, options.now);
    return {
      update: (label, doneBytes, totalBytes) => print(label, describeBytes(label, doneBytes, totalBytes, false)),
      done: () => undefined,
    };
  }
  let shown = false;
  return {
    update(label, doneBytes, totalBytes) {
      output.write(`\r\u001b[2K${describeBytes(label, doneBytes, totalBytes, true)}`);
      shown = true;
    },
    done() {
      if (shown) output.write('\r\u001b[2K');
      shown = false;
    },
  };
}

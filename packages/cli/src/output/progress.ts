import type { CliOutput } from '../io.js';

export interface Progress {
  /** Replaces the status text next to the spinner. */
  update(text: string): void;
  /** Clears the spinner line; call before printing results. */
  done(): void;
}

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const noProgress: Progress = { update: () => undefined, done: () => undefined };

/** A one-line spinner on `output` (stderr) when a person watches; does nothing otherwise. */
export function createProgress(output: CliOutput, enabled: boolean, intervalMs = 100): Progress {
  if (!enabled) return noProgress;
  let text = '';
  let frame = 0;
  let shown = false;
  const draw = (): void => {
    frame = (frame + 1) % frames.length;
    output.write(`\r\u001b[2K${frames[frame] ?? ''} ${text}`);
    shown = true;
  };
  const timer = setInterval(draw, intervalMs);
  // The spinner alone must never keep the process alive.
  timer.unref?.();
  return {
    update(next) {
      text = next;
      draw();
    },
    done() {
      clearInterval(timer);
      if (shown) output.write('\r\u001b[2K');
      shown = false;
    },
  };
}

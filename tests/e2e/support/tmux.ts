import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { eventually } from './cluster.js';

const run = promisify(execFile);

/** A tmux server of its own (-L), so tests never touch a user's sessions. */
export interface Tmux {
  /** Types text into the pane, as keys (tmux send-keys -l), optionally followed by Enter. */
  type(text: string, enter?: boolean): Promise<void>;
  /** Sends named keys such as C-c or Enter. */
  keys(...keys: string[]): Promise<void>;
  /** The pane's visible text and scrollback. */
  capture(): Promise<string>;
  /** Waits until the pane's text matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startTmux(options: { env: Record<string, string>; command: string[] }): Promise<Tmux> {
  const socket = `kawa-e2e-${randomBytes(4).toString('hex')}`;
  const tmux = (...args: string[]): Promise<{ stdout: string }> =>
    run('tmux', ['-L', socket, ...args], { env: { ...options.env, TERM: 'xterm-256color' }, timeout: 10_000 });
  await tmux('new-session', '-d', '-s', 'e2e', '-x', '120', '-y', '40', ...options.command);
  const capture = async (): Promise<string> =>
    (await tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 'e2e')).stdout;
  return {
    type: async (text, enter = true) => {
      await tmux('send-keys', '-t', 'e2e', '-l', text);
      if (enter) await tmux('send-keys', '-t', 'e2e', 'Enter');
    },
    keys: async (...keys) => {
      await tmux('send-keys', '-t', 'e2e', ...keys);
    },
    capture,
    waitFor: (pattern, timeoutMs = 20_000) =>
      eventually(
        async () => {
          const text = await capture();
          return pattern.test(text) ? text : null;
        },
        timeoutMs,
        `the tmux pane to show ${pattern}`,
      ).catch(async (error: Error) => {
        throw new Error(`${error.message}; the pane shows:\n${await capture().catch(() => '(gone)')}`);
      }),
    close: async () => {
      await tmux('kill-server').catch(() => undefined);
    },
  };
}

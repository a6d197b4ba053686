import process from 'node:process';

/** What a shell reads keystrokes from: process.stdin, or a stream in tests. */
export type TerminalInput = NodeJS.ReadableStream & {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
};

/** Signals that end an interactive session (in raw mode Ctrl-C is a byte, not SIGINT). */
export type TerminalSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
export const signalNumbers: Record<TerminalSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export interface TerminalSize {
  cols: number;
  rows: number;
}

/** The user's terminal, behind an interface so shells can be tested with a fake one. */
export interface TerminalIo {
  stdin: TerminalInput;
  /** The terminal's size, or null when neither stdout nor stderr is a terminal. */
  size(): TerminalSize | null;
  /** Calls `listener` when the terminal is resized (SIGWINCH); returns the remover. */
  onResize(listener: () => void): () => void;
  /** Calls `listener` on SIGINT, SIGTERM or SIGHUP instead of dying; returns the remover. */
  onSignal(listener: (signal: TerminalSignal) => void): () => void;
}

/** This process's terminal. */
export function processTerminal(): TerminalIo {
  return {
    stdin: process.stdin,
    size() {
      const output = [process.stdout, process.stderr].find((stream) => stream.isTTY);
      if (!output) return null;
      // Asked afresh: columns/rows are only refreshed by Node's own SIGWINCH handler.
      const [cols, rows] = output.getWindowSize();
      return { cols, rows };
    },
    onResize(listener) {
      process.on('SIGWINCH', listener);
      return () => process.off('SIGWINCH', listener);
    },
    onSignal(listener) {
      const names = Object.keys(signalNumbers) as TerminalSignal[];
      const handlers = names.map((name) => [name, () => listener(name)] as const);
      for (const [name, handler] of handlers) process.on(name, handler);
      return () => {
        for (const [name, handler] of handlers) process.off(name, handler);
      };
    },
  };
}

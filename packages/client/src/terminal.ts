import {
  KawaError,
  TerminalClientFrameSchema,
  TerminalServerFrameSchema,
  parseOrThrow,
  type TerminalServerFrame,
} from '@kawa/protocol';
import { contractMismatch } from './errors.js';

/** What a terminal opens with: its size and, instead of the default shell, a command. */
export interface TerminalOptions {
  cols?: number;
  rows?: number;
  command?: readonly string[];
}

/** Terminal sizes the protocol allows; a terminal reporting 0 columns (some do) still gets 1. */
function clampSize(value: number): number {
  return Math.min(1000, Math.max(1, Math.round(value)));
}

/** The query of a terminal WebSocket (see TerminalQuerySchema): the command as a JSON argv. */
export function terminalQuery(options: TerminalOptions): { cols?: number; rows?: number; command?: string } {
  return {
    ...(options.cols === undefined ? {} : { cols: clampSize(options.cols) }),
    ...(options.rows === undefined ? {} : { rows: clampSize(options.rows) }),
    ...(options.command === undefined ? {} : { command: JSON.stringify(options.command) }),
  };
}

/** The text frame that tells the host the terminal's new size. */
export function resizeFrame(cols: number, rows: number): string {
  const frame = parseOrThrow(
    TerminalClientFrameSchema,
    { type: 'resize', cols: clampSize(cols), rows: clampSize(rows) },
    'resize frame',
  );
  return JSON.stringify(frame);
}

/** Parses a text frame from the host; anything the contract does not allow is KAWA_ERR_INTERNAL. */
export function parseTerminalFrame(text: string): TerminalServerFrame {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new KawaError('KAWA_ERR_INTERNAL', `the host sent a terminal frame that is not JSON: ${text.slice(0, 200)}`, {
      cause: error,
    });
  }
  try {
    return parseOrThrow(TerminalServerFrameSchema, json, 'terminal frame');
  } catch (error) {
    throw contractMismatch(error);
  }
}

import type { TaskStatus } from '@kawa/protocol';

export type Paint = (text: string) => string;

const codes = { red: 31, green: 32, yellow: 33, blue: 34, cyan: 36, grey: 90, bold: 1 } as const;
export type ColourName = keyof typeof codes;

/** ANSI colours when `enabled` (a TTY without NO_COLOR), plain text otherwise. */
export function palette(enabled: boolean): Record<ColourName, Paint> {
  const make = (code: number): Paint => (enabled ? (text) => `\u001b[${code}m${text}\u001b[0m` : (text) => text);
  return {
    red: make(codes.red),
    green: make(codes.green),
    yellow: make(codes.yellow),
    blue: make(codes.blue),
    cyan: make(codes.cyan),
    grey: make(codes.grey),
    bold: make(codes.bold),
  };
}

export function statusColour(status: TaskStatus): ColourName | null {
  switch (status) {
    case 'completed':
      return 'green';
    case 'failed':
    case 'oom':
    case 'killed':
    case 'lost':
      return 'red';
    case 'pending':
    case 'paused':
    case 'stopped':
      return 'yellow';
    case 'assigned':
    case 'syncing':
    case 'running':
      return 'cyan';
  }
}

/** The levels a runner logs at, quietest first. */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

const rank: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

/** A line-per-message logger on stderr; the runner is a daemon, so stdout stays free. */
export function createLogger(level: LogLevel = 'info', write: (line: string) => void = writeStderr): Logger {
  const at =
    (messageLevel: Exclude<LogLevel, 'silent'>) =>
    (message: string): void => {
      if (rank[messageLevel] <= rank[level])
        write(`${new Date().toISOString()} kawa-runner ${messageLevel}: ${message}\n`);
    };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

function writeStderr(line: string): void {
  process.stderr.write(line);
}

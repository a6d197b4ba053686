import { Option } from 'commander';
import { UsageError } from '@kawa/cli';

export const logLevels = ['silent', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof logLevels)[number];

export function logLevelOption(defaultLevel: LogLevel): Option {
  return new Option('--log-level <level>', 'how much the daemon logs').choices(logLevels).default(defaultLevel);
}

/** A --port flag: 0 picks a free port. Checked here so a typo is a usage error, not a config one. */
export function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65_535))
    throw new UsageError('KAWA_ERR_USAGE', `--port must be a number from 0 to 65535, got "${text}"`);
  return port;
}

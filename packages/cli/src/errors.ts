import { KawaError, type ErrorCode } from '@kawa/protocol';

/** Exit codes; the help epilogue documents the same table. */
export const exitCodes = {
  ok: 0,
  /** The host answered with an error, or a wait timed out. */
  failed: 1,
  /** Bad command line or a value that fails validation before anything is sent. */
  usage: 2,
  /** EX_UNAVAILABLE: the host cannot be reached. */
  unavailable: 69,
  /** EX_SOFTWARE: an unexpected error, a bug in Kawa. */
  software: 70,
  /** EX_CONFIG: bad config file or KAWA_* variable, or no API token. */
  config: 78,
} as const;

/**
 * A KawaError found on this side before any request: a bad flag or value. It keeps the code
 * the host would give (KAWA_ERR_BAD_TARGET, …) but exits with the usage code.
 */
export class UsageError extends KawaError {
  constructor(code: ErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'UsageError';
  }
}

/** Runs a local check, turning its KawaError into a UsageError. */
export function checkLocally<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof KawaError && !(error instanceof UsageError)) {
      throw new UsageError(error.code, error.message, { details: error.details, cause: error });
    }
    throw error;
  }
}

export function exitCodeFor(error: KawaError): number {
  if (error instanceof UsageError || error.code === 'KAWA_ERR_USAGE') return exitCodes.usage;
  if (error.code === 'KAWA_ERR_HOST_UNREACHABLE') return exitCodes.unavailable;
  if (error.code === 'KAWA_ERR_CONFIG') return exitCodes.config;
  return exitCodes.failed;
}

/** The one shape of every error line the CLI prints. */
export function formatError(error: KawaError): string {
  return `error: ${error.message} (${error.code})`;
}

export const exitCodeHelp = `Exit codes:
  0    success
  1    the request failed: the host answered with an error, or a wait timed out
  2    usage error: unknown command or flag, or a bad value (target, cores, memory, env, id)
       found before anything was sent
  69   the host is unreachable (EX_UNAVAILABLE)
  70   an unexpected error, a bug in Kawa (EX_SOFTWARE)
  78   configuration error: bad config file or KAWA_* variable, or no API token (EX_CONFIG)
  task submit --wait and task wait exit with the task's exit code: with several tasks the
  first non-zero one in id order; a task that ended without an exit code (killed, lost) gives 1.
  docker container shell and connect exit with the shell's (or command's) exit code; 128+N
  after signal N. ssh exits with ssh's exit code: the remote command's, or 255 when ssh fails.

Errors print to stderr as: error: <message> (<KAWA_ERR_CODE>)`;

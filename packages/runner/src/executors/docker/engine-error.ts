import { isKawaError, KawaError } from '@kawa/protocol';
import { errorMessage } from '../../util/errno.js';

/** What dockerode (docker-modem) attaches to an error the engine answered with. */
interface EngineAnswer {
  statusCode?: unknown;
  json?: unknown;
  reason?: unknown;
}

/** The HTTP status the engine answered with, or null when it never answered. */
export function engineStatus(error: unknown): number | null {
  const status = (error as EngineAnswer | null)?.statusCode;
  return typeof status === 'number' ? status : null;
}

/** The engine's own message ("No such image: …"), without docker-modem's "(HTTP code 404) …" prefix. */
export function engineMessage(error: unknown): string {
  const json = (error as EngineAnswer | null)?.json;
  if (typeof json === 'object' && json !== null && 'message' in json && typeof json.message === 'string')
    return json.message.trim();
  return errorMessage(error).trim();
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/**
 * Turns a failed engine call into a KawaError. An engine that answered refused or failed the
 * operation (KAWA_ERR_DOCKER_FAILED, with its message); one that did not answer at all (no
 * socket, connection refused, a timeout) is unavailable, and the message names the socket so
 * the operator knows which setting to check.
 */
export function engineError(error: unknown, what: string, socketPath: string): KawaError {
  if (error instanceof KawaError) return error;
  const status = engineStatus(error);
  if (status !== null)
    return new KawaError('KAWA_ERR_DOCKER_FAILED', `${what}: ${engineMessage(error)}`, {
      cause: error,
      details: { engineStatus: status },
    });
  const why =
    isAbortError(error) || (error as Error | null)?.name === 'TimeoutError' ? 'no answer in time' : errorMessage(error);
  return new KawaError(
    'KAWA_ERR_DOCKER_UNAVAILABLE',
    `the Docker Engine does not answer on ${socketPath} (${what}: ${why}); start dockerd or set runner.docker_socket`,
    { cause: error },
  );
}

/** The HTTP status behind a KawaError made by engineError (409 for a name conflict), or null. */
export function answeredStatus(error: unknown): number | null {
  if (!isKawaError(error)) return null;
  const details = error.details as { engineStatus?: unknown } | undefined;
  return typeof details?.engineStatus === 'number' ? details.engineStatus : null;
}

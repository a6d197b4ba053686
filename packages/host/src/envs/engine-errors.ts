import { KawaError } from '@kawa/protocol';

/** How a failed Engine call reads in Kawa's terms; `action` completes "Docker could not …". */
export interface EngineFailure {
  action: string;
  /** The error for a 404 (the container or image is missing); without it a 404 is DOCKER_FAILED. */
  notFound?: () => KawaError;
  /** The error for a 409 (already exists, or not running); without it a 409 is DOCKER_FAILED. */
  conflict?: () => KawaError;
}

/** Socket errors that mean nothing answers on the Engine's socket. */
const UNAVAILABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ENOTSOCK']);

interface EngineErrorShape {
  code?: unknown;
  statusCode?: unknown;
  json?: unknown;
  message?: unknown;
}

/** Docker's own words: the JSON `message` of its answer when there is one. */
function dockerMessage(error: EngineErrorShape): string {
  const json = error.json;
  if (typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string')
    return (json as { message: string }).message.trim();
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  return typeof error.message === 'string' ? error.message.trim() : 'no message';
}

/**
 * Maps whatever dockerode threw to a KawaError: an absent Engine (503, naming the socket),
 * a 404 or 409 as the caller says, anything else as DOCKER_FAILED (502) with Docker's message.
 * A KawaError passes through unchanged.
 */
export function toEngineError(error: unknown, socketPath: string, failure: EngineFailure): KawaError {
  if (error instanceof KawaError) return error;
  const shape: EngineErrorShape = typeof error === 'object' && error !== null ? error : { message: String(error) };
  if (typeof shape.code === 'string' && UNAVAILABLE_CODES.has(shape.code) && shape.statusCode === undefined) {
    return new KawaError(
      'KAWA_ERR_DOCKER_UNAVAILABLE',
      `the Docker Engine does not answer on ${socketPath} (${shape.code}): start Docker, or set docker_socket in the host config`,
      { cause: error, details: { socket: socketPath } },
    );
  }
  if (shape.statusCode === 404 && failure.notFound) return failure.notFound();
  if (shape.statusCode === 409 && failure.conflict) return failure.conflict();
  return new KawaError('KAWA_ERR_DOCKER_FAILED', `Docker could not ${failure.action}: ${dockerMessage(shape)}`, {
    cause: error,
    ...(typeof shape.statusCode === 'number' ? { details: { dockerStatus: shape.statusCode } } : {}),
  });
}

import { hostUnreachable } from './errors.js';

/**
 * Reads a response body chunk by chunk with a reader, which browsers and Node both support. A
 * connection lost midway becomes KAWA_ERR_HOST_UNREACHABLE ("cannot `doing` …"); an abort
 * rejects with the signal's reason.
 */
export async function* readBody(
  baseUrl: string,
  response: Response,
  doing: string,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  if (!response.body) return;
  const reader = response.body.getReader();
  try {
    for (;;) {
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await reader.read();
      } catch (error) {
        if (signal?.aborted) throw signal.reason ?? error;
        throw hostUnreachable(baseUrl, error, doing);
      }
      if (result.done) return;
      yield result.value;
    }
  } finally {
    // Stopping early (break, abort) must free the connection.
    await reader.cancel().catch(() => undefined);
  }
}

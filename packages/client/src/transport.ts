import { buildPath, type RouteDef } from '@kawa/protocol';
import { hostUnreachable } from './errors.js';
import type { ClientOptions } from './client.js';

/** Everything a request needs, shared by `call` and the log reader. */
export interface Transport {
  baseUrl: string;
  /** The CA to trust for WebSockets (ClientOptions.ca). */
  ca: string | undefined;
  /** The `Authorization` header for the token, or none when there is no token. */
  authHeaders(): Record<string, string>;
  /** Sends a request, mapping connection failures (not aborts) to KAWA_ERR_HOST_UNREACHABLE. */
  send(
    path: string,
    init: { method: string; body?: unknown; signal?: AbortSignal | undefined; accept?: string },
  ): Promise<Response>;
}

export function createTransport(options: ClientOptions): Transport {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const authHeaders = (): Record<string, string> =>
    options.token === '' ? {} : { authorization: `Bearer ${options.token}` };
  return {
    baseUrl,
    ca: options.ca,
    authHeaders,
    async send(path, init) {
      const headers: Record<string, string> = {
        accept: init.accept ?? 'application/json, text/plain',
        ...authHeaders(),
      };
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      try {
        return await fetchImpl(`${baseUrl}${path}`, {
          method: init.method,
          headers,
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
          signal: init.signal,
        });
      } catch (error) {
        // Cancellation is the caller's doing, not a connection failure.
        if (init.signal?.aborted) throw init.signal.reason ?? error;
        throw hostUnreachable(baseUrl, error);
      }
    },
  };
}

/** Serialises a validated query as the host expects it: every value as a string. */
export function toSearch(query: unknown): string {
  if (query === undefined || query === null) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    search.set(key, Array.isArray(value) ? value.map(queryText).join(',') : queryText(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

function queryText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/** The URL path of a call, with `:params` filled in and the query appended. */
export function routePath(route: RouteDef, params: unknown, query: unknown): string {
  return buildPath(route.path, (params ?? {}) as Record<string, string | number>) + toSearch(query);
}

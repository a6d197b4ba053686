import { parseOrThrow, wsRoutes, buildPath } from '@kawa/protocol';
import type { z } from 'zod';
import { toSearch, type Transport } from './transport.js';

export type SocketRouteName = keyof typeof wsRoutes;
type SocketRoutes = typeof wsRoutes;

/** What a WebSocket route takes: its path parameters and its query, before parsing. */
export interface SocketInput<N extends SocketRouteName> {
  params: z.input<SocketRoutes[N]['params']>;
  query?: z.input<SocketRoutes[N]['query']>;
}

/**
 * Where to open a WebSocket route and what to send with it. The client opens no socket itself
 * (it has no Node APIs): the CLI passes both to `ws`. Browsers cannot set headers on a
 * WebSocket, so the web UI must authenticate another way.
 */
export interface SocketTarget {
  /** `ws://` or `wss://`, after the base URL's scheme, with the path and query filled in. */
  url: string;
  /** `Authorization: Bearer …` when there is a token. */
  headers: Record<string, string>;
  /** PEM CA certificate(s) to trust for a wss:// host (ClientOptions.ca). */
  ca?: string;
}

/** `http://h:8000/x` → `ws://h:8000/x`, `https:` → `wss:`. */
export function webSocketBase(baseUrl: string): string {
  return baseUrl.replace(/^http(s?):/i, (_match, secure: string) => `ws${secure.toLowerCase()}:`);
}

/**
 * Builds the target of a WebSocket route, checking its input first with the route's schemas
 * (a bad env name throws the same coded KawaError the host would answer).
 */
export function socketTarget<N extends SocketRouteName>(
  transport: Transport,
  name: N,
  input: SocketInput<N>,
): SocketTarget {
  const route = wsRoutes[name];
  const params = parseOrThrow(route.params, input.params, 'path parameters') as Record<string, string | number>;
  parseOrThrow(route.query, input.query ?? {}, 'query');
  const path = buildPath(route.path, params) + toSearch(input.query);
  return {
    url: webSocketBase(transport.baseUrl) + path,
    headers: transport.authHeaders(),
    ...(transport.ca === undefined ? {} : { ca: transport.ca }),
  };
}

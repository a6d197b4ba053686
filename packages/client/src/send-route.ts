import type { RouteDef, RouteName } from '@kawa/protocol';
import { routes } from '@kawa/protocol';
import { errorFromResponse } from './errors.js';
import { routePath, type Transport } from './transport.js';
import { validateRouteInput, type RawInput } from './validate.js';

export interface SentRoute {
  route: RouteDef;
  /** "POST /api/v1/…", for messages. */
  what: string;
  /** A 2xx answer; anything else has been turned into a KawaError. */
  response: Response;
}

/**
 * Validates a route's input (bad input throws the KawaError the host would answer), sends it,
 * and turns an error answer into a KawaError. The caller reads the body its way: JSON, text,
 * bytes or NDJSON.
 */
export async function sendRoute(
  transport: Transport,
  name: RouteName,
  input: RawInput & { signal?: AbortSignal | undefined },
  accept?: string,
): Promise<SentRoute> {
  validateRouteInput(name, input);
  const route: RouteDef = routes[name];
  const what = `${route.method} ${route.path}`;
  // POST routes always carry a JSON body, so an action without one still passes content checks.
  const body = route.method === 'POST' ? (input.body ?? {}) : undefined;
  const response = await transport.send(routePath(route, input.params, input.query), {
    method: route.method,
    body,
    signal: input.signal,
    ...(accept === undefined ? {} : { accept }),
  });
  if (!response.ok) throw await errorFromResponse(response, what);
  return { route, what, response };
}

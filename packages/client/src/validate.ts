import { parseOrThrow, routes, type RouteDef, type RouteName } from '@kawa/protocol';

/** The three parts of a request a route may declare, as the caller gives them. */
export interface RawInput {
  params?: unknown;
  query?: unknown;
  body?: unknown;
}

const partNames = { params: 'path parameters', query: 'query', body: 'request body' } as const;

/**
 * Checks a call's input against its route's schemas, so bad input fails before anything is
 * sent, with the same KAWA_ERR_* code the host would answer. Throws a KawaError.
 */
export function validateRouteInput(name: RouteName, input: RawInput): void {
  const route: RouteDef = routes[name];
  for (const part of ['params', 'query', 'body'] as const) {
    const schema = route[part];
    if (schema) parseOrThrow(schema, input[part] ?? (part === 'body' ? undefined : {}), partNames[part]);
  }
}

import { KawaError, parseOrThrow, routes, type RouteDef, type RouteName, type Routes } from '@kawa/protocol';
import type { z } from 'zod';
import { readBody } from './body.js';
import { contractMismatch } from './errors.js';
import { sendRoute } from './send-route.js';
import type { Transport } from './transport.js';
import type { RawInput } from './validate.js';

/** Routes that answer with NDJSON: one event per line, each parsed with the route's `stream` schema. */
export type StreamRouteName = {
  [N in RouteName]: Routes[N] extends { stream: z.ZodType } ? N : never;
}[RouteName];

/** One parsed line of stream route N. */
export type StreamEvent<N extends StreamRouteName> = Routes[N] extends { stream: infer S extends z.ZodType }
  ? z.output<S>
  : never;

/** A line longer than this is not an event but a broken answer; stop before it eats memory. */
const MAX_LINE_CHARS = 1 << 20;

/**
 * Splits a byte stream into its non-empty lines, decoding UTF-8 across chunk boundaries (a
 * line, or a character, may be cut anywhere). A last line without "\n" still counts.
 */
export async function* ndjsonLines(chunks: AsyncIterable<Uint8Array>, what: string): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of chunks) {
    const lines = (pending + decoder.decode(chunk, { stream: true })).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') yield line;
    if (pending.length > MAX_LINE_CHARS)
      throw new KawaError('KAWA_ERR_INTERNAL', `${what} sent a line of more than ${MAX_LINE_CHARS} characters`);
  }
  pending += decoder.decode();
  if (pending.trim() !== '') yield pending;
}

/** Parses one NDJSON line with `schema`; a line that is not JSON or not allowed is KAWA_ERR_INTERNAL. */
export function parseStreamLine<S extends z.ZodType>(schema: S, line: string, what: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw new KawaError('KAWA_ERR_INTERNAL', `${what} sent a line that is not JSON: ${line.trim().slice(0, 200)}`, {
      cause: error,
    });
  }
  try {
    return parseOrThrow(schema, json, `a line of ${what}`);
  } catch (error) {
    throw contractMismatch(error);
  }
}

/**
 * Calls a stream route and yields its events as they arrive. Errors answered before the
 * stream starts are KawaErrors, as from `call`; they surface on the first iteration.
 */
export async function* streamRoute<N extends StreamRouteName>(
  transport: Transport,
  name: N,
  input: RawInput & { signal?: AbortSignal | undefined },
): AsyncGenerator<StreamEvent<N>> {
  const schema = (routes[name] as RouteDef).stream;
  if (!schema) throw new TypeError(`${name} is not a stream route: use client.call('${name}', …)`);
  const { what, response } = await sendRoute(transport, name, input, 'application/x-ndjson, application/json');
  const chunks = readBody(transport.baseUrl, response, `keep reading ${what} from`, input.signal);
  for await (const line of ndjsonLines(chunks, what)) yield parseStreamLine(schema, line, what) as StreamEvent<N>;
}

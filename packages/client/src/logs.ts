import { LOG_SIZE_HEADER, type LogStream } from '@kawa/protocol';
import type { Transport } from './transport.js';
import { readBody } from './body.js';
import { sendRoute } from './send-route.js';

/** Which part of a task's log to read; see LogsQuerySchema. */
export interface LogsOptions {
  stream?: LogStream;
  /** The last N lines. */
  tail?: number;
  /** A byte range: start here… */
  offset?: number;
  /** …and read at most this many bytes. */
  length?: number;
}

export interface LogBytes {
  /** The log's size in bytes when the answer started, from `x-kawa-log-size`; null if absent. */
  size: number | null;
  /** The log's bytes; with follow, they keep coming until the task ends. */
  chunks: AsyncIterable<Uint8Array>;
}

/** The query the host expects: numbers and the follow flag as strings. */
export function logsQuery(options: LogsOptions & { follow?: boolean }): Record<string, string> {
  const query: Record<string, string> = {};
  if (options.stream !== undefined) query.stream = options.stream;
  if (options.tail !== undefined) query.tail = String(options.tail);
  if (options.offset !== undefined) query.offset = String(options.offset);
  if (options.length !== undefined) query.length = String(options.length);
  if (options.follow === true) query.follow = 'true';
  return query;
}

export async function openLogs(
  transport: Transport,
  id: number,
  options: LogsOptions & { follow?: boolean },
  signal?: AbortSignal,
): Promise<LogBytes> {
  const { response } = await sendRoute(transport, 'taskLogs', { params: { id }, query: logsQuery(options), signal });
  const sizeHeader = response.headers.get(LOG_SIZE_HEADER);
  const size = sizeHeader === null || !/^\d+$/.test(sizeHeader) ? null : Number(sizeHeader);
  return { size, chunks: readBody(transport.baseUrl, response, 'keep reading a log from', signal) };
}

export async function readLogs(
  transport: Transport,
  id: number,
  options: LogsOptions,
  signal?: AbortSignal,
): Promise<string> {
  const { chunks } = await openLogs(transport, id, { ...options, follow: false }, signal);
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of chunks) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

export async function* followLogs(
  transport: Transport,
  id: number,
  options: LogsOptions,
  signal?: AbortSignal,
): AsyncGenerator<string> {
  const { chunks } = await openLogs(transport, id, { ...options, follow: true }, signal);
  // A streaming decoder keeps a multi-byte character split across chunks whole.
  const decoder = new TextDecoder();
  for await (const chunk of chunks) {
    const text = decoder.decode(chunk, { stream: true });
    if (text !== '') yield text;
  }
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

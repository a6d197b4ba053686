import {
  KawaError,
  parseOrThrow,
  routes,
  type RouteInput,
  type RouteName,
  type RouteResponse,
  type Routes,
  type Task,
} from '@kawa/protocol';
import { contractMismatch } from './errors.js';
import { createTransport } from './transport.js';
import { followLogs, readLogs, openLogs, type LogBytes, type LogsOptions } from './logs.js';
import { sendRoute } from './send-route.js';
import { socketTarget, type SocketInput, type SocketRouteName, type SocketTarget } from './socket.js';
import { streamRoute, type StreamEvent, type StreamRouteName } from './stream.js';
import { waitForTask, type WaitTaskOptions } from './wait.js';

export interface ClientOptions {
  /** The host's URL, for example `http://127.0.0.1:8000`; API paths are appended to it. */
  baseUrl: string;
  /** An API token, sent as `Authorization: Bearer`. */
  token: string;
  /** A fetch to use instead of the global one (tests, custom agents, a CA for https://). */
  fetch?: typeof fetch;
  /**
   * PEM CA certificate(s) to trust for an https:// host with a self-signed certificate. The
   * client passes it on with every WebSocket target; `fetch` must trust the same CA.
   */
  ca?: string;
}

type PartOf<N extends RouteName, K extends 'params' | 'query' | 'body'> =
  Routes[N] extends Record<K, unknown>
    ? undefined extends RouteInput<N, K>
      ? { [P in K]?: RouteInput<N, K> }
      : Record<never, never> extends RouteInput<N, K>
        ? { [P in K]?: RouteInput<N, K> }
        : { [P in K]: RouteInput<N, K> }
    : { [P in K]?: never };

/** Routes that answer once, with JSON or text; stream routes go through `stream`. */
export type CallRouteName = Exclude<RouteName, StreamRouteName>;

/** What `call` (or `stream`) takes for route N: the parts the route declares, plus a signal. */
export type CallInput<N extends RouteName> = PartOf<N, 'params'> &
  PartOf<N, 'query'> &
  PartOf<N, 'body'> & { signal?: AbortSignal };

/** The input argument is optional only when nothing in it is required. */
type CallArgs<N extends RouteName> =
  object extends Omit<CallInput<N>, 'signal'> ? [input?: CallInput<N>] : [input: CallInput<N>];

/** The parsed answer of route N; text routes (logs) answer with a string. */
export type CallResult<N extends CallRouteName> = Routes[N] extends { response: unknown } ? RouteResponse<N> : string;

/** A typed Kawa API client built from the protocol's route table. Used by the CLI and the web UI. */
export interface KawaClient {
  readonly baseUrl: string;
  /**
   * Calls a route: validates the input with the route's schemas (bad input throws the same
   * KawaError the host would answer), sends it, and parses the answer with the route's
   * response schema. Error answers become KawaError; connection failures
   * KAWA_ERR_HOST_UNREACHABLE. Aborting `signal` rejects with the abort reason.
   */
  call<N extends CallRouteName>(name: N, ...args: CallArgs<N>): Promise<CallResult<N>>;
  /**
   * Calls a route that answers NDJSON (`route.stream`) and yields its events, each parsed with
   * the route's stream schema. Input checks and error answers before the stream starts throw
   * as from `call`, on the first iteration; a line that is not JSON or not allowed throws
   * KAWA_ERR_INTERNAL; a connection lost midway KAWA_ERR_HOST_UNREACHABLE.
   */
  stream<N extends StreamRouteName>(name: N, ...args: CallArgs<N>): AsyncIterable<StreamEvent<N>>;
  /**
   * The URL (`ws://`/`wss://`) and auth headers of a WebSocket route, its input checked first.
   * Opening the socket is the caller's: the client has no Node APIs.
   */
  socket<N extends SocketRouteName>(name: N, input: SocketInput<N>): SocketTarget;
  /** A task's log as text. With `follow: true`, an async iterable of text chunks until the task ends. */
  logs(id: number, options: LogsOptions & { follow: true }, signal?: AbortSignal): AsyncIterable<string>;
  logs(id: number, options?: LogsOptions & { follow?: false }, signal?: AbortSignal): Promise<string>;
  /** A task's log as raw bytes, with the log's size from the host; for callers that must not decode. */
  logBytes(id: number, options?: LogsOptions & { follow?: boolean }, signal?: AbortSignal): Promise<LogBytes>;
  /** Long-polls until the task is in a final state; throws KAWA_ERR_TIMEOUT past `timeoutMs`. */
  waitTask(id: number, options?: WaitTaskOptions): Promise<Task>;
}

export function createClient(options: ClientOptions): KawaClient {
  const transport = createTransport(options);

  async function call<N extends CallRouteName>(name: N, ...args: CallArgs<N>): Promise<CallResult<N>> {
    const input = (args[0] ?? {}) as { params?: unknown; query?: unknown; body?: unknown; signal?: AbortSignal };
    if ('stream' in routes[name])
      throw new TypeError(`${name} answers a stream: use client.stream('${name}', …), not call`);
    const { route, what, response } = await sendRoute(transport, name, input);
    if (!route.response) return (await response.text()) as CallResult<N>;
    let json: unknown;
    try {
      json = await response.json();
    } catch (error) {
      if (input.signal?.aborted) throw input.signal.reason ?? error;
      throw new KawaError('KAWA_ERR_INTERNAL', `${what} answered with a body that is not JSON`, { cause: error });
    }
    try {
      return parseOrThrow(route.response, json, `answer of ${what}`) as CallResult<N>;
    } catch (error) {
      throw contractMismatch(error);
    }
  }

  const client: KawaClient = {
    baseUrl: transport.baseUrl,
    call,
    stream: (name, ...args) => streamRoute(transport, name, args[0] ?? {}),
    socket: (name, input) => socketTarget(transport, name, input),
    logs: ((id: number, logOptions: LogsOptions & { follow?: boolean } = {}, signal?: AbortSignal) =>
      logOptions.follow === true
        ? followLogs(transport, id, logOptions, signal)
        : readLogs(transport, id, logOptions, signal)) as KawaClient['logs'],
    logBytes: (id, logOptions = {}, signal) => openLogs(transport, id, logOptions, signal),
    waitTask: (id, waitOptions = {}) =>
      waitForTask(
        (taskId, query, signal) => call('waitTask', { params: { id: taskId }, query, signal }),
        id,
        waitOptions,
      ),
  };
  return client;
}

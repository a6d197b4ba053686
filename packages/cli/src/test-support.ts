import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routes, type ListTasksResponse, type RouteName, type Task } from '@kawa/protocol';
import type { CliIo } from './io.js';
import type { ProcessRunner, ProcessResult } from './system/processes.js';
import type { SelfCommand } from './system/self-command.js';
import type { TerminalIo } from './terminal/terminal-io.js';
import { runCli, type ExtendProgram } from './program.js';

/** The shared Task fixture, re-exported so tests keep one import. */
export { makeTask } from '@kawa/protocol/testing';

/** A request the fake host received, with its route resolved. */
export interface FakeRequest {
  route: RouteName;
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

export type FakeRoutes = Partial<Record<RouteName, (request: FakeRequest) => Response | Promise<Response>>>;

function matchRoute(method: string, path: string): { route: RouteName; params: Record<string, string> } | null {
  for (const [name, route] of Object.entries(routes)) {
    if (route.method !== method) continue;
    const pattern = new RegExp(`^${route.path.replace(/:([A-Za-z]+)/g, '(?<$1>[^/]+)')}$`);
    const match = pattern.exec(path);
    if (match) return { route: name as RouteName, params: { ...match.groups } };
  }
  return null;
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export function errorAnswer(code: string, message: string, status: number): Response {
  return json({ error: { code, message } }, status);
}

/** A fetch that dispatches to `handlers` by the protocol's route table; unknown routes answer 404. */
export function fakeHost(handlers: FakeRoutes): { fetch: typeof fetch; requests: FakeRequest[] } {
  const requests: FakeRequest[] = [];
  const fetchImpl = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const method = init.method ?? 'GET';
    const matched = matchRoute(method, url.pathname);
    if (!matched) return errorAnswer('KAWA_ERR_NOT_FOUND', `no route ${method} ${url.pathname}`, 404);
    const request: FakeRequest = {
      ...matched,
      method,
      query: url.searchParams,
      headers: { ...(init.headers as Record<string, string> | undefined) },
      body: typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined,
    };
    requests.push(request);
    const handler = handlers[matched.route];
    return handler
      ? handler(request)
      : errorAnswer('KAWA_ERR_NOT_IMPLEMENTED', `fake host has no ${matched.route}`, 501);
  };
  return { fetch: fetchImpl, requests };
}

/** Collects what the CLI writes. */
export function collector(): { write(chunk: string | Uint8Array): boolean; text(): string; bytes(): Buffer } {
  const chunks: Buffer[] = [];
  return {
    write(chunk) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
      return true;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
    bytes: () => Buffer.concat(chunks),
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with a fake host (or none), a temp HOME and a token in the env. */
export async function runWith(
  argv: string[],
  options: {
    fetch?: typeof fetch;
    env?: Record<string, string>;
    isTTY?: boolean;
    cwd?: string;
    extra?: ExtendProgram;
    terminal?: TerminalIo;
    processes?: ProcessRunner;
    self?: SelfCommand;
    /** Where stdout goes instead of the collector (run.stdout is then empty): for raw bytes. */
    stdout?: CliIo['stdout'];
    passSocket?: CliIo['passSocket'];
  } = {},
): Promise<CliRun> {
  const stdout = collector();
  const stderr = collector();
  // A fresh HOME unless the test gives one, so no real ~/.kawa leaks in.
  const ownHome = options.env?.HOME === undefined;
  const home = options.env?.HOME ?? mkdtempSync(join(tmpdir(), 'kawa-cli-test-'));
  const io: CliIo = {
    stdout: options.stdout ?? stdout,
    stderr,
    env: { HOME: home, KAWA_CLIENT_HOST_URL: 'http://kawa.test:8000', KAWA_CLIENT_TOKEN: 'test-token', ...options.env },
    cwd: options.cwd ?? '/work/somewhere',
    isTTY: options.isTTY ?? false,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.terminal ? { terminal: options.terminal } : {}),
    ...(options.processes ? { processes: options.processes } : {}),
    ...(options.passSocket ? { passSocket: options.passSocket } : {}),
    self: options.self ?? { node: '/usr/bin/node', script: '/opt/kawa/bin/kawa.js' },
  };
  const code = await runCli(argv, io, options.extra).finally(() => {
    if (ownHome) rmSync(home, { recursive: true, force: true });
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** An NDJSON answer whose lines arrive one chunk each, as a streaming host sends them. */
export function ndjson(events: readonly unknown[], status = 200): Response {
  const encoder = new TextEncoder();
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const event of events) controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
        controller.close();
      },
    }),
    { status, headers: { 'content-type': 'application/x-ndjson' } },
  );
}

/** The answer of GET /tasks for `query` over `tasks`, as the host gives it: filtered, newest first, paged. */
export function listAnswer(tasks: readonly Task[], query: URLSearchParams): ListTasksResponse {
  const statuses = query.get('status')?.split(',');
  const batch = query.get('batch');
  const before = query.get('before');
  const limit = Number(query.get('limit') ?? 100);
  const matching = tasks
    .filter((task) => (statuses ? statuses.includes(task.status) : true))
    .filter((task) => (batch === null ? true : task.batchId === Number(batch)))
    .sort((a, b) => b.id - a.id);
  const page = matching.filter((task) => (before === null ? true : task.id < Number(before)));
  const shown = page.slice(0, limit);
  const last = shown.at(-1);
  return { tasks: shown, nextBefore: page.length > limit && last ? last.id : null, total: matching.length };
}

/** A program run the fake runner saw. */
export interface SeenProcess {
  file: string;
  args: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
}

/** A ProcessRunner that records what would run and answers `code` (and `result` for run). */
export function fakeProcesses(
  code = 0,
  result: Partial<ProcessResult> = {},
): {
  processes: ProcessRunner;
  seen: SeenProcess[];
} {
  const seen: SeenProcess[] = [];
  return {
    seen,
    processes: {
      runAttached: (file, args, env) => {
        seen.push({ file, args, env });
        return Promise.resolve(code);
      },
      run: (file, args) => {
        seen.push({ file, args });
        return Promise.resolve({ code, stdout: '', stderr: '', ...result });
      },
    },
  };
}

/** Temp HOME dirs for tests that write under HOME; `removeAll` (for afterEach) deletes them. */
export function tempHomes(prefix: string): { make: () => string; removeAll: () => void } {
  const homes: string[] = [];
  return {
    make() {
      const home = mkdtempSync(join(tmpdir(), prefix));
      homes.push(home);
      return home;
    },
    removeAll() {
      for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
    },
  };
}

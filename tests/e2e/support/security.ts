import { request } from 'node:http';
import WebSocket from 'ws';
import {
  ErrorBodySchema,
  RUNNER_LINK_PATH,
  RUNNER_STREAM_PATH,
  SSH_RAW_UPGRADE,
  buildPath,
  eventStreamRoute,
  routes,
  wsRoutes,
} from '@kawa/protocol';

/**
 * What another (non-admin) user's token gets on a route, against the first user's resources:
 * - `admin`: an admin-only route: 403 KAWA_ERR_FORBIDDEN;
 * - `owner`: the route acts on the first user's task, batch or VPS: 403 KAWA_ERR_FORBIDDEN;
 * - `own-scope`: any user may call it, and the answer holds only the caller's own tasks;
 * - `shared`: any user may call it and nothing in it is another user's (nodes, envs, own submits);
 * - `runner`: only for runners' join token: 403 KAWA_ERR_FORBIDDEN.
 */
export type OtherUserExpectation = 'admin' | 'owner' | 'own-scope' | 'shared' | 'runner';

export interface Probe {
  /** `raw`: the route's other upgrade, `Upgrade: kawa-ssh` (vpsSsh). */
  kind: 'rest' | 'ws' | 'raw';
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
}

/** Every route of the protocol: the REST table, the WebSocket routes, the event stream, the runner's. */
export function allProbes(): Probe[] {
  const rest = Object.entries(routes).map(([name, route]) => ({
    kind: 'rest' as const,
    name,
    method: route.method,
    path: route.path,
  }));
  const ws = [
    ...Object.entries(wsRoutes).map(([name, route]) => ({ name, path: route.path })),
    { name: 'events', path: eventStreamRoute.path },
    { name: 'runnerLink', path: RUNNER_LINK_PATH },
    { name: 'runnerStream', path: RUNNER_STREAM_PATH },
  ].map((route) => ({ kind: 'ws' as const, method: 'GET' as const, ...route }));
  const raw = { kind: 'raw' as const, method: 'GET' as const, name: 'vpsSshRaw', path: wsRoutes.vpsSsh.path };
  return [...rest, ...ws, raw];
}

/** The resources of the first user that every probe is aimed at. */
export interface Targets {
  taskId: number;
  batchId: number;
  node: string;
  env: string;
  user: string;
  tokenId: number;
}

export function concretePath(path: string, targets: Targets, name: string): string {
  const id = name === 'killBatch' ? targets.batchId : name === 'revokeToken' ? targets.tokenId : targets.taskId;
  const nameParam = path.includes('/nodes/') ? targets.node : path.includes('/users/') ? targets.user : targets.env;
  return buildPath(path, { id, name: nameParam, streamId: 'a'.repeat(32) });
}

/** Bodies that pass each POST route's schema, so a refusal is about the token, not the body. */
export const sampleBodies: Record<string, unknown> = {
  submitTasks: { command: ['true'], container: 'NULL' },
  createVps: { publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3WJxVu6Yk7hGfm0Uuv1DTr0JaSgjXfQk8mrZXBcvYx e2e' },
  createHostContainer: { image: 'kawa-test/busybox:latest', name: 'mallory-env' },
  createUser: { name: 'mallory' },
};

export interface Answer {
  status: number;
  code: string | null;
  body: string;
}

/** One probe with `authorization` (or none): the HTTP answer, or the refused WebSocket upgrade (101 if it opened). */
export async function send(baseUrl: string, probe: Probe, path: string, authorization: string | null): Promise<Answer> {
  const headers: Record<string, string> = authorization === null ? {} : { authorization };
  if (probe.kind === 'ws') return upgrade(`${baseUrl.replace(/^http/, 'ws')}${path}`, headers);
  if (probe.kind === 'raw') return rawUpgrade(`${baseUrl}${path}`, headers);
  const body = probe.method === 'POST' ? JSON.stringify(sampleBodies[probe.name] ?? {}) : undefined;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method: probe.method,
    headers,
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, code: errorCode(text), body: text };
}

function errorCode(text: string): string | null {
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.error.code : null;
  } catch {
    return null;
  }
}

/** Asks for the `kawa-ssh` upgrade with `headers`; resolves with the HTTP refusal, or 101 (then closes). */
export function rawUpgrade(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, {
      agent: false,
      timeout: 10_000,
      headers: { ...headers, connection: 'Upgrade', upgrade: SSH_RAW_UPGRADE },
    });
    outgoing.once('upgrade', (_response, socket) => {
      socket.destroy();
      resolve({ status: 101, code: null, body: '' });
    });
    outgoing.once('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, code: errorCode(body), body }));
    });
    outgoing.once('timeout', () => outgoing.destroy(new Error(`no answer from ${url} within 10 s`)));
    outgoing.once('error', reject);
    outgoing.end();
  });
}

/** Opens a WebSocket with `headers`; resolves with the HTTP refusal, or 101 and the first message when it opened. */
export function upgrade(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, handshakeTimeout: 10_000 });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, code: errorCode(body), body }));
    });
    socket.once('open', () => {
      const timer = setTimeout(() => finish(''), 2_000);
      const finish = (body: string): void => {
        clearTimeout(timer);
        socket.terminate();
        resolve({ status: 101, code: null, body });
      };
      socket.once('message', (data: Buffer) => finish(data.toString()));
    });
    socket.once('error', (error) => reject(error));
  });
}

import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema, errorCodes, routes, type RouteDef, type RouteName } from '@kawa/protocol';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';
import { nastyObject, nastyString, nastyValue } from './arbitraries.js';
import { percentEncode, rawRequest, type RawAnswer } from './raw-http.js';

/**
 * Issue 6, "fuzz": malformed requests at every REST route of routes.ts, over real sockets on
 * loopback. Each answer must be below 500, and every refusal must carry a KAWA_ERR_* code.
 */

const QUERY_KEYS = [
  'status',
  'node',
  'batch',
  'limit',
  'before',
  'timeoutMs',
  'stream',
  'tail',
  'offset',
  'length',
  'follow',
  'version',
  '__proto__',
];
const BODY_KEYS = [
  'command',
  'targets',
  'target',
  'cores',
  'memory',
  'gpus',
  'env',
  'workdir',
  'container',
  'image',
  'mounts',
  'privileged',
  'privateNetwork',
  'privatePid',
  'priority',
  'retry',
  'publicKey',
  'name',
  '__proto__',
];
/** Routes whose well-formed calls create things or reach Docker: only malformed calls are sent. */
const MALFORMED_ONLY = new Set<RouteName>([
  'submitTasks',
  'createVps',
  'createHostContainer',
  'startHostContainer',
  'stopHostContainer',
  'deleteHostContainer',
  'createTarball',
  'deleteTarball',
]);
/** Lists the Engine's containers whatever the request: nothing in it can be malformed. */
const SKIPPED = new Set<RouteName>(['listHostContainers']);
const routeNames = (Object.keys(routes) as RouteName[]).filter((name) => !SKIPPED.has(name));

interface Call {
  route: RouteName;
  method: string;
  target: string;
  headers: string[];
  body: string | null;
  /** Whether every part is known to pass the route's schemas (null: cannot tell). */
  wellFormed: boolean | null;
}

const paramNames = (path: string): string[] => [...path.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1] as string);

const callArbitrary: fc.Arbitrary<Call> = fc
  .record({
    route: fc.constantFrom(...routeNames),
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constant<string | null>(null) },
      { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'BREW', 'get') },
    ),
    paramValue: nastyString,
    rawParam: fc.boolean(),
    query: fc.oneof(fc.constant({}), nastyObject(QUERY_KEYS)),
    repeatQueryKey: fc.boolean(),
    body: fc.oneof(
      { weight: 2, arbitrary: nastyObject(BODY_KEYS).map((value) => ({ json: true, text: JSON.stringify(value) })) },
      { weight: 1, arbitrary: nastyValue.map((value) => ({ json: true, text: JSON.stringify(value) ?? 'null' })) },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom('{', '{"command":', '[1,', '{"a":1}}', 'nul', '\u0000', '{"command":["a"]', '"\\ud800"')
          .map((text) => ({ json: false, text })),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((text) => ({ json: false, text })) },
      { weight: 1, arbitrary: fc.constant(null) },
    ),
    contentType: fc.constantFrom(
      'application/json',
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      null,
    ),
    auth: fc.constantFrom('admin', 'admin', 'admin', 'admin', 'none', 'bad'),
  })
  .map((input): Call => {
    const route: RouteDef = routes[input.route];
    const params: Record<string, string> = {};
    const path = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
      params[name] = input.paramValue;
      return input.rawParam ? input.paramValue : percentEncode(input.paramValue);
    });
    const queryEntries = Object.entries(input.query).map(
      ([key, value]) => [key, typeof value === 'string' ? value : (JSON.stringify(value) ?? '')] as const,
    );
    if (input.repeatQueryKey && queryEntries.length > 0) queryEntries.push(queryEntries[0]!);
    const queryText = queryEntries.map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`);
    const target = queryText.length > 0 ? `${path}?${queryText.join('&')}` : path;
    const headers: string[] = [];
    if (input.contentType !== null && input.body !== null) headers.push(`Content-Type: ${input.contentType}`);
    const method = input.method ?? route.method;
    let wellFormed: boolean | null = input.rawParam || method !== route.method ? null : true;
    if (wellFormed !== null) {
      const paramsOk = paramNames(route.path).length === 0 || (route.params?.safeParse(params).success ?? true);
      const queryObject = Object.fromEntries(queryEntries);
      const queryOk =
        (!input.repeatQueryKey || queryEntries.length === 0) &&
        (route.query?.safeParse(queryObject).success ?? queryEntries.length === 0);
      let bodyOk = true;
      if (route.body) {
        if (input.body === null) bodyOk = route.body.safeParse(undefined).success;
        else {
          const json = input.body.json && input.contentType === 'application/json';
          bodyOk = json && route.body.safeParse(JSON.parse(input.body.text)).success;
        }
      }
      wellFormed = paramsOk && queryOk && bodyOk && input.auth === 'admin';
    }
    return {
      route: input.route,
      method,
      target,
      headers: [...headers, ...(input.auth === 'none' ? [] : [`__AUTH_${input.auth}__`])],
      body: input.body?.text ?? null,
      wellFormed,
    };
  });

function render(call: Call, tokens: { admin: string }): string {
  const headers = call.headers.map((header) =>
    header === '__AUTH_admin__'
      ? `Authorization: Bearer ${tokens.admin}`
      : header === '__AUTH_bad__'
        ? 'Authorization: Bearer kawa_not_a_token'
        : header,
  );
  const body = call.body === null ? '' : call.body;
  const length = call.body === null ? [] : [`Content-Length: ${Buffer.byteLength(body)}`];
  return [
    `${call.method} ${call.target} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    ...headers,
    ...length,
    '',
    body,
  ].join('\r\n');
}

/** A refusal is coded if its body is Kawa's error shape with a known code. */
function codeOf(answer: RawAnswer): string | null {
  try {
    const code = ErrorBodySchema.parse(JSON.parse(answer.body)).error.code;
    return code in errorCodes ? code : null;
  } catch {
    return null;
  }
}

describe('fuzz: malformed REST requests', () => {
  let host: TestHost;
  let port: number;
  beforeAll(async () => {
    host = createTestHost({
      // Routes that reach Docker must not touch the real Engine (other tests' containers).
      // Short request limits: a request that promises more bytes than it sends ends in a 408.
      config: { docker_socket: join('/nonexistent', 'docker.sock'), headers_timeout: 1, request_timeout: 2 },
    });
    port = Number(new URL((await listen(host)).http).port);
  });
  afterAll(() => host.close());

  it('answers 400 malformed requests on every route below 500, each refusal with a KAWA_ERR code', async () => {
    const tokens = { admin: host.tokens.adminToken };
    const seen = { requests: 0, refused: 0, coded: 0, routes: new Set<string>() };
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(callArbitrary, async (call) => {
        if (MALFORMED_ONLY.has(call.route)) fc.pre(call.wellFormed === false);
        const answer = await rawRequest(port, render(call, tokens));
        seen.requests += 1;
        seen.routes.add(call.route);
        const where = `${call.method} ${call.target.slice(0, 120)} ${JSON.stringify(call.body?.slice(0, 80))}`;
        if (answer === null) {
          failures.push(`no answer: ${where}`);
          return;
        }
        if (answer.status >= 500)
          failures.push(`${answer.status} ${answer.body.slice(0, 100)}: ${JSON.stringify(call)}`);
        if (answer.status >= 400) {
          seen.refused += 1;
          if (codeOf(answer) === null) failures.push(`uncoded ${answer.status} ${answer.body.slice(0, 200)}: ${where}`);
          else seen.coded += 1;
        }
      }),
      { numRuns: 400, seed: 6_2026, endOnFailure: true },
    );
    console.log(
      `REST fuzz: ${seen.requests} requests on ${seen.routes.size} routes, ${seen.refused} refused, ` +
        `${seen.coded} with a code, ${failures.length} failures`,
    );
    expect(failures).toEqual([]);
    expect(seen.refused).toBeGreaterThanOrEqual(200);
    expect(seen.routes.size).toBe(routeNames.length);
    const whoami = await rawRequest(port, render({ ...baseCall, target: '/api/v1/whoami' }, tokens));
    expect(whoami?.status).toBe(200);
  });

  it('answers broken HTTP with 400 and a code, and stays up', async () => {
    const broken = [
      'GARBAGE\r\n\r\n',
      'GET /api/v1/whoami HTTP/9.9\r\nHost: x\r\n\r\n',
      'GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      'GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'GET /api/v1/whoami HTTP/1.1\r\nBad Header Name: x\r\n\r\n',
      'GET /api/v1/wh\u0000oami HTTP/1.1\r\nHost: x\r\n\r\n',
      `GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      '\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003',
    ];
    for (const request of broken) {
      const answer = await rawRequest(port, request);
      expect(answer, JSON.stringify(request.slice(0, 80))).not.toBeNull();
      expect(answer?.status, request.slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(answer?.status, request.slice(0, 80)).toBeLessThan(500);
      expect(codeOf(answer!), `${request.slice(0, 80)} → ${answer?.body}`).not.toBeNull();
    }
    const whoami = await rawRequest(
      port,
      render({ ...baseCall, target: '/api/v1/whoami' }, { admin: host.tokens.adminToken }),
    );
    expect(whoami?.status).toBe(200);
  });
});

const baseCall: Call = {
  route: 'whoami',
  method: 'GET',
  target: '/api/v1/whoami',
  headers: ['__AUTH_admin__'],
  body: null,
  wellFormed: true,
};

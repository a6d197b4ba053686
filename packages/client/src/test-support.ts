import type { Task } from '@kawa/protocol';

/** A recorded request of the fake fetch. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export type FakeHandler = (request: SeenRequest) => Response | Promise<Response>;

/** A fetch that records requests and answers with `handler`; for unit tests only. */
export function fakeFetch(handler: FakeHandler): { fetch: typeof fetch; requests: SeenRequest[] } {
  const requests: SeenRequest[] = [];
  const fetchImpl = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    init.signal?.throwIfAborted();
    const request: SeenRequest = {
      method: init.method ?? 'GET',
      url: input instanceof Request ? input.url : input.toString(),
      headers: { ...(init.headers as Record<string, string> | undefined) },
      body: typeof init.body === 'string' ? init.body : undefined,
    };
    requests.push(request);
    return handler(request);
  };
  return { fetch: fetchImpl, requests };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** A valid Task with the given fields. */
export function makeTask(fields: Partial<Task> = {}): Task {
  return {
    id: 1,
    kind: 'command',
    publicKey: null,
    batchId: 1,
    owner: 'admin',
    command: ['echo', 'hello'],
    env: {},
    workdir: null,
    container: null,
    image: null,
    mounts: [],
    privileged: false,
    cores: 1,
    memoryBytes: null,
    target: null,
    node: 'node1',
    numa: null,
    gpus: [],
    privateNetwork: false,
    privatePid: false,
    priority: 0,
    gpuCount: 0,
    numaAuto: false,
    maxParallel: null,
    retry: 0,
    retryOnFail: false,
    attempt: 1,
    status: 'running',
    reason: null,
    exitCode: null,
    syncProgress: null,
    submittedAt: 1_700_000_000_000,
    startedAt: 1_700_000_001_000,
    endedAt: null,
    ...fields,
  };
}

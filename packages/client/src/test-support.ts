/** The shared Task fixture, re-exported so tests keep one import. */
export { makeTask } from '@kawa/protocol/testing';

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

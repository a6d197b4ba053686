import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';

/** Statuses whose answer has no body; a Response refuses one for them. */
const BODILESS = new Set([101, 204, 205, 304]);

/**
 * A fetch over node:https that trusts `ca` (PEM), for a host with a self-signed certificate
 * ([client] ca_file). Node's global fetch cannot take a CA without the undici package, and
 * NODE_EXTRA_CA_CERTS is read only at start. It covers what the API client sends: a method,
 * headers, a string body and a signal; the answer streams.
 */
export function caFetch(ca: string): typeof fetch {
  const agent = new https.Agent({ ca });
  const fetchWithCa = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : input.toString());
      const secure = url.protocol === 'https:';
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      const method = init.method ?? 'GET';
      const request = (secure ? https : http).request(
        url,
        { method, headers, ...(secure ? { agent } : {}), ...(init.signal ? { signal: init.signal } : {}) },
        (response) => {
          const answerHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            for (const one of [value ?? []].flat()) answerHeaders.append(name, one);
          }
          const status = response.statusCode ?? 502;
          const noBody = BODILESS.has(status) || method === 'HEAD';
          if (noBody) response.resume();
          const body = noBody ? null : (Readable.toWeb(response) as ReadableStream<Uint8Array>);
          resolve(
            new Response(body, {
              status,
              statusText: response.statusMessage ?? '',
              headers: answerHeaders,
            }),
          );
        },
      );
      request.on('error', reject);
      if (typeof init.body === 'string') request.end(init.body);
      else if (init.body === undefined || init.body === null) request.end();
      else {
        request.destroy();
        reject(new TypeError('caFetch sends string bodies only'));
      }
    });
  return fetchWithCa;
}

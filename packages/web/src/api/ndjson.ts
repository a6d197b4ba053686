import {
  ErrorBodySchema,
  KawaError,
  buildPath,
  routes,
  TarCreateEventSchema,
  type TarCreateEvent,
} from '@kawa/protocol';
import { baseUrl } from './session';

/**
 * POST /api/v1/docker/tarballs/:name answers NDJSON progress; @kawa/client's `call` would only
 * give the whole text at the end, so this reads it line by line. Each line is parsed with the
 * protocol's schema.
 */
export async function createTarball(
  token: string,
  name: string,
  onEvent: (event: TarCreateEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const route = routes.createTarball;
  const response = await fetch(`${baseUrl}${buildPath(route.path, { name })}`, {
    method: route.method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/x-ndjson' },
    body: '{}',
    signal,
  });
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => '');
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Not a Kawa error body; the status says enough.
    }
    const body = ErrorBodySchema.safeParse(json);
    if (body.success) throw new KawaError(body.data.error.code, body.data.error.message);
    throw new KawaError('KAWA_ERR_INTERNAL', `tar create answered HTTP ${response.status}: ${text.slice(0, 300)}`);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line !== '') onEvent(TarCreateEventSchema.parse(JSON.parse(line)));
      newline = buffer.indexOf('\n');
    }
  }
  if (buffer.trim() !== '') onEvent(TarCreateEventSchema.parse(JSON.parse(buffer)));
}

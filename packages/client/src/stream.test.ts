import { describe, expect, it } from 'vitest';
import { KawaError, type TarCreateEvent } from '@kawa/protocol';
import { createClient } from './client.js';
import { fakeFetch, json } from './test-support.js';

const encoder = new TextEncoder();

/** An answer whose body arrives in exactly these chunks, then ends (or fails with `failWith`). */
function chunked(chunks: (string | Uint8Array)[], failWith?: Error): Response {
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
        if (failWith) controller.error(failWith);
        else controller.close();
      },
    }),
    { status: 200, headers: { 'content-type': 'application/x-ndjson' } },
  );
}

async function collect(events: AsyncIterable<TarCreateEvent>): Promise<{ seen: TarCreateEvent[]; error: unknown }> {
  const seen: TarCreateEvent[] = [];
  try {
    for await (const event of events) seen.push(event);
    return { seen, error: undefined };
  } catch (error) {
    return { seen, error };
  }
}

/** Checks that `error` is a KawaError with this code and a message matching `message`. */
function expectKawaError(error: unknown, code: string, message: RegExp): void {
  expect(error).toBeInstanceOf(KawaError);
  expect((error as KawaError).code).toBe(code);
  expect((error as KawaError).message).toMatch(message);
}

const done: TarCreateEvent = {
  type: 'done',
  name: 'py',
  tarball: { version: 1_700_000_000, bytes: 1000, createdAt: 1_700_000_000_000, imageId: 'sha256:ab' },
  removed: [1_600_000_000],
};

describe('client.stream (NDJSON routes)', () => {
  it('parses events whose lines and characters are split across chunks', async () => {
    const progress = JSON.stringify({ type: 'progress', phase: 'save', doneBytes: 5, totalBytes: 10 });
    // The error message holds "é" (two bytes in UTF-8); the chunk boundary falls between them.
    const error = encoder.encode(
      `${JSON.stringify({ type: 'error', error: { code: 'KAWA_ERR_DOCKER_FAILED', message: 'café' } })}\n`,
    );
    const cut = error.indexOf(0xc3) + 1;
    const fake = fakeFetch(() =>
      chunked([
        progress.slice(0, 10),
        `${progress.slice(10)}\n\n${JSON.stringify(done).slice(0, 20)}`,
        `${JSON.stringify(done).slice(20)}\n`,
        error.slice(0, cut),
        error.slice(cut),
      ]),
    );
    const client = createClient({ baseUrl: 'http://h/', token: 't', fetch: fake.fetch });
    const { seen, error: thrown } = await collect(client.stream('createTarball', { params: { name: 'py' } }));
    expect(thrown).toBeUndefined();
    expect(seen).toEqual([
      { type: 'progress', phase: 'save', doneBytes: 5, totalBytes: 10 },
      done,
      { type: 'error', error: { code: 'KAWA_ERR_DOCKER_FAILED', message: 'café' } },
    ]);
    expect(fake.requests).toEqual([
      expect.objectContaining({ method: 'POST', url: 'http://h/api/v1/docker/tarballs/py', body: '{}' }),
    ]);
    expect(fake.requests[0]?.headers.accept).toContain('application/x-ndjson');
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer t');
  });

  it('parses a last line that has no newline', async () => {
    const client = createClient({
      baseUrl: 'http://h',
      token: 't',
      fetch: fakeFetch(() => chunked([JSON.stringify(done)])).fetch,
    });
    expect((await collect(client.stream('createTarball', { params: { name: 'py' } }))).seen).toEqual([done]);
  });

  it('yields the events before a malformed line, then throws KAWA_ERR_INTERNAL', async () => {
    const fake = fakeFetch(() =>
      chunked([`${JSON.stringify({ type: 'progress', phase: 'commit', doneBytes: 0, totalBytes: null })}\n{oops\n`]),
    );
    const client = createClient({ baseUrl: 'http://h', token: 't', fetch: fake.fetch });
    const { seen, error } = await collect(client.stream('createTarball', { params: { name: 'py' } }));
    expect(seen).toHaveLength(1);
    expect(error).toBeInstanceOf(KawaError);
    expectKawaError(error, 'KAWA_ERR_INTERNAL', /not JSON: \{oops/);
  });

  it('refuses a JSON line the stream schema does not allow, naming a version mismatch', async () => {
    const fake = fakeFetch(() => chunked([`${JSON.stringify({ type: 'progress', phase: 'upload' })}\n`]));
    const client = createClient({ baseUrl: 'http://h', token: 't', fetch: fake.fetch });
    const { error } = await collect(client.stream('createTarball', { params: { name: 'py' } }));
    expectKawaError(error, 'KAWA_ERR_INTERNAL', /same Kawa version/);
  });

  it('throws an error answered before the stream starts as a KawaError, yielding nothing', async () => {
    const fake = fakeFetch(() =>
      json({ error: { code: 'KAWA_ERR_CONTAINER_NOT_FOUND', message: 'no host container kawa-env-py' } }, 404),
    );
    const client = createClient({ baseUrl: 'http://h', token: 't', fetch: fake.fetch });
    const { seen, error } = await collect(client.stream('createTarball', { params: { name: 'py' } }));
    expect(seen).toEqual([]);
    expect(error).toBeInstanceOf(KawaError);
    expect(error).toMatchObject({ code: 'KAWA_ERR_CONTAINER_NOT_FOUND', status: 404 });
  });

  it('checks the input before sending anything', async () => {
    const fake = fakeFetch(() => chunked([]));
    const client = createClient({ baseUrl: 'http://h', token: 't', fetch: fake.fetch });
    const { error } = await collect(client.stream('createTarball', { params: { name: 'Bad Name' } }));
    expect(error).toMatchObject({ code: 'KAWA_ERR_BAD_ENV_NAME' });
    expect(fake.requests).toHaveLength(0);
  });

  it('reports a connection lost midway as KAWA_ERR_HOST_UNREACHABLE', async () => {
    const fake = fakeFetch(() => chunked(['{"type":"progress",'], new TypeError('terminated')));
    const client = createClient({ baseUrl: 'http://h', token: 't', fetch: fake.fetch });
    const { error } = await collect(client.stream('createTarball', { params: { name: 'py' } }));
    expectKawaError(error, 'KAWA_ERR_HOST_UNREACHABLE', /keep reading POST \/api\/v1\/docker\/tarballs\/:name/);
  });

  it('refuses a line too long to be an event instead of buffering it', async () => {
    const fake = fakeFetch(() => chunked(['x'.repeat(600_000), 'x'.repeat(600_000)]));
    const client = createClient({ baseUrl: 'http://h', token: 't', fetch: fake.fetch });
    const { error } = await collect(client.stream('createTarball', { params: { name: 'py' } }));
    expectKawaError(error, 'KAWA_ERR_INTERNAL', /more than/);
  });
});

describe('client.call on a stream route', () => {
  it('refuses clearly and sends nothing', async () => {
    const fake = fakeFetch(() => chunked([]));
    const client = createClient({ baseUrl: 'http://h', token: 't', fetch: fake.fetch });
    // The type of call leaves stream routes out; a caller that casts past it still gets a clear refusal.
    const name = 'createTarball' as 'getTask';
    await expect(client.call(name, { params: { id: 1 } })).rejects.toThrow(
      "createTarball answers a stream: use client.stream('createTarball', …), not call",
    );
    expect(fake.requests).toHaveLength(0);
  });
});

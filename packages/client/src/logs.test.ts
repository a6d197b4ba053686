import { describe, expect, it } from 'vitest';
import { KawaError } from '@kawa/protocol';
import { createClient } from './client.js';
import { fakeFetch, json } from './test-support.js';

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

describe('client logs', () => {
  it('reads a tail of stderr as text', async () => {
    const fake = fakeFetch(() => new Response('a\nb\n', { headers: { 'x-kawa-log-size': '4' } }));
    const client = createClient({ baseUrl: 'http://h', token: 't', fetch: fake.fetch });
    expect(await client.logs(5, { stream: 'stderr', tail: 2 })).toBe('a\nb\n');
    expect(fake.requests[0]?.url).toBe('http://h/api/v1/tasks/5/logs?stream=stderr&tail=2');
  });

  it('follows as text chunks and keeps a character split across chunks whole', async () => {
    const bytes = new TextEncoder().encode('héllo\n');
    const fake = fakeFetch(() => new Response(streamOf([bytes.slice(0, 2), bytes.slice(2)])));
    const client = createClient({ baseUrl: 'http://h', token: 't', fetch: fake.fetch });
    const chunks: string[] = [];
    for await (const chunk of client.logs(5, { follow: true })) chunks.push(chunk);
    expect(chunks.join('')).toBe('héllo\n');
    expect(chunks.some((chunk) => chunk.includes('\uFFFD'))).toBe(false);
    expect(fake.requests[0]?.url).toBe('http://h/api/v1/tasks/5/logs?follow=true');
  });

  it('gives raw bytes and the log size', async () => {
    const fake = fakeFetch(
      () => new Response(new Uint8Array([0xff, 0x00, 0x41]), { headers: { 'x-kawa-log-size': '10' } }),
    );
    const client = createClient({ baseUrl: 'http://h', token: 't', fetch: fake.fetch });
    const { size, chunks } = await client.logBytes(5, { offset: 7, length: 3 });
    const received: number[] = [];
    for await (const chunk of chunks) received.push(...chunk);
    expect({ size, received }).toEqual({ size: 10, received: [0xff, 0x00, 0x41] });
    expect(fake.requests[0]?.url).toBe('http://h/api/v1/tasks/5/logs?offset=7&length=3');
  });

  it('refuses tail with offset before sending', async () => {
    const fake = fakeFetch(() => new Response(''));
    const client = createClient({ baseUrl: 'http://h', token: 't', fetch: fake.fetch });
    await expect(client.logs(5, { tail: 1, offset: 2 })).rejects.toMatchObject({ code: 'KAWA_ERR_BAD_REQUEST' });
    expect(fake.requests).toHaveLength(0);
  });

  it('turns an error answer into a KawaError when the follow starts', async () => {
    const fake = fakeFetch(() => json({ error: { code: 'KAWA_ERR_BAD_RANGE', message: 'offset past end' } }, 416));
    const client = createClient({ baseUrl: 'http://h', token: 't', fetch: fake.fetch });
    const iterate = async (): Promise<void> => {
      for await (const _chunk of client.logs(5, { follow: true, offset: 99 })) {
        /* nothing arrives */
      }
    };
    const error: unknown = await iterate().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KawaError);
    expect(error).toMatchObject({ code: 'KAWA_ERR_BAD_RANGE' });
  });
});

import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorBodySchema, LOG_SIZE_HEADER, buildPath, routes } from '@kawa/protocol';
import { submit } from '../testing/api.js';
import { FakeRunner } from '../testing/fake-runner.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';
import { tailStart } from './tail.js';

describe('task logs', () => {
  let host: TestHost;
  let id: number;
  let logDir: string;

  const logsUrl = (query = ''): string => `${buildPath(routes.taskLogs.path, { id })}${query}`;
  const get = (query = '') => host.app.inject({ method: 'GET', url: logsUrl(query), headers: host.admin });

  beforeEach(async () => {
    host = createTestHost();
    id = (await submit(host, { command: ['true'] })).taskIds[0] as number;
    logDir = join(host.config.shared_dir, 'logs', String(id));
  });
  afterEach(() => host.close());

  it('answers an empty 200 while the runner has written nothing', async () => {
    const response = await get();
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    expect(response.headers[LOG_SIZE_HEADER]).toBe('0');
  });

  it('returns the whole log, the last N lines, or a byte range', async () => {
    mkdirSync(logDir, { recursive: true });
    writeFileSync(join(logDir, 'stdout.log'), 'one\ntwo\nthree\n');
    writeFileSync(join(logDir, 'stderr.log'), 'oops');

    const whole = await get();
    expect(whole.body).toBe('one\ntwo\nthree\n');
    expect(whole.headers[LOG_SIZE_HEADER]).toBe('14');
    expect(whole.headers['content-type']).toMatch(/^text\/plain/);
    expect((await get('?tail=2')).body).toBe('two\nthree\n');
    expect((await get('?tail=10')).body).toBe('one\ntwo\nthree\n');
    expect((await get('?tail=0')).body).toBe('');
    expect((await get('?offset=4&length=3')).body).toBe('two');
    expect((await get('?offset=8')).body).toBe('three\n');
    expect((await get('?offset=14')).body).toBe('');
    expect((await get('?stream=stderr')).body).toBe('oops');
  });

  it('answers an offset beyond the end with 416', async () => {
    mkdirSync(logDir, { recursive: true });
    writeFileSync(join(logDir, 'stdout.log'), 'abc');
    const response = await get('?offset=4');
    expect(response.statusCode).toBe(416);
    expect(ErrorBodySchema.parse(response.json()).error.code).toBe('KAWA_ERR_BAD_RANGE');
  });

  it('follows the log until the task is final and the file is drained', async () => {
    const { ws, http } = await listen(host);
    const runner = await FakeRunner.connect(ws, host.tokens.joinToken);
    await runner.hello('node1');
    await runner.next('task-start');
    runner.report(id, 'running');
    mkdirSync(logDir, { recursive: true });
    writeFileSync(join(logDir, 'stdout.log'), 'first\n');

    const response = await fetch(`${http}${logsUrl('?follow=true')}`, { headers: host.admin });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array> | null)?.getReader();
    if (!reader) throw new Error('no body');
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (wanted: string): Promise<void> => {
      for (let reads = 0; reads < 100 && !text.includes(wanted); reads += 1) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil('first\n');
    appendFileSync(join(logDir, 'stdout.log'), 'second\n');
    await readUntil('second\n');
    appendFileSync(join(logDir, 'stdout.log'), 'last\n');
    runner.report(id, 'completed', { exitCode: 0 });
    for (let reads = 0; reads < 100; reads += 1) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toBe('first\nsecond\nlast\n');
    await runner.close();
  });

  it('regression: sends the head of a follow at once, before the log has any bytes', async () => {
    const { http } = await listen(host);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5_000);
    try {
      const response = await fetch(`${http}${logsUrl('?follow=true')}`, {
        headers: host.admin,
        signal: controller.signal,
      });
      expect(response.status).toBe(200);
      expect(response.headers.get(LOG_SIZE_HEADER)).toBe('0');
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  });

  it('ends a follow at once for a finished task', async () => {
    mkdirSync(logDir, { recursive: true });
    writeFileSync(join(logDir, 'stdout.log'), 'a\nb\n');
    await host.app.inject({
      method: 'POST',
      url: `${buildPath(routes.getTask.path, { id })}/kill`,
      headers: host.admin,
    });
    const response = await get('?follow=true&tail=1');
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('b\n');
  });
});

describe('tailStart', () => {
  it('finds line starts across chunk boundaries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kawa-tail-'));
    const path = join(dir, 'big.log');
    const line = `${'x'.repeat(999)}\n`;
    writeFileSync(path, line.repeat(300) + 'no newline at end');
    const file = await open(path, 'r');
    try {
      const size = (await file.stat()).size;
      expect(await tailStart(file, size, 1)).toBe(300 * 1000);
      expect(await tailStart(file, size, 3)).toBe(298 * 1000);
      expect(await tailStart(file, size, 1000)).toBe(0);
    } finally {
      await file.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

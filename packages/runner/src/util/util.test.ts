import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachedFindExecutable, findExecutable } from './find-executable.js';
import { createLimiter } from './limiter.js';
import { sleep } from './sleep.js';

describe('limiter', () => {
  it('runs at most N jobs at once, in arrival order', async () => {
    const limit = createLimiter(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const job = (id: number) => async () => {
      started.push(id);
      running += 1;
      most = Math.max(most, running);
      await sleep(5);
      running -= 1;
      return id;
    };
    expect(await Promise.all([1, 2, 3, 4, 5].map((id) => limit(job(id))))).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(started).toEqual([1, 2, 3, 4, 5]);
  });

  it('frees the slot of a failed job', async () => {
    const limit = createLimiter(1);
    await expect(limit(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limit(() => Promise.resolve(7))).toBe(7);
  });
});

describe('findExecutable', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kawa-find-'));
    await writeFile(join(dir, 'tool'), '#!/bin/sh\n');
    await chmod(join(dir, 'tool'), 0o755);
    await writeFile(join(dir, 'data'), 'x');
    await chmod(join(dir, 'data'), 0o644);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves names in PATH and paths, and says why not', async () => {
    expect(await findExecutable('tool', `/nonexistent:${dir}`, '/')).toEqual({ path: join(dir, 'tool') });
    expect(await findExecutable('no-such-program-kawa', dir, '/')).toEqual({ error: 'not-found' });
    expect(await findExecutable(join(dir, 'data'), '/bin', '/')).toEqual({ error: 'not-executable' });
    expect(await findExecutable('data', dir, '/')).toEqual({ error: 'not-executable' });
    expect(await findExecutable(dir, '/bin', '/')).toEqual({ error: 'is-directory' });
    expect(await findExecutable('./tool', '/nonexistent', dir)).toEqual({ path: join(dir, 'tool') });
  });

  it('remembers hits for a while, never misses', async () => {
    let now = 0;
    const find = cachedFindExecutable(1000, () => now);
    expect(await find('gone-soon', dir, '/')).toEqual({ error: 'not-found' });
    await writeFile(join(dir, 'gone-soon'), '#!/bin/sh\n', { mode: 0o755 });
    expect(await find('gone-soon', dir, '/')).toEqual({ path: join(dir, 'gone-soon') });
    await rm(join(dir, 'gone-soon'));
    expect(await find('gone-soon', dir, '/')).toEqual({ path: join(dir, 'gone-soon') });
    now = 2000;
    expect(await find('gone-soon', dir, '/')).toEqual({ error: 'not-found' });
  });
});

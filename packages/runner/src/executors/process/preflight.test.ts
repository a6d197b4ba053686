import { mkdir, mkdtemp, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedCheckWorkdir } from './preflight.js';

describe('the cached workdir check', () => {
  it('trusts a dir it found for its TTL, then looks again; a missing dir is never trusted', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kawa-preflight-'));
    try {
      let now = 1000;
      const check = cachedCheckWorkdir(500, () => now);
      const workdir = join(root, 'work');
      expect((await check(workdir, 'node1'))?.message).toMatch(/work does not exist on node node1/);
      await mkdir(workdir);
      expect(await check(workdir, 'node1')).toBeNull();
      await rmdir(workdir);
      now += 499;
      expect(await check(workdir, 'node1')).toBeNull();
      now += 1;
      expect((await check(workdir, 'node1'))?.code).toBe('KAWA_ERR_SPAWN_FAILED');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

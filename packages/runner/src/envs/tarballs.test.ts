import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envTarballDir, newestTarball } from './tarballs.js';

let shared: string;
beforeEach(async () => {
  shared = await mkdtemp(join(tmpdir(), 'kawa-tarballs-'));
});
afterEach(async () => {
  await rm(shared, { recursive: true, force: true });
});

describe('newestTarball', () => {
  it('is null for an env without a dir or without finished tarballs', async () => {
    expect(await newestTarball(shared, 'none')).toBeNull();
    const dir = envTarballDir(shared, 'temp-only');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '.1700000000.tar.tmp-1'), 'half');
    await writeFile(join(dir, '1700000000.json'), '{}');
    expect(await newestTarball(shared, 'temp-only')).toBeNull();
  });

  it('picks the newest finished tarball by its number, with its metadata when it parses', async () => {
    const dir = envTarballDir(shared, 'env');
    await mkdir(join(dir, '1800000000.tar'), { recursive: true });
    await writeFile(join(dir, '900.tar'), 'old');
    await writeFile(join(dir, '1700000000.tar'), 'newest');
    await writeFile(join(dir, '1750000000.tar.tmp'), 'half');
    await writeFile(join(dir, '1700000000.json'), JSON.stringify({ imageId: 'sha256:1', bytes: 6, createdAt: 1 }));
    expect(await newestTarball(shared, 'env')).toEqual({
      version: 1_700_000_000,
      path: join(dir, '1700000000.tar'),
      bytes: 6,
      meta: { imageId: 'sha256:1', bytes: 6, createdAt: 1 },
    });
    await writeFile(join(dir, '1700000000.json'), '{"imageId": 5}');
    expect((await newestTarball(shared, 'env'))?.meta).toBeNull();
  });
});

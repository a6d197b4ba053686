import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listTar } from '../../testing/tar-entries.js';
import { tarArchive } from './tar-archive.js';

const isRoot = process.getuid?.() === 0;

describe('tarArchive', () => {
  const entries = [
    { path: 'root/', mode: 0o700, uid: 0, gid: 0 },
    { path: 'root/.ssh/', mode: 0o700, uid: 0, gid: 0 },
    { path: 'root/.ssh/authorized_keys', mode: 0o600, uid: 0, gid: 0, content: Buffer.from('ssh-ed25519 AAAA x\n') },
    { path: 'data/big', mode: 0o644, uid: 1000, gid: 100, content: Buffer.alloc(1300, 7) },
  ];

  it('writes entries with their modes, owners and contents, padded to blocks', () => {
    const archive = tarArchive(entries, 1_700_000_000);
    expect(archive.length % 512).toBe(0);
    expect(listTar(archive)).toEqual([
      { path: 'root/', type: 'dir', mode: 0o700, uid: 0, gid: 0, content: Buffer.alloc(0) },
      { path: 'root/.ssh/', type: 'dir', mode: 0o700, uid: 0, gid: 0, content: Buffer.alloc(0) },
      {
        path: 'root/.ssh/authorized_keys',
        type: 'file',
        mode: 0o600,
        uid: 0,
        gid: 0,
        content: Buffer.from('ssh-ed25519 AAAA x\n'),
      },
      { path: 'data/big', type: 'file', mode: 0o644, uid: 1000, gid: 100, content: Buffer.alloc(1300, 7) },
    ]);
  });

  // GNU tar is strict about checksums and the ustar magic; root keeps the owners on extraction.
  it.skipIf(!isRoot)('is read by GNU tar with exact modes and owners', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kawa-tar-'));
    try {
      execFileSync('tar', ['-x', '-p', '--same-owner', '-C', dir], { input: tarArchive(entries) });
      const key = await stat(join(dir, 'root/.ssh/authorized_keys'));
      expect([key.mode & 0o7777, key.uid, key.gid]).toEqual([0o600, 0, 0]);
      expect((await stat(join(dir, 'root/.ssh'))).mode & 0o7777).toBe(0o700);
      const big = await stat(join(dir, 'data/big'));
      expect([big.size, big.uid, big.gid]).toEqual([1300, 1000, 100]);
      expect(await readFile(join(dir, 'root/.ssh/authorized_keys'), 'utf8')).toBe('ssh-ed25519 AAAA x\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a path that does not fit the header', () => {
    expect(() =>
      tarArchive([{ path: 'x'.repeat(101), mode: 0o644, uid: 0, gid: 0, content: Buffer.alloc(1) }]),
    ).toThrow(/too long/);
  });
});

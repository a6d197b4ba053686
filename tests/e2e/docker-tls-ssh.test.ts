import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import { startCluster, type Cluster } from './support/cluster.js';
import { selfSigned, tlsEnv } from './support/tls.js';
import { VPS_IMAGE, kawaSsh, makeKeyPair, type KeyPair } from './support/vps.js';

/** SSH into a VPS when the host serves TLS: the CLI's wss stream and the runner's wss dial-back both trust the CA file. */
describe('TLS: kawa ssh through a host on https', () => {
  let dir: string;
  let cluster: Cluster;
  let key: KeyPair;
  let vps: Task | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kawa-tls-ssh-'));
    cluster = await startCluster({ env: tlsEnv(selfSigned(dir)) });
    key = await makeKeyPair();
  }, 90_000);
  afterAll(async () => {
    if (vps) await cluster.kawa(['vps', 'kill', String(vps.id)]);
    await cluster?.stop();
    rmSync(key.dir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a VPS and runs a command in it over ssh', async () => {
    const created = await cluster.kawa(
      ['vps', 'create', '--wait', '--json', '--image', VPS_IMAGE, '--public-key', key.publicKey],
      { timeoutMs: 120_000 },
    );
    expect(created.code, created.stderr).toBe(0);
    vps = (JSON.parse(created.stdout) as { vps: Task }).vps;
    expect(cluster.url).toMatch(/^https:/);
    const run = await kawaSsh(cluster, vps.id, key, 'echo over-$((6*7))');
    expect(run.stderr).not.toMatch(/KAWA_ERR/);
    expect(run.stdout).toBe('over-42\n');
  });
});

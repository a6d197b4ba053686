import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import type { Cluster } from './support/cluster.js';
import { submit } from './support/tasks.js';
import {
  BATCH,
  LIMITS_SCRIPT,
  PROXY_COMMAND,
  VPS_IMAGE,
  createVps,
  kawaSsh,
  startVpsFixture,
  openssh,
  parseLimits,
  type KeyPair,
  type VpsFixture,
} from './support/vps.js';

/**
 * A VPS as a user gets in: the real sshd of kawa-test/vps in its container, the real OpenSSH
 * client, every byte through `kawa ssh --stdio`, the host and the runner's reverse stream.
 */
describe('VPS over SSH: create, limits, scp into /shared, ssh config', () => {
  let fixture: VpsFixture;
  let cluster: Cluster;
  let key: KeyPair;
  let vps: Task;

  beforeAll(async () => {
    fixture = await startVpsFixture();
    ({ cluster, key } = fixture);
  });
  afterAll(() => fixture.stop());

  it('creates a VPS with 1 core and 256M that runs, listed with the command to reach it', async () => {
    vps = await createVps(cluster, [
      '--image',
      VPS_IMAGE,
      '-c',
      '1',
      '-m',
      '256M',
      '--public-key-file',
      `${key.privateKey}.pub`,
    ]);
    expect(vps).toMatchObject({
      kind: 'vps',
      status: 'running',
      node: cluster.node,
      cores: 1,
      memoryBytes: 256_000_000,
    });
    expect(vps.publicKey).toBe(key.publicKey);
    const listed = await cluster.kawa(['vps', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(`^\\s*${vps.id}\\s+running\\s+${cluster.node}\\s.*kawa ssh ${vps.id}$`, 'm'),
    );
  });

  it('kawa ssh runs a command in it that sees its limits, and exits with the command’s code', async () => {
    const limits = await kawaSsh(cluster, vps.id, key, LIMITS_SCRIPT);
    expect(limits.stderr).not.toMatch(/error|denied/i);
    expect(limits.code).toBe(0);
    const seen = parseLimits(limits.stdout);
    expect(Number(seen.memory)).toBe(256_000_000);
    // One core: a CFS quota of one period, or a cpuset of one CPU.
    const quotaCores = Number(seen.quota) / Number(seen.period);
    expect(quotaCores === 1 || seen.nproc === '1').toBe(true);
    const failing = await kawaSsh(cluster, vps.id, key, 'exit 7');
    expect(failing.code).toBe(7);
  });

  it('scp copies a file into /shared through the proxy, and a command task on the node reads it', async () => {
    const name = `from-scp-${randomBytes(4).toString('hex')}.txt`;
    const content = `copied by scp ${randomBytes(8).toString('hex')}\n`;
    const local = join(key.dir, name);
    writeFileSync(local, content);
    const copied = await openssh(cluster, 'scp', [
      ...BATCH,
      '-o',
      `ProxyCommand=${PROXY_COMMAND}`,
      '-o',
      `UserKnownHostsFile=${join(cluster.home, '.kawa', 'known_hosts')}`,
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-i',
      key.privateKey,
      local,
      `root@kawa-${vps.id}:/shared/${name}`,
    ]);
    expect(copied.stderr).toBe('');
    expect(copied.code).toBe(0);
    const { taskIds } = await submit(cluster, [
      '--container',
      'NULL',
      '--',
      'sh',
      '-c',
      `cat "$KAWA_SHARED_DIR/${name}"`,
    ]);
    const id = taskIds[0] as number;
    const waited = await cluster.kawa(['task', 'wait', String(id)], { timeoutMs: 60_000 });
    expect(waited.code).toBe(0);
    expect((await cluster.kawa(['task', 'logs', String(id)])).stdout).toBe(content);
  });

  it('after kawa ssh config --write, plain ssh kawa-<id> gets in', async () => {
    const written = await cluster.kawa(['ssh', 'config', '--write']);
    expect(written.code).toBe(0);
    // ssh reads the config of the account's home, not $HOME: name the test HOME's file.
    const config = join(cluster.home, '.ssh', 'config');
    const plain = await openssh(cluster, 'ssh', [
      '-F',
      config,
      ...BATCH,
      '-i',
      key.privateKey,
      `kawa-${vps.id}`,
      'echo in-$((40+2))',
    ]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe('in-42\n');
  });

  it('a key made by --generate-key is used by kawa ssh and by ssh kawa-<id> with no -i', async () => {
    const created = await cluster.kawa(['vps', 'create', '--image', VPS_IMAGE, '--generate-key', '--wait', '--json'], {
      timeoutMs: 120_000,
    });
    expect(created.code).toBe(0);
    const answer = JSON.parse(created.stdout) as { vps: Task; keyFile: string };
    expect(answer.keyFile).toBe(join(cluster.home, '.kawa', 'keys', `kawa-${answer.vps.id}`));
    const viaKawa = await cluster.kawa(['ssh', String(answer.vps.id), ...BATCH, 'echo generated-ok']);
    expect(viaKawa.stdout).toBe('generated-ok\n');
    expect(viaKawa.code).toBe(0);
    const config = join(cluster.home, '.ssh', 'config');
    const viaConfig = await openssh(cluster, 'ssh', [
      '-F',
      config,
      ...BATCH,
      `kawa-${answer.vps.id}`,
      'echo config-ok',
    ]);
    expect(viaConfig.stdout).toBe('config-ok\n');
    await cluster.kawa(['vps', 'kill', String(answer.vps.id)]);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Task } from '@kawa/protocol';
import type { Cluster } from './support/cluster.js';
import { upgrade } from './support/security.js';
import { BATCH, VPS_IMAGE, startVpsFixture, type KeyPair, type VpsFixture } from './support/vps.js';

/**
 * The SSH stream into a real VPS (real dockerd, sshd and OpenSSH client): only its owner's
 * token (or an admin's) gets in; another user's is refused before the upgrade; a revoked token
 * is refused at once, and the stream it held open is cut.
 */
describe('security: the SSH stream into a real VPS', () => {
  let fixture: VpsFixture;
  let cluster: Cluster;
  let key: KeyPair;
  let vps: Task;
  const tokens: Record<string, string> = {};
  const tokenIds: Record<string, number> = {};
  const sshUrl = (): string => `${cluster.url.replace(/^http/, 'ws')}/api/v1/vps/${vps.id}/ssh`;
  const counts = { refused: 0, total: 0 };

  beforeAll(async () => {
    fixture = await startVpsFixture();
    ({ cluster, key } = fixture);
    for (const user of ['alice', 'bob']) {
      const file = join(cluster.home, `${user}-token`);
      const added = await cluster.kawa(['user', 'add', user, '--token-file', file, '--json']);
      expect(added.code, added.stderr).toBe(0);
      tokens[user] = readFileSync(file, 'utf8').trim();
      tokenIds[user] = (JSON.parse(added.stdout) as { token: { id: number } }).token.id;
    }
    const created = await cluster.kawa(
      [
        '--token',
        tokens.alice as string,
        'vps',
        'create',
        '--wait',
        '--json',
        '--image',
        VPS_IMAGE,
        '--public-key',
        key.publicKey,
      ],
      { timeoutMs: 120_000 },
    );
    expect(created.code, created.stderr).toBe(0);
    vps = (JSON.parse(created.stdout) as { vps: Task }).vps;
    expect(vps.owner).toBe('alice');
  }, 180_000);
  afterAll(async () => {
    console.log(`docker security e2e: SSH stream refused as expected ${counts.refused}/${counts.total}`);
    await fixture?.stop();
  });

  it('lets the owner in: kawa ssh with her token runs a command in the VPS', async () => {
    const run = await cluster.kawa(
      ['--token', tokens.alice as string, 'ssh', String(vps.id), '-i', key.privateKey, ...BATCH, 'echo in-$((40+2))'],
      { timeoutMs: 60_000 },
    );
    expect(run.stderr).not.toMatch(/KAWA_ERR/);
    expect(run.stdout).toBe('in-42\n');
  });

  it('refuses the SSH WebSocket with no token, a bad token, and another user’s token', async () => {
    const cases: [string, Record<string, string>, number, string][] = [
      ['no token', {}, 401, 'KAWA_ERR_UNAUTHORIZED'],
      ['a bad token', { authorization: 'Bearer kawa_user_nope' }, 401, 'KAWA_ERR_UNAUTHORIZED'],
      ['another user', { authorization: `Bearer ${tokens.bob}` }, 403, 'KAWA_ERR_FORBIDDEN'],
    ];
    for (const [what, headers, status, code] of cases) {
      const answer = await upgrade(sshUrl(), headers);
      counts.total += 1;
      if (answer.status === status && answer.code === code) counts.refused += 1;
      expect([what, answer.status, answer.code]).toEqual([what, status, code]);
    }
    // Through the CLI as bob: the proxy fails with the host's coded refusal, and ssh never connects.
    const asBob = await cluster.kawa(['--token', tokens.bob as string, 'ssh', '--stdio', String(vps.id)]);
    expect(asBob).toMatchObject({ code: 1, stdout: '' });
    expect(asBob.stderr).toMatch(/belongs to alice.*\(KAWA_ERR_FORBIDDEN\)\n$/);
    const terminal = await upgrade(`${cluster.url.replace(/^http/, 'ws')}/api/v1/tasks/${vps.id}/terminal`, {
      authorization: `Bearer ${tokens.bob}`,
    });
    expect([terminal.status, terminal.code]).toEqual([403, 'KAWA_ERR_FORBIDDEN']);
  });

  it('cuts an open SSH stream when its token is revoked, and refuses the token from then on', async () => {
    const socket = new WebSocket(sshUrl(), { headers: { authorization: `Bearer ${tokens.alice}` } });
    const banner = await new Promise<string>((resolve, reject) => {
      socket.once('message', (data: Buffer) => resolve(data.toString()));
      socket.once('error', reject);
    });
    expect(banner).toMatch(/^SSH-2\.0-/);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const revoked = await cluster.kawa(['token', 'revoke', String(tokenIds.alice)]);
    expect(revoked.code, revoked.stderr).toBe(0);
    await closed;
    const again = await upgrade(sshUrl(), { authorization: `Bearer ${tokens.alice}` });
    counts.total += 1;
    if (again.status === 401) counts.refused += 1;
    expect([again.status, again.code]).toEqual([401, 'KAWA_ERR_UNAUTHORIZED']);
    // The admin still gets in: the VPS itself is unharmed.
    const admin = await cluster.kawa(['ssh', String(vps.id), '-i', key.privateKey, ...BATCH, 'true']);
    expect(admin.code, admin.stderr).toBe(0);
  });
});

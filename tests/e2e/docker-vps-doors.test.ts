import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Task } from '@kawa/protocol';
import type { Cluster } from './support/cluster.js';
import { submit, waitForStatus } from './support/tasks.js';
import { VPS_IMAGE, createVps, startVpsFixture, vpsContainer, type KeyPair, type VpsFixture } from './support/vps.js';

/** Opens the vpsSsh WebSocket by hand with `headers`; resolves with the HTTP refusal, or 101. */
function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, handshakeTimeout: 10_000 });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    socket.once('open', () => {
      socket.terminate();
      resolve({ status: 101, body: '' });
    });
    socket.once('error', (error) => reject(error));
  });
}

/**
 * The locked doors: sshd is published on the node's loopback only, and the host's SSH stream
 * lets in only an API token of the VPS's owner (or an admin), and only to a VPS that runs.
 */
describe('VPS doors', () => {
  let fixture: VpsFixture;
  let cluster: Cluster;
  let key: KeyPair;
  let vps: Task;

  beforeAll(async () => {
    fixture = await startVpsFixture();
    ({ cluster, key } = fixture);
    vps = await createVps(cluster, ['--image', VPS_IMAGE, '--public-key', key.publicKey]);
  });
  afterAll(() => fixture.stop());

  it('publishes sshd’s port on 127.0.0.1 only, and nothing else', async () => {
    const info = await vpsContainer(vps.id).inspect();
    const bindings = info.HostConfig.PortBindings as Record<string, { HostIp: string; HostPort: string }[]>;
    expect(Object.keys(bindings)).toEqual(['22/tcp']);
    expect(bindings['22/tcp']?.map((binding) => binding.HostIp)).toEqual(['127.0.0.1']);
    const published = info.NetworkSettings.Ports['22/tcp'] ?? [];
    expect(published.length).toBeGreaterThan(0);
    for (const port of published) expect(port.HostIp).toBe('127.0.0.1');
  });

  it('refuses the SSH WebSocket with no token, a wrong one, or the runners’ join token', async () => {
    const url = `${cluster.url.replace(/^http/, 'ws')}/api/v1/vps/${vps.id}/ssh`;
    const none = await upgrade(url, {});
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ error: { code: 'KAWA_ERR_UNAUTHORIZED' } });

    const wrong = await cluster.kawa(['--token', 'not-a-kawa-token', 'ssh', '--stdio', String(vps.id)]);
    expect(wrong).toMatchObject({ code: 1, stdout: '' });
    expect(wrong.stderr).toMatch(/\(KAWA_ERR_UNAUTHORIZED\)\n$/);

    const joinToken = readFileSync(`${cluster.home}/.kawa/host/join-token`, 'utf8').trim();
    const runnerToken = await cluster.kawa(['--token', joinToken, 'ssh', '--stdio', String(vps.id)]);
    expect(runnerToken).toMatchObject({ code: 1, stdout: '' });
    expect(runnerToken.stderr).toMatch(/\(KAWA_ERR_FORBIDDEN\)\n$/);
  });

  it('refuses a command task with KAWA_ERR_NOT_A_VPS, through the proxy and through kawa ssh', async () => {
    const { taskIds } = await submit(cluster, ['--container', 'NULL', '--', 'sleep', '60']);
    const id = taskIds[0] as number;
    await waitForStatus(cluster, id, ['running']);
    const proxied = await cluster.kawa(['ssh', '--stdio', String(id)]);
    expect(proxied).toMatchObject({ code: 1, stdout: '' });
    expect(proxied.stderr).toMatch(/^error: task \d+ is a command task.*\(KAWA_ERR_NOT_A_VPS\)\n$/);
    const direct = await cluster.kawa(['ssh', String(id), '-i', key.privateKey, 'true']);
    expect(direct.code).toBe(1);
    expect(direct.stderr).toMatch(/\(KAWA_ERR_NOT_A_VPS\)\n$/);
    await cluster.kawa(['task', 'kill', String(id)]);
  });

  it('refuses an unknown id, and a finished VPS with a coded error', async () => {
    const unknown = await cluster.kawa(['ssh', '--stdio', '999999']);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toMatch(/\(KAWA_ERR_TASK_NOT_FOUND\)\n$/);

    const ended = await createVps(cluster, ['--image', VPS_IMAGE, '--public-key', key.publicKey]);
    const killed = await cluster.kawa(['vps', 'kill', String(ended.id)]);
    expect(killed.code).toBe(0);
    await waitForStatus(cluster, ended.id, ['killed']);
    const proxied = await cluster.kawa(['ssh', '--stdio', String(ended.id)]);
    expect(proxied).toMatchObject({ code: 1, stdout: '' });
    expect(proxied.stderr).toMatch(/is killed, not running.*\(KAWA_ERR_INVALID_STATE\)\n$/);
    const direct = await cluster.kawa(['ssh', String(ended.id), 'true']);
    expect(direct.code).toBe(1);
    expect(direct.stderr).toMatch(
      /has ended: killed.*make a new one with kawa vps create \(KAWA_ERR_INVALID_STATE\)\n$/,
    );
  });
});

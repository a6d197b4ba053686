import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HostConfigSchema, linkCloseCodes } from '@kawa/protocol';
import { FakeRunner } from './testing/fake-runner.js';
import { startHost } from './index.js';

describe('startHost', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const configIn = (dir: string) =>
    HostConfigSchema.parse({
      listen: '127.0.0.1',
      port: 0,
      state_dir: join(dir, 'state'),
      shared_dir: join(dir, 'shared'),
    });

  it('creates 0600 token files in a 0700 state dir, listens, and keeps the tokens across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kawa-start-'));
    dirs.push(dir);
    const config = configIn(dir);
    const host = await startHost({ config, logLevel: 'silent' });
    const adminToken = readFileSync(host.adminTokenFile, 'utf8').trim();
    const joinToken = readFileSync(host.joinTokenFile, 'utf8').trim();
    try {
      expect(host.url).toBe(`http://127.0.0.1:${host.port}`);
      expect(host.port).toBeGreaterThan(0);
      expect(adminToken).toMatch(/^kawa_admin_[A-Za-z0-9_-]{43}$/);
      expect(joinToken).toMatch(/^kawa_join_[A-Za-z0-9_-]{43}$/);
      expect(statSync(host.adminTokenFile).mode & 0o777).toBe(0o600);
      expect(statSync(host.joinTokenFile).mode & 0o777).toBe(0o600);
      expect(statSync(config.state_dir).mode & 0o777).toBe(0o700);
      const db = readFileSync(join(config.state_dir, 'kawa.db'));
      expect(db.includes(Buffer.from(adminToken))).toBe(false);

      const response = await fetch(`${host.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${adminToken}` } });
      expect(await response.json()).toEqual({ user: 'admin', admin: true });

      const runner = await FakeRunner.connect(host.url.replace('http', 'ws'), joinToken);
      await runner.hello('node1');
      await host.close();
      expect((await runner.closed).code).toBe(linkCloseCodes.hostShutdown);
    } finally {
      await host.close();
    }

    const again = await startHost({ config, logLevel: 'silent' });
    try {
      expect(readFileSync(again.adminTokenFile, 'utf8').trim()).toBe(adminToken);
      const response = await fetch(`${again.url}/api/v1/whoami`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(response.status).toBe(200);
    } finally {
      await again.close();
    }
  });

  it('starts and runs no-Docker work when Docker is absent; the default env is then refused plainly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kawa-start-'));
    dirs.push(dir);
    const config = HostConfigSchema.parse({
      listen: '127.0.0.1',
      port: 0,
      state_dir: join(dir, 'state'),
      shared_dir: join(dir, 'shared'),
      docker_socket: join(dir, 'no-docker.sock'),
    });
    const host = await startHost({ config, logLevel: 'silent' });
    try {
      const headers = {
        authorization: `Bearer ${readFileSync(host.adminTokenFile, 'utf8').trim()}`,
        'content-type': 'application/json',
      };
      const post = (body: object) =>
        fetch(`${host.url}/api/v1/tasks`, { method: 'POST', headers, body: JSON.stringify(body) });
      expect((await post({ command: ['true'], container: 'NULL' })).status).toBe(201);
      const refused = await post({ command: ['true'] });
      expect(refused.status).toBe(404);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('KAWA_ERR_ENV_NOT_FOUND');
      expect(body.error.message).toContain(`Docker does not answer on ${config.docker_socket}`);
    } finally {
      await host.close();
    }
  });
});

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAWA_BIN, startCluster, type Cluster, type RunResult } from './support/cluster.js';
import { selfSigned, tlsEnv } from './support/tls.js';

function runKawa(cluster: Cluster, args: string[], env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [KAWA_BIN, ...args], {
      env: { HOME: cluster.home, PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('TLS: https for the API, wss for the runner link, a CA file for a self-signed certificate', () => {
  let dir: string;
  let tls: { cert: string; key: string };
  let cluster: Cluster;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kawa-tls-'));
    tls = selfSigned(dir);
    cluster = await startCluster({
      env: { ...tlsEnv(tls), KAWA_HOST_DEFAULT_CONTAINER: 'NULL' },
    });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves https, and the runner joined over wss with the CA file', async () => {
    expect(cluster.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const nodes = await cluster.kawa(['node', 'list', '--json']);
    expect(nodes.code).toBe(0);
    const listed = JSON.parse(nodes.stdout) as { nodes: { name: string; status: string }[] };
    expect(listed.nodes).toEqual([expect.objectContaining({ name: cluster.node, status: 'online' })]);
  });

  it('runs a task and reads its log through the CLI over https', async () => {
    const run = await cluster.kawa(['task', 'submit', '--container', 'NULL', '--wait', '--', 'echo', 'over tls']);
    expect(run.code).toBe(0);
    const id = /task (\d+)/.exec(run.stdout + run.stderr)?.[1];
    expect(id).toBeDefined();
    const logs = await cluster.kawa(['task', 'logs', id as string]);
    expect(logs.stdout).toBe('over tls\n');
  });

  it('opens WebSockets over wss with the CA file: the host’s refusal arrives, not a TLS failure', async () => {
    const submitted = await cluster.kawa(['task', 'submit', '--container', 'NULL', '--json', '--', 'sleep', '30']);
    const id = String((JSON.parse(submitted.stdout) as { taskIds: number[] }).taskIds[0]);
    // A no-Docker task has no container: the host refuses the terminal before the upgrade, over TLS.
    const connect = await cluster.kawa(['connect', id]);
    expect(connect.code).toBe(1);
    expect(connect.stderr).toMatch(/KAWA_ERR_BAD_REQUEST|KAWA_ERR_INVALID_STATE/);
    const withoutCa = await runKawa(cluster, ['connect', id], { KAWA_CLIENT_HOST_URL: cluster.url });
    expect(withoutCa.code).toBe(69);
    await cluster.kawa(['task', 'kill', id]);
  });

  it('refuses to trust the self-signed certificate without the CA file', async () => {
    const run = await runKawa(cluster, ['node', 'list'], { KAWA_CLIENT_HOST_URL: cluster.url });
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(/cannot reach|certificate/i);
  });

  it('answers no plain HTTP on the TLS port', async () => {
    const plain = cluster.url.replace('https://', 'http://');
    await expect(fetch(`${plain}/api/v1/whoami`)).rejects.toThrow();
  });

  it('keeps the files that hold secrets private: config 0600, tokens 0600, state dir 0700', () => {
    const mode = (path: string): number => statSync(join(cluster.home, path)).mode & 0o777;
    expect({
      config: mode('.kawa/config.toml'),
      admin: mode('.kawa/host/admin-token'),
      join: mode('.kawa/host/join-token'),
      state: mode('.kawa/host'),
      database: mode('.kawa/host/kawa.db') & 0o077,
    }).toEqual({ config: 0o600, admin: 0o600, join: 0o600, state: 0o700, database: 0 });
  });
});

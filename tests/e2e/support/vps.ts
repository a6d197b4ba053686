import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Task } from '@kawa/protocol';
import { KAWA_BIN, startCluster, type Cluster, type RunResult } from './cluster.js';
import { docker } from './docker.js';

const run = promisify(execFile);

/** Built by scripts/test-images.sh (debootstrap minbase + openssh-server); never pulled. */
export const VPS_IMAGE = 'kawa-test/vps:latest';

/** A key pair made by the real ssh-keygen in a temp dir of its own. */
export interface KeyPair {
  dir: string;
  privateKey: string;
  publicKey: string;
}

export async function makeKeyPair(): Promise<KeyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'kawa-e2e-key-'));
  const privateKey = join(dir, 'id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kawa-e2e', '-f', privateKey], { timeout: 10_000 });
  return { dir, privateKey, publicKey: readFileSync(`${privateKey}.pub`, 'utf8').trim() };
}

/** A cluster and a key pair for VPS tests. */
export interface VpsFixture {
  cluster: Cluster;
  key: KeyPair;
  /** Kills every VPS still there (no container outlives the test), stops the cluster, drops the key. */
  stop(): Promise<void>;
}

export async function startVpsFixture(): Promise<VpsFixture> {
  const cluster = await startCluster();
  const key = await makeKeyPair();
  return {
    cluster,
    key,
    async stop() {
      const listed = await cluster.api<{ vps: Task[] }>('GET', '/api/v1/vps').catch(() => null);
      for (const vps of listed?.body.vps ?? []) await cluster.api('POST', `/api/v1/tasks/${vps.id}/kill`, {});
      await cluster.stop();
      rmSync(key.dir, { recursive: true, force: true });
    },
  };
}

/** `kawa vps create --wait --json` with `args`; the running VPS. */
export async function createVps(cluster: Cluster, args: string[]): Promise<Task> {
  const created = await cluster.kawa(['vps', 'create', '--wait', '--json', ...args], { timeoutMs: 120_000 });
  if (created.code !== 0) throw new Error(`vps create failed (${created.code}): ${created.stderr}`);
  return (JSON.parse(created.stdout) as { vps: Task }).vps;
}

/** The environment the cluster's CLI runs with, for ssh and scp run by hand (their ProxyCommand is kawa). */
export function clusterEnv(cluster: Cluster): Record<string, string> {
  return { HOME: cluster.home, PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' };
}

/** What `ssh kawa-<id>` uses as ProxyCommand: this node and the built CLI. */
export const PROXY_COMMAND = `${process.execPath} ${KAWA_BIN} ssh --stdio %n`;

/** Options that keep ssh from ever asking a question: tests have no one to answer. */
export const BATCH = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20'];

/** Runs an OpenSSH program (ssh, scp) with the cluster's environment; never throws on exit codes. */
export async function openssh(
  cluster: Cluster,
  program: 'ssh' | 'scp',
  args: string[],
  timeoutMs = 60_000,
): Promise<RunResult> {
  try {
    const { stdout, stderr } = await run(program, args, { env: clusterEnv(cluster), timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string; killed?: boolean };
    if (failed.killed) throw new Error(`${program} ${args.join(' ')} did not end within ${timeoutMs} ms`);
    return {
      code: typeof failed.code === 'number' ? failed.code : null,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? '',
    };
  }
}

/** The VPS's container, while it exists. */
export function vpsContainer(id: number) {
  return docker.getContainer(`kawa-vps-${id}`);
}

/** `kawa ssh <id> -i <key> <command>` with batch options, as a user's script would run it. */
export function kawaSsh(cluster: Cluster, id: number, key: KeyPair, command: string, timeoutMs = 60_000) {
  return cluster.kawa(['ssh', String(id), '-i', key.privateKey, ...BATCH, command], { timeoutMs });
}

/**
 * The CPU and memory limits a VPS sees, read inside it: the cgroup files (v1 or v2) and nproc.
 * Printed as `key=value` lines so the test can read them whatever the cgroup version.
 */
export const LIMITS_SCRIPT = [
  'echo nproc=$(nproc)',
  'if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then',
  '  echo memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)',
  '  echo quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) period=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)',
  'else',
  '  echo memory=$(cat /sys/fs/cgroup/memory.max)',
  '  set -- $(cat /sys/fs/cgroup/cpu.max); echo quota=$1 period=$2',
  'fi',
].join('\n');

/** The key=value pairs of LIMITS_SCRIPT's output. */
export function parseLimits(text: string): Record<string, string> {
  const pairs = [...text.matchAll(/(\w+)=(\S+)/g)].map((match): [string, string] => [match[1] ?? '', match[2] ?? '']);
  return Object.fromEntries(pairs);
}

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild, waitForLine } from './process.js';

/** The built `kawa` binary; e2e tests run after `npm run build`. */
export const KAWA_BIN = fileURLToPath(new URL('../../../packages/kawa/dist/main.js', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Cluster {
  home: string;
  url: string;
  node: string;
  token: string;
  /** Runs the CLI in this cluster's HOME and waits for it to exit. */
  kawa(args: string[], options?: { timeoutMs?: number; cwd?: string }): Promise<RunResult>;
  /** Starts the CLI without waiting; for follow and other long-running commands. */
  spawnKawa(args: string[]): ChildProcess;
  /** Calls the REST API with the admin token. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Everything `kawa up` (host and runner) has written to stderr so far. */
  daemonLog(): string;
  /** Starts an extra runner with its own name and state dir, sharing the host's shared dir. */
  addRunner(name: string): ChildProcess;
  stop(): Promise<void>;
}

/** A clean environment: nothing of the caller's KAWA_* settings leaks into the cluster. */
function cleanEnv(home: string): NodeJS.ProcessEnv {
  return { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' };
}

export interface ClusterOptions {
  runnerName?: string;
  /** Extra environment for the daemons and the CLI, for example KAWA_HOST_MOUNT_ALLOW_LIST. */
  env?: Record<string, string>;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const home = mkdtempSync(join(tmpdir(), 'kawa-e2e-'));
  const env = { ...cleanEnv(home), ...options.env };
  // Clusters run side by side and each numbers its tasks from 1, so every cluster's node gets
  // its own name: cgroup paths (<controller>/kawa/<node>/task-<id>) must not collide.
  const runnerName = options.runnerName ?? `e2e-${randomBytes(4).toString('hex')}`;
  // Info level: tests read the runner's own log lines (env loads) from the daemons' stderr.
  const upArgs = [KAWA_BIN, 'up', '--port', '0', '--runner-name', runnerName, '--log-level', 'info'];
  const up = spawn(process.execPath, upArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let daemonLog = '';
  up.stderr.on('data', (chunk: Buffer) => (daemonLog += chunk.toString()));
  const extra: ChildProcess[] = [];
  let ready: RegExpExecArray;
  try {
    ready = await waitForLine(up, /^Kawa is up at (\S+) \(node (\S+)\)/, 60_000, 'kawa up');
  } catch (error) {
    await stopChild(up);
    throw error;
  }
  const url = ready[1] as string;
  const node = ready[2] as string;
  const token = readFileSync(join(home, '.kawa/host/admin-token'), 'utf8').trim();

  const kawa = kawaRunner(env, home);

  return {
    home,
    url,
    node,
    token,
    kawa,
    daemonLog: () => daemonLog,
    spawnKawa: (args) =>
      spawn(process.execPath, [KAWA_BIN, ...args], { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] }),
    api: apiCaller(url, token),
    addRunner(name) {
      const child = spawn(
        process.execPath,
        [KAWA_BIN, 'runner', '--name', name, '--state-dir', join(home, '.kawa', `runner-${name}`)],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      extra.push(child);
      return child;
    },
    async stop() {
      await Promise.all(extra.map((child) => stopChild(child)));
      await stopChild(up);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value, at most `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 10_000 && Date.now() < deadline; attempt += 1) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the built `kawa` with `env`, from `home` unless told otherwise, to its end (bounded). */
export function kawaRunner(env: NodeJS.ProcessEnv, home: string): Cluster['kawa'] {
  return (args, runOptions = {}) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [KAWA_BIN, ...args], { env, cwd: runOptions.cwd ?? home });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`kawa ${args.join(' ')} did not finish in time; stdout:\n${stdout}\nstderr:\n${stderr}`));
      }, runOptions.timeoutMs ?? 60_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
}

/** A REST call with `token`; the body parsed as JSON (null when empty). */
export function apiCaller(url: string, token: string): Cluster['api'] {
  return async (method, path, body) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as never };
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCaller, KAWA_BIN, kawaRunner, type Cluster } from './cluster.js';
import { stopChild, waitForLine } from './process.js';

/**
 * A cluster whose host and runners are separate processes (`kawa host`, `kawa runner`), as on
 * real machines, so that a test can kill -9, stop or restart one of them alone.
 */
export interface SplitCluster extends Cluster {
  /** The runner processes by name; a restarted runner replaces its entry. */
  runners: Map<string, ChildProcess>;
  /** Starts a runner (again, after a crash: same name, same state dir) and waits until it is connected. */
  startRunner(name: string): Promise<ChildProcess>;
  /** Everything a runner wrote to stderr, over all its starts. */
  runnerLog(name: string): string;
  /** The host's stderr. */
  hostLog(): string;
}

export interface SplitClusterOptions {
  /** Runner names; the first one is `node`. Each gets a random suffix: clusters share cgroups and dockerd. */
  runners: string[];
  /** Extra environment for every process, for example KAWA_HOST_HEARTBEAT_GRACE. */
  env?: Record<string, string>;
}

export async function startSplitCluster(options: SplitClusterOptions): Promise<SplitCluster> {
  const home = mkdtempSync(join(tmpdir(), 'kawa-e2e-split-'));
  const suffix = randomBytes(3).toString('hex');
  const names = options.runners.map((name) => `${name}-${suffix}`);
  const baseEnv: Record<string, string> = {
    HOME: home,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    ...options.env,
  };
  const host = spawn(process.execPath, [KAWA_BIN, 'host', '--port', '0', '--log-level', 'info'], {
    env: baseEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let hostLog = '';
  host.stderr.on('data', (chunk: Buffer) => (hostLog += chunk.toString()));
  let url: string;
  try {
    url = (await waitForLine(host, /^Kawa host listening at (\S+)/, 60_000, 'kawa host'))[1] as string;
  } catch (error) {
    await stopChild(host);
    rmSync(home, { recursive: true, force: true });
    throw error;
  }
  // The CLI finds the host through the environment; `kawa up` would write it to the config.
  const env = { ...baseEnv, KAWA_CLIENT_HOST_URL: url };
  const token = readFileSync(join(home, '.kawa/host/admin-token'), 'utf8').trim();
  const runners = new Map<string, ChildProcess>();
  const runnerLogs = new Map<string, string>();

  const spawnRunner = (name: string): ChildProcess => {
    const child = spawn(
      process.execPath,
      [
        KAWA_BIN,
        'runner',
        '--name',
        name,
        '--host-url',
        url,
        '--state-dir',
        join(home, '.kawa', `runner-${name}`),
        '--log-level',
        'info',
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stderr.on('data', (chunk: Buffer) => runnerLogs.set(name, (runnerLogs.get(name) ?? '') + chunk.toString()));
    runners.set(name, child);
    return child;
  };
  const startRunner = async (name: string): Promise<ChildProcess> => {
    const child = spawnRunner(name);
    await waitForLine(child, /^Kawa runner \S+ connected/, 60_000, `kawa runner ${name}`);
    return child;
  };

  const kawa = kawaRunner(env, home);

  const cluster: SplitCluster = {
    home,
    url,
    node: names[0] as string,
    token,
    runners,
    kawa,
    startRunner,
    runnerLog: (name) => runnerLogs.get(name) ?? '',
    hostLog: () => hostLog,
    daemonLog: () => [hostLog, ...runnerLogs.values()].join('\n'),
    spawnKawa: (args) =>
      spawn(process.execPath, [KAWA_BIN, ...args], { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] }),
    api: apiCaller(url, token),
    addRunner: spawnRunner,
    async stop() {
      await Promise.all([...runners.values()].map((child) => stopChild(child)));
      await stopChild(host);
      rmSync(home, { recursive: true, force: true });
    },
  };
  try {
    for (const name of names) await startRunner(name);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

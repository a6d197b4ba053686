// Starts a throwaway `kawa up` on loopback for a benchmark and gives a tiny API client.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const KAWA = join(root, 'packages/kawa/dist/main.js');

export async function startKawa({ env = {} } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'kawa-bench-'));
  // BENCH_NODE_ARGS profiles the cluster, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, KAWA, 'up', '--port', '0'], {
    env: { HOME: home, PATH: process.env.PATH, LANG: 'C.UTF-8', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (chunk) => (log += chunk.toString()));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('kawa up did not start in 60 s')), 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^Kawa is up at (\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`kawa up exited with ${code}:\n${log}`)));
  });
  const token = readFileSync(join(home, '.kawa/host/admin-token'), 'utf8').trim();
  const request = (method, path, body) =>
    fetch(`${url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const api = async (method, path, body) => {
    const response = await request(method, path, body);
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  /** POST that answers NDJSON (tar create): resolves with the last line, throws on an error line. */
  const stream = async (path) => {
    const response = await request('POST', path, {});
    const text = await response.text();
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${text}`);
    const last = JSON.parse(text.trim().split('\n').at(-1));
    if (last.type !== 'done') throw new Error(`POST ${path}: ${JSON.stringify(last)}`);
    return last;
  };
  // `kawa up` says it is up once the host listens; its runner connects a moment later. Measure
  // only once the node is online, so no scenario counts the runner's start-up.
  const deadline = Date.now() + 30_000;
  while (!(await api('GET', '/nodes')).nodes.some((node) => node.status === 'online')) {
    if (Date.now() > deadline) throw new Error(`kawa up: no node online after 30 s:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(home, { recursive: true, force: true });
  };
  return { api, stream, stop, home, pid: child.pid, log: () => log };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
export const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) };
};
export const median = (values) => summary(values).p50;
export const fmt = (value, digits = 1) => (typeof value === 'number' ? value.toFixed(digits) : String(value));

/** Runs a command to its end; resolves with its wall time in ms. Bounded by `timeoutMs`. */
export function timed(command, args, { timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(performance.now() - t);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

/** Runs `fn` over `count` items with `width` workers; resolves with the wall time in s. */
export async function wide(count, width, fn) {
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      await fn();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return (performance.now() - t0) / 1000;
}

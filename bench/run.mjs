#!/usr/bin/env node
// Kawa benchmarks. Scenario 1 (the spine): trivial no-Docker tasks, submit→start latency and
// end-to-end throughput, against raw fork/exec measured in the same run.
// Loopback only; every loop is bounded in count and time. Writes BENCHMARKS.md and bench/out/.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = fileURLToPath(new URL('..', import.meta.url));
const KAWA = join(root, 'packages/kawa/dist/main.js');
const TASKS = Number(process.env.BENCH_TASKS ?? 1000);
const DEADLINE_MS = 10 * 60_000;
const startedAt = Date.now();
const overDeadline = () => Date.now() - startedAt > DEADLINE_MS;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) };
};

async function startKawa() {
  const home = mkdtempSync(join(tmpdir(), 'kawa-bench-'));
  // BENCH_NODE_ARGS profiles the cluster, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, KAWA, 'up', '--port', '0'], {
    env: { HOME: home, PATH: process.env.PATH, LANG: 'C.UTF-8' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('kawa up did not start in 60 s')), 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^Kawa is up at (\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`kawa up exited with ${code}`)));
  });
  const token = readFileSync(join(home, '.kawa/host/admin-token'), 'utf8').trim();
  const api = async (method, path, body) => {
    const response = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(home, { recursive: true, force: true });
  };
  return { api, stop, pid: child.pid };
}

const trivialTask = { command: ['true'], container: 'NULL' };

/** Submit one task at a time and wait for it to end: submit→start latency on an idle cluster. */
async function kawaLatency(api, count) {
  const latencies = [];
  for (let i = 0; i < count && !overDeadline(); i += 1) {
    const sentAt = Date.now();
    const { taskIds } = await api('POST', '/tasks', trivialTask);
    const task = await api('GET', `/tasks/${taskIds[0]}/wait?timeoutMs=30000`);
    if (task.status !== 'completed') throw new Error(`task ${task.id} ended ${task.status}: ${task.reason}`);
    latencies.push(task.startedAt - sentAt);
  }
  return summary(latencies);
}

/** Submit `count` tasks as fast as 8 concurrent clients can, until all have ended. */
async function kawaThroughput(api, count) {
  const finalQuery = '/tasks?status=completed,failed,oom,killed,lost&limit=1';
  const before = (await api('GET', finalQuery)).total;
  const t0 = performance.now();
  let next = 0;
  const submitter = async () => {
    while (next < count) {
      next += 1;
      await api('POST', '/tasks', trivialTask);
    }
  };
  await Promise.all(Array.from({ length: 8 }, submitter));
  const submitted = performance.now() - t0;
  for (let i = 0; i < 100_000 && !overDeadline(); i += 1) {
    if ((await api('GET', finalQuery)).total - before >= count) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - t0) / 1000;
  const failed = (await api('GET', '/tasks?status=failed,oom,killed,lost&limit=1')).total;
  return { tasks: count, seconds, perSecond: count / seconds, submitSeconds: submitted / 1000, failed };
}

function spawnTrue() {
  return new Promise((resolve, reject) => {
    const child = spawn('true', [], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', resolve);
  });
}

/** The anchor: fork/exec of `true` from Node, one at a time and two wide (one per core). */
async function rawForkExec(count) {
  const latencies = [];
  for (let i = 0; i < count; i += 1) {
    const t = performance.now();
    await spawnTrue();
    latencies.push(performance.now() - t);
  }
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      await spawnTrue();
    }
  };
  await Promise.all([worker(), worker()]);
  const seconds = (performance.now() - t0) / 1000;
  return { latency: summary(latencies), perSecond: count / seconds };
}

function machine() {
  const cpu = cpus()[0]?.model ?? 'unknown';
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}`;
}

const fmt = (value, digits = 1) => (typeof value === 'number' ? value.toFixed(digits) : String(value));

async function main() {
  const kawa = await startKawa();
  try {
    await kawaLatency(kawa.api, 20); // warm-up
    const latency = await kawaLatency(kawa.api, TASKS);
    const throughput = await kawaThroughput(kawa.api, TASKS);
    const raw = await rawForkExec(TASKS);
    const results = {
      date: new Date().toISOString(),
      machine: machine(),
      tasks: TASKS,
      kawa: { latency, throughput },
      raw,
    };
    mkdirSync(join(root, 'bench/out'), { recursive: true });
    writeFileSync(join(root, 'bench/out/trivial-no-docker.json'), JSON.stringify(results, null, 2));

    const lines = [
      `Trivial no-Docker tasks (\`true\`, --container NULL, 1 core each), ${TASKS} tasks`,
      '',
      '| measure | Kawa | raw fork/exec | target |',
      '|---|---|---|---|',
      `| submit→start p50 (ms) | ${fmt(latency.p50, 0)} | ${fmt(raw.latency.p50, 2)} (spawn→exit) | ≤ 15 |`,
      `| submit→start p99 (ms) | ${fmt(latency.p99, 0)} | ${fmt(raw.latency.p99, 2)} (spawn→exit) | |`,
      `| end-to-end throughput (tasks/s) | ${fmt(throughput.perSecond)} | ${fmt(raw.perSecond)} (2 wide) | ≥ 200 |`,
      `| Kawa / raw throughput | ${fmt(throughput.perSecond / raw.perSecond, 2)} | | |`,
      '',
      `Throughput run: ${TASKS} tasks submitted by 8 concurrent clients in ${fmt(throughput.submitSeconds, 2)} s, all ended after ${fmt(throughput.seconds, 2)} s; ${throughput.failed} did not complete.`,
    ];
    console.log(lines.join('\n'));
    writeFileSync(
      join(root, 'BENCHMARKS.md'),
      [
        '# Benchmarks',
        '',
        'Produced by `npm run bench` (bench/run.mjs) in one run on the machine below; rerun it to refresh this file.',
        'Kawa runs as `kawa up` (host and runner in one process) on loopback. Latency is measured from the moment the',
        'client sends the submit to the `startedAt` of the task, which the host stamps when the runner reports it running; each latency task is submitted after the previous',
        'one ended.',
        '',
        `Machine: ${results.machine}. Run: ${results.date}.`,
        '',
        '## 1. ' + lines[0],
        ...lines.slice(1),
        '',
      ].join('\n'),
    );
  } finally {
    await kawa.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

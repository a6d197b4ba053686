// Scenario 1: trivial no-Docker tasks. Submit→start latency and end-to-end throughput for Kawa,
// for Slurm (defaults, and the high-throughput settings of Slurm's own guide) and for raw
// fork/exec, all in the same run, all running the same command: `sh -c 'date +%s%N > FILE'`.
// Every task writes the wall-clock time it started, so "start" means the same thing for all.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, startKawa, summary, wide } from '../lib/kawa.mjs';
import { SCHED_VARIANTS_TRIED, TUNED_SETTINGS, slurmAvailable, startSlurm, until } from '../lib/slurm.mjs';
import { barChart, cdfChart } from '../lib/svg.mjs';

const FINAL = 'completed,failed,oom,killed,lost';
/** Wall-clock ms with sub-ms precision, comparable with `date +%s%N`. */
const wallNow = () => performance.timeOrigin + performance.now();
const script = (file) => `date +%s%N > ${file}`;
const startedAt = (file) => Number(readFileSync(file, 'utf8').trim()) / 1e6;

/** Waits (polling every 1 ms, bounded) until the task wrote its file; resolves with its timestamp. */
async function written(file, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      if (text.endsWith('\n')) return Number(text.trim()) / 1e6;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`no start timestamp in ${file} after ${ms} ms`);
}

/**
 * One system under test: `submit(file)` hands it one task writing `file`; `settle()` waits until
 * every submitted task has ended (Kawa: final in the API; raw: exited; Slurm: the queue is empty).
 */
async function latencyRun(system, dir, count, deadline) {
  const latencies = [];
  for (let i = 0; i < count && Date.now() < deadline; i += 1) {
    const file = join(dir, `lat-${i}`);
    const sentAt = wallNow();
    await system.submit(file);
    latencies.push((await written(file, 120_000)) - sentAt);
    await system.afterLatencyTask?.();
  }
  return latencies;
}

/** Submits `count` tasks with `width` concurrent submitters; ends when the last one has started. */
async function throughputRun(system, dir, count, width, limitMs) {
  const t0 = wallNow();
  let index = 0;
  const submitSeconds = await wide(count, width, () => system.submit(join(dir, `tp-${index++}`)));
  const deadline = Date.now() + limitMs;
  let done = 0;
  while (Date.now() < deadline) {
    done = readdirSync(dir).filter((name) => name.startsWith('tp-')).length;
    if (done >= count) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const files = readdirSync(dir).filter((name) => name.startsWith('tp-'));
  const stamps = files
    .map((name) => join(dir, name))
    .map((file) => {
      try {
        return startedAt(file);
      } catch {
        return NaN;
      }
    });
  const last = Math.max(...stamps.filter(Number.isFinite));
  const seconds = (last - t0) / 1000;
  return {
    tasks: count,
    started: files.length,
    complete: files.length >= count,
    submitSeconds,
    seconds,
    perSecond: files.length / seconds,
  };
}

async function measureKawa(dir, { tasks, deadline }) {
  const kawa = await startKawa();
  try {
    const submit = async (file) => {
      const { taskIds } = await kawa.api('POST', '/tasks', { command: ['sh', '-c', script(file)], container: 'NULL' });
      return taskIds[0];
    };
    let lastId = null;
    const system = {
      submit: async (file) => (lastId = await submit(file)),
      // Each latency task is submitted after the previous one ended.
      afterLatencyTask: async () => {
        const task = await kawa.api('GET', `/tasks/${lastId}/wait?timeoutMs=30000`);
        if (task.status !== 'completed') throw new Error(`task ${task.id} ended ${task.status}: ${task.reason}`);
      },
    };
    await latencyRun(system, join(dir, 'warm'), 20, deadline); // warm-up
    const latency = await latencyRun(system, dir, tasks, deadline);
    const before = (await kawa.api('GET', `/tasks?status=${FINAL}&limit=1`)).total;
    const throughput = await throughputRun({ submit }, dir, tasks, 8, 300_000);
    // Kawa's own end: every task final in the API.
    const t0 = performance.now();
    for (let i = 0; i < 10_000 && performance.now() - t0 < 60_000; i += 1) {
      if ((await kawa.api('GET', `/tasks?status=${FINAL}&limit=1`)).total - before >= tasks) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throughput.finalAfterLastStartMs = performance.now() - t0;
    throughput.failed = (await kawa.api('GET', '/tasks?status=failed,oom,killed,lost&limit=1')).total;
    return { latency, throughput };
  } finally {
    await kawa.stop();
  }
}

function spawnScript(file) {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script(file)], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sh exited ${code}`))));
  });
}

/** The anchor: the same command by fork/exec from Node, one at a time, then two wide (one per core). */
async function measureRaw(dir, { tasks, deadline }) {
  const system = { submit: spawnScript };
  await latencyRun(system, join(dir, 'warm'), 20, deadline);
  const latency = await latencyRun(system, dir, tasks, deadline);
  const throughput = await throughputRun(system, dir, tasks, 2, 60_000);
  return { latency, throughput };
}

async function measureSlurm(dir, tuned, { slurmLatencyTasks, tasks, slurmLimitMs }) {
  const slurm = await startSlurm({ tuned });
  try {
    const submit = (file) => slurm.sbatch(script(file));
    const latencyDeadline = Date.now() + slurmLimitMs / 2;
    await latencyRun({ submit }, join(dir, 'warm'), 2, latencyDeadline);
    const latency = await latencyRun({ submit }, dir, slurmLatencyTasks, latencyDeadline);
    await until(() => slurm.jobsLeft() === 0, 60_000, 'Slurm jobs left after the latency run').catch(() => undefined);
    const throughput = await throughputRun({ submit }, dir, tasks, 8, slurmLimitMs);
    return { latency, throughput, settings: slurm.settings };
  } finally {
    await slurm.stop();
  }
}

const withDir = async (name, fn) => {
  const dir = mkdtempSync(join(tmpdir(), `kawa-bench-${name}-`));
  try {
    mkdirSync(join(dir, 'warm'));
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export async function trivialNoDocker(settings) {
  const { tasks } = settings;
  const slurmSettings = {
    // Slurm starts about 1 job per core per second here (0.7 with defaults): 1,000 jobs would take
    // 8–25 minutes, so it runs fewer. Its rate is steady (bound by that per-job second).
    slurmLatencyTasks: Number(process.env.BENCH_SLURM_LATENCY_TASKS ?? Math.min(tasks, 20)),
    tasks: Number(process.env.BENCH_SLURM_TASKS ?? Math.min(tasks, 100)),
    slurmLimitMs: Number(process.env.BENCH_SLURM_LIMIT_S ?? 240) * 1000,
  };
  const kawa = await withDir('kawa', (dir) => measureKawa(dir, settings));
  const raw = await withDir('raw', (dir) => measureRaw(dir, settings));
  const slurm = {};
  const slurmErrors = [];
  if (!slurmAvailable()) slurmErrors.push('slurmctld, slurmd, munged or sbatch is not installed');
  else if (process.env.BENCH_SKIP_SLURM !== '1') {
    // A Slurm that will not start costs its rows, not the whole run.
    for (const [key, tuned] of [
      ['default', false],
      ['tuned', true],
    ]) {
      try {
        slurm[key] = await withDir('slurm', (dir) => measureSlurm(dir, tuned, slurmSettings));
      } catch (error) {
        slurmErrors.push(`Slurm (${key}) failed: ${String(error?.message ?? error).split('\n')[0]}`);
      }
    }
  }

  const rows = [
    ['Kawa', kawa],
    ['raw fork/exec', raw],
    ...(slurm.default ? [['Slurm, defaults', slurm.default]] : []),
    ...(slurm.tuned ? [['Slurm, HTC guide settings', slurm.tuned]] : []),
  ].map(([name, result]) => ({ name, result, lat: summary(result.latency) }));
  const tunedRate = slurm.tuned?.throughput.perSecond;
  const kawaRate = kawa.throughput.perSecond;
  const tp = (result) =>
    `${fmt(result.throughput.perSecond)}${result.throughput.complete ? '' : ` (only ${result.throughput.started} of ${result.throughput.tasks} started in the time limit)`}`;
  const markdown = [
    `Trivial no-Docker tasks, ${tasks} tasks: Kawa against raw fork/exec and Slurm`,
    '',
    '| system | submit→start p50 (ms) | p99 (ms) | latency samples | end-to-end (tasks/s) | Kawa ÷ this (throughput) |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      ({ name, result, lat }) =>
        `| ${name} | ${fmt(lat.p50, 1)} | ${fmt(lat.p99, 1)} | ${lat.n} | ${tp(result)} | ${name === 'Kawa' ? '–' : `${fmt(kawaRate / result.throughput.perSecond, 2)}×`} |`,
    ),
    '',
    "Every task, in every system, is `sh -c 'date +%s%N > FILE'`: its start is the time it wrote. Latency is from just before the submit (HTTP POST for Kawa, the `sbatch` process for Slurm, `spawn()` for raw) to that time, one task at a time. " +
      `Throughput is ${tasks} tasks submitted by 8 concurrent clients (Kawa: HTTP; Slurm: \`sbatch\` processes) or forked 2 wide (raw), from the first submit to the last start; Kawa tasks ask for 1 core, Slurm jobs \`-n 1 -c 1\`, on the same ${cpus().length}-core node. ` +
      `Kawa: the ${tasks} submits took ${fmt(kawa.throughput.submitSeconds, 2)} s, and every task was final in the API ${fmt(kawa.throughput.finalAfterLastStartMs, 0)} ms after the last start; ${kawa.throughput.failed} did not complete.`,
  ];
  if (slurmErrors.length > 0) markdown.push('', `Not measured: ${slurmErrors.join('; ')}.`);
  if (slurm.default || slurm.tuned) {
    markdown.push(
      '',
      'Slurm runs as slurmctld + slurmd + munged on 127.0.0.1, one node (`NodeName=localhost`), configured by the bench with its own munge key and socket. ' +
        'Both configurations use `SelectType=select/cons_tres` with `CR_Core` (jobs of one core share the node, as Kawa tasks do; the default select/linear gives each job the whole node), `ProctrackType=proctrack/pgid`, `TaskPlugin=task/none`, `MpiDefault=none`. ' +
        `"HTC guide settings" adds, from Slurm's [High Throughput Computing Administration Guide](https://slurm.schedmd.com/high_throughput.html): ${TUNED_SETTINGS.map((line) => `\`${line}\``).join(', ')} ` +
        `(the SchedulerParameters are the guide's "set of scheduling parameters currently used for running hundreds of jobs per second", tuned to this workload as its text allows: ${SCHED_VARIANTS_TRIED}). The guide's kernel settings (somaxconn, port range) are left alone. ` +
        `Slurm ran ${slurmSettings.tasks} tasks for throughput and ${slurmSettings.slurmLatencyTasks} for latency (Kawa and raw ${tasks}): it starts about one job per core per second, so ${tasks} would take many minutes; that rate is steady.`,
      '',
      tunedRate ? `Kawa ÷ tuned Slurm, end-to-end throughput: ${fmt(kawaRate / tunedRate, 1)}× (target ≥ 60×).` : '',
    );
  }
  const charts = [
    {
      file: 'no-docker-latency-cdf.svg',
      alt: 'Submit→start latency CDF, trivial no-Docker tasks',
      svg: cdfChart({
        title: 'Trivial no-Docker tasks: submit→start latency (CDF)',
        series: rows.map(({ name, result }) => ({ name, values: result.latency })),
      }),
    },
    {
      file: 'no-docker-throughput.svg',
      alt: 'End-to-end throughput, trivial no-Docker tasks',
      svg: barChart({
        title: `Trivial no-Docker tasks: end-to-end throughput, ${tasks} tasks`,
        unit: 'tasks/s',
        bars: rows.map(({ name, result }) => ({ name, value: result.throughput.perSecond })),
      }),
    },
  ];
  const targets = [
    {
      scenario: '1',
      what: 'throughput ≥ 200 tasks/s end to end',
      figure: `${fmt(kawaRate)} tasks/s`,
      met: kawaRate >= 200,
    },
    {
      scenario: '1',
      what: 'throughput ≥ 60× tuned Slurm',
      figure: tunedRate ? `${fmt(kawaRate / tunedRate, 1)}×` : 'Slurm not measured',
      met: tunedRate ? kawaRate / tunedRate >= 60 : false,
    },
    {
      scenario: '1',
      what: 'submit→start p50 ≤ 15 ms',
      figure: `${fmt(rows[0].lat.p50, 1)} ms`,
      met: rows[0].lat.p50 <= 15,
    },
  ];
  const json = Object.fromEntries(
    rows.map(({ name, result, lat }) => [
      name,
      { latency: lat, throughput: result.throughput, samples: result.latency },
    ]),
  );
  return { name: 'trivial-no-docker', json: { tasks, systems: json }, markdown, charts, targets };
}

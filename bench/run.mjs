#!/usr/bin/env node
// Kawa benchmarks: each scenario measures Kawa and its anchor in the same run.
//   1. trivial no-Docker tasks vs raw fork/exec and Slurm (defaults, and its HTC guide settings)
//   2. trivial Docker tasks vs raw `docker run --rm`
//   3. a sweep of 200 0.5 s sleeps, --max-parallel 2, vs the ideal and a Slurm job array %2
//   4. env distribution of a ~1 GB env vs raw `docker load`
//   5. the scheduler at scale: the pure pass in-process, and a real host with 1,000 simulated runners
//   6. idle footprint of `kawa host` and `kawa runner`
//   7. SSH into a VPS through the host vs direct ssh to its published port (setup time, scp)
// Loopback only; every loop is bounded in count and time. Writes BENCHMARKS.md and bench/charts/*.svg
// (a full run) and bench/out/<scenario>.json. BENCH_ONLY=docker,env-sync runs a subset, writes its
// charts to bench/out/ and leaves BENCHMARKS.md alone. Scenarios that use Docker hold
// /tmp/kawa-docker.lock (flock) while they run.
import { spawnSync } from 'node:child_process';
import { mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fmt, root } from './lib/kawa.mjs';
import { slurmVersion } from './lib/slurm.mjs';
import { trivialDocker } from './scenarios/docker.mjs';
import { envSync } from './scenarios/env-sync.mjs';
import { idleFootprint } from './scenarios/idle.mjs';
import { trivialNoDocker } from './scenarios/no-docker.mjs';
import { fleet } from './scenarios/fleet.mjs';
import { schedulerPass } from './scenarios/scheduler-pass.mjs';
import { sshBench } from './scenarios/ssh.mjs';
import { sweep } from './scenarios/sweep.mjs';

const settings = {
  tasks: Number(process.env.BENCH_TASKS ?? 1000),
  dockerTasks: Number(process.env.BENCH_DOCKER_TASKS ?? 100),
  envMegabytes: Number(process.env.BENCH_ENV_MB ?? 1000),
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  deadline: Date.now() + 40 * 60_000,
};

const scenarios = [
  { id: 'no-docker', title: '1', run: trivialNoDocker },
  { id: 'docker', title: '2', run: trivialDocker, docker: true },
  { id: 'sweep', title: '3', run: sweep },
  { id: 'env-sync', title: '4', run: envSync, docker: true },
  { id: 'scheduler', title: '5a', run: schedulerPass },
  { id: 'fleet', title: '5b', run: fleet },
  { id: 'idle', title: '6', run: idleFootprint },
  { id: 'ssh', title: '7', run: sshBench, docker: true },
];

const firstLine = (command, args) => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? (result.stdout || result.stderr).trim().split('\n')[0] : 'not installed';
};

function machine() {
  const cpu = cpus()[0]?.model ?? 'unknown';
  return [
    `| CPU | ${cpus().length} × ${cpu} |`,
    `| RAM | ${(totalmem() / 2 ** 30).toFixed(1)} GiB |`,
    `| kernel | Linux ${release()} |`,
    `| Node | ${process.version} |`,
    `| Docker | ${firstLine('docker', ['version', '--format', 'Engine {{.Server.Version}}, API {{.Server.APIVersion}}'])} |`,
    `| Slurm | ${slurmVersion()} |`,
    `| munge | ${firstLine('munged', ['--version'])} |`,
  ];
}

/** Runs `fn` holding the shared Docker lock, as the Docker test suites do (flock on a file). */
async function withDockerLock(fn) {
  // flock(1) holds the lock for as long as its child runs; the child waits on a fifo-free pipe:
  // `flock FILE cat` reads our stdin until we close it.
  const { spawn } = await import('node:child_process');
  const holder = spawn('flock', ['/tmp/kawa-docker.lock', 'sh', '-c', 'echo locked; exec cat > /dev/null'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    holder.once('error', reject);
    holder.once('exit', (code) => reject(new Error(`flock exited ${code}`)));
    holder.stdout.once('data', resolve);
  });
  try {
    return await fn();
  } finally {
    holder.removeAllListeners('exit');
    holder.stdin.end();
    await new Promise((resolve) => holder.once('exit', resolve));
  }
}

async function main() {
  const only = process.env.BENCH_ONLY?.split(',');
  const chosen = only ? scenarios.filter((scenario) => only.includes(scenario.id)) : scenarios;
  const date = new Date().toISOString();
  const sections = [];
  const targets = [];
  const out = join(root, 'bench/out');
  const chartDir = only ? out : join(root, 'bench/charts');
  mkdirSync(out, { recursive: true });
  mkdirSync(chartDir, { recursive: true });
  closeSync(openSync('/tmp/kawa-docker.lock', 'a'));
  const started = performance.now();
  for (const scenario of chosen) {
    const t0 = performance.now();
    console.error(`== scenario ${scenario.title} (${scenario.id})`);
    const result = scenario.docker ? await withDockerLock(() => scenario.run(settings)) : await scenario.run(settings);
    writeFileSync(join(out, `${result.name}.json`), JSON.stringify({ date, ...result.json }, null, 2));
    const charts = (result.charts ?? []).map((chart) => {
      writeFileSync(join(chartDir, chart.file), chart.svg);
      return `![${chart.alt}](bench/charts/${chart.file})`;
    });
    console.log(result.markdown.join('\n') + '\n');
    console.error(`   (${fmt((performance.now() - t0) / 1000, 0)} s)`);
    sections.push(
      `## ${scenario.title}. ${result.markdown[0]}`,
      ...result.markdown.slice(1),
      '',
      ...charts.flatMap((c) => [c, '']),
    );
    targets.push(...(result.targets ?? []));
  }
  const targetLines = [
    '| scenario | target | figure | |',
    '|---|---|---|---|',
    ...targets.map((t) => `| ${t.scenario} | ${t.what} | ${t.figure} | ${t.met ? 'met' : '**missed**'} |`),
  ];
  console.log(['Targets:', ...targetLines].join('\n'));
  console.error(`total ${fmt((performance.now() - started) / 60_000, 1)} min`);
  if (only) return;
  writeFileSync(
    join(root, 'BENCHMARKS.md'),
    [
      '# Benchmarks',
      '',
      'Produced by `npm run bench` (bench/run.mjs) in one run on the machine below; rerun it to refresh this file and bench/charts/.',
      'Every figure is measured against its anchor in the same run. Kawa runs as `kawa up` (host and runner in one process) on loopback unless a scenario says otherwise.',
      '',
      `Run: ${date}, ${fmt((performance.now() - started) / 60_000, 1)} min.`,
      '',
      '| machine | |',
      '|---|---|',
      ...machine(),
      '',
      ...sections,
      '## Targets',
      '',
      ...targetLines,
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

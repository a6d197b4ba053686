#!/usr/bin/env node
// Kawa benchmarks: each scenario measures Kawa and its anchor in the same run.
//   1. trivial no-Docker tasks vs raw fork/exec
//   2. trivial Docker tasks vs raw `docker run --rm`
//   4. env distribution of a ~1 GB env vs raw `docker load`
//   5. one pass of the scheduler function over 1,000 nodes and 100,000 queued tasks
//   6. SSH into a VPS through the host vs direct ssh to its published port (setup time, scp)
// Loopback only; every loop is bounded in count and time. Writes BENCHMARKS.md (a full run) and
// bench/out/<scenario>.json. BENCH_ONLY=docker,env-sync runs a subset and leaves BENCHMARKS.md alone.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { root } from './lib/kawa.mjs';
import { trivialDocker } from './scenarios/docker.mjs';
import { envSync } from './scenarios/env-sync.mjs';
import { trivialNoDocker } from './scenarios/no-docker.mjs';
import { schedulerPass } from './scenarios/scheduler-pass.mjs';
import { sshBench } from './scenarios/ssh.mjs';

const settings = {
  tasks: Number(process.env.BENCH_TASKS ?? 1000),
  dockerTasks: Number(process.env.BENCH_DOCKER_TASKS ?? 100),
  envMegabytes: Number(process.env.BENCH_ENV_MB ?? 1000),
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  deadline: Date.now() + 40 * 60_000,
};

const scenarios = [
  { id: 'no-docker', title: '1', run: trivialNoDocker },
  { id: 'docker', title: '2', run: trivialDocker },
  { id: 'env-sync', title: '4', run: envSync },
  { id: 'scheduler', title: '5', run: schedulerPass },
  { id: 'ssh', title: '6', run: sshBench },
];

function machine() {
  const cpu = cpus()[0]?.model ?? 'unknown';
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}`;
}

async function main() {
  const only = process.env.BENCH_ONLY?.split(',');
  const chosen = only ? scenarios.filter((scenario) => only.includes(scenario.id)) : scenarios;
  const date = new Date().toISOString();
  const sections = [];
  mkdirSync(join(root, 'bench/out'), { recursive: true });
  for (const scenario of chosen) {
    const result = await scenario.run(settings);
    writeFileSync(
      join(root, `bench/out/${result.name}.json`),
      JSON.stringify({ date, machine: machine(), ...result.json }, null, 2),
    );
    console.log(result.markdown.join('\n') + '\n');
    sections.push(`## ${scenario.title}. ${result.markdown[0]}`, ...result.markdown.slice(1), '');
  }
  if (only) return;
  writeFileSync(
    join(root, 'BENCHMARKS.md'),
    [
      '# Benchmarks',
      '',
      'Produced by `npm run bench` (bench/run.mjs) in one run on the machine below; rerun it to refresh this file.',
      'Kawa runs as `kawa up` (host and runner in one process) on loopback. For no-Docker tasks, latency is measured from the moment the',
      'client sends the submit to the `startedAt` of the task, which the host stamps when the runner reports it running; each latency task is submitted after the previous',
      'one ended.',
      '',
      `Machine: ${machine()}. Docker Engine from Debian's docker.io. Run: ${date}.`,
      '',
      ...sections,
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

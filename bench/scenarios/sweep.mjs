// Scenario 3: a sweep of 200 tasks that each sleep 0.5 s, at most 2 at a time. Kawa's makespan
// against the ideal (200 × 0.5 s / 2 = 50 s) and a Slurm job array `--array=1-200%2` (with the
// HTC guide settings, the faster of the two Slurm configurations in scenario 1), in the same run.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, startKawa } from '../lib/kawa.mjs';
import { slurmAvailable, startSlurm } from '../lib/slurm.mjs';
import { barChart } from '../lib/svg.mjs';

const SLEEP_S = 0.5;
const WIDTH = 2;
const wallNow = () => performance.timeOrigin + performance.now();
/** Each task sleeps, then writes when it ended into DIR/<its index>. */
const body = (dir, index) => `sleep ${SLEEP_S}; date +%s%N > ${dir}/${index}`;

/** Waits (bounded) until `count` files are in `dir`; the makespan runs to the last end written. */
async function makespan(dir, count, submittedAt, limitMs) {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline && readdirSync(dir).length < count)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const names = readdirSync(dir);
  await new Promise((resolve) => setTimeout(resolve, 20)); // let the last `date` finish its write
  const ends = names.map((name) => Number(readFileSync(join(dir, name), 'utf8').trim()) / 1e6);
  return { ended: names.length, seconds: (Math.max(...ends) - submittedAt) / 1000 };
}

async function kawaSweep(dir, count) {
  const kawa = await startKawa();
  try {
    const t0 = wallNow();
    await kawa.api('POST', '/tasks', {
      command: ['sh', '-c', body(dir, '$1'), 'sweep', `span:{1..${count}}`],
      container: 'NULL',
      sweep: true,
      maxParallel: WIDTH,
    });
    return await makespan(dir, count, t0, 600_000);
  } finally {
    await kawa.stop();
  }
}

async function slurmArray(dir, count) {
  const slurm = await startSlurm({ tuned: true });
  try {
    const t0 = wallNow();
    await slurm.sbatch(body(dir, '$SLURM_ARRAY_TASK_ID'), [`--array=1-${count}%${WIDTH}`]);
    return await makespan(dir, count, t0, Number(process.env.BENCH_SLURM_LIMIT_S ?? 240) * 1000);
  } finally {
    await slurm.stop();
  }
}

async function inDir(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'kawa-bench-sweep-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function sweep() {
  const count = Number(process.env.BENCH_SWEEP_TASKS ?? 200);
  const ideal = (count * SLEEP_S) / WIDTH;
  const kawa = await inDir((dir) => kawaSweep(dir, count));
  let slurm = null;
  let slurmError = slurmAvailable() ? null : 'slurmctld, slurmd, munged or sbatch is not installed';
  if (slurmError === null && process.env.BENCH_SKIP_SLURM !== '1') {
    try {
      slurm = await inDir((dir) => slurmArray(dir, count));
    } catch (error) {
      slurmError = `Slurm failed: ${String(error?.message ?? error).split('\n')[0]}`;
    }
  }

  const row = (name, result, how) =>
    `| ${name} | ${fmt(result.seconds, 2)}${result.ended < count ? ` (only ${result.ended} of ${count} ended in the time limit)` : ''} | ${fmt(result.seconds / ideal, 3)}× | +${fmt(((result.seconds - ideal) * 1000) / (count / WIDTH), 0)} ms | ${how} |`;
  const markdown = [
    `A sweep: ${count} tasks of \`sleep ${SLEEP_S}\`, at most ${WIDTH} at a time`,
    '',
    '| system | makespan (s) | ÷ ideal | overhead per task slot | how |',
    '|---|---|---|---|---|',
    `| ideal | ${fmt(ideal, 2)} | 1.000× | – | ${count} × ${SLEEP_S} s ÷ ${WIDTH} |`,
    row(
      'Kawa',
      kawa,
      `one \`kawa task submit --container NULL --max-parallel ${WIDTH} -- … span:{1..200}\` (API: sweep, maxParallel ${WIDTH})`,
    ),
    ...(slurm ? [row('Slurm, HTC guide settings', slurm, `\`sbatch --array=1-${count}%${WIDTH}\``)] : []),
    '',
    `Makespan is from the submit to the last task's end, which every task writes itself (\`sleep ${SLEEP_S}; date +%s%N > FILE\`). ` +
      '"Overhead per task slot" is (makespan − ideal) ÷ the tasks each of the 2 slots runs in turn. ' +
      (slurm
        ? `Kawa ÷ Slurm makespan: ${fmt(kawa.seconds / slurm.seconds, 3)}.`
        : `Slurm was not measured: ${slurmError ?? 'BENCH_SKIP_SLURM=1'}.`),
  ];
  const bars = [
    { name: 'ideal', value: ideal },
    { name: 'Kawa', value: kawa.seconds },
    ...(slurm ? [{ name: 'Slurm array %2 (HTC)', value: slurm.seconds }] : []),
  ];
  return {
    name: 'sweep',
    json: { count, sleepSeconds: SLEEP_S, width: WIDTH, ideal, kawa, slurm },
    markdown,
    charts: [
      {
        file: 'sweep-makespan.svg',
        alt: 'Sweep makespan: Kawa, Slurm array and the ideal',
        svg: barChart({ title: `Sweep of ${count} × sleep ${SLEEP_S} s, ${WIDTH} wide: makespan`, unit: 's', bars }),
      },
    ],
    targets: [],
  };
}

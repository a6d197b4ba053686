// Starts a throwaway one-node Slurm cluster on loopback for a benchmark: its own munge key and
// socket, slurmctld and slurmd on 127.0.0.1 ports, every state, spool and log file under a temp
// dir. Two configurations: Slurm's defaults, and the high-throughput settings of Slurm's "High
// Throughput Computing Administration Guide" (https://slurm.schedmd.com/high_throughput.html).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

const PORTS = 4; // slurmd's port plus the slurmctld port range of the tuned config

/** Whether slurmctld, slurmd, munged and sbatch are on this machine. */
export function slurmAvailable() {
  return ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged', '/usr/bin/sbatch'].every((path) =>
    existsSync(path),
  );
}

export function slurmVersion() {
  const result = spawnSync('/usr/sbin/slurmctld', ['-V'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : 'not installed';
}

const free = (port) =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A base port with PORTS free ports from it on 127.0.0.1. Bounded: 50 tries. */
async function freePorts() {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    let ok = true;
    for (let port = base; port < base + PORTS && ok; port += 1) ok = await free(port);
    if (ok) return base;
  }
  throw new Error('no free ports for slurmctld and slurmd on 127.0.0.1');
}

/**
 * What the tuned configuration sets, each from the guide's "Slurm Configuration" and "Munge
 * configuration" sections. The SchedulerParameters are the guide's own "set of scheduling
 * parameters currently used for running hundreds of jobs per second" with two changes that the
 * guide's text allows and that made this one-node workload faster when we tried them: no
 * `sched_min_interval=2000000` (it halved the throughput: 1.0 against 2.0 jobs/s) and
 * `batch_sched_delay=0` instead of 20 (with 20, fewer than 0.2 jobs/s). `defer` made no difference.
 * SCHED_VARIANTS_TRIED says so in BENCHMARKS.md.
 */
export const SCHED_VARIANTS_TRIED =
  "the guide's set as written (`batch_sched_delay=20`, `sched_min_interval=2000000`) started fewer than 0.2 jobs/s here; without `sched_min_interval` but with `batch_sched_delay=0` about 2 jobs/s; adding `defer` changed nothing";
export const TUNED_SETTINGS = [
  'munged --num-threads 10',
  'SchedulerType=sched/builtin',
  'SchedulerParameters=batch_sched_delay=0,bf_continue,bf_interval=300,bf_min_age_reserve=10800,bf_resolution=600,bf_yield_interval=1000000,partition_job_depth=500,sched_max_job_start=200',
  'PriorityType=priority/basic',
  'JobAcctGatherType=jobacct_gather/none',
  'JobCompType=jobcomp/none',
  'AccountingStorageType=accounting_storage/none',
  'MaxJobCount=100000',
  'MinJobAge=2',
  'MessageTimeout=30',
  'SlurmctldDebug=error',
  'SlurmdDebug=error',
  'SlurmctldPort=<4 ports>',
];

/** BENCH_SLURM_SCHED overrides the tuned SchedulerParameters (to try variants of the guide's set). */
function tunedSettings() {
  const override = process.env.BENCH_SLURM_SCHED;
  return override === undefined
    ? TUNED_SETTINGS
    : TUNED_SETTINGS.map((line) =>
        line.startsWith('SchedulerParameters=') ? `SchedulerParameters=${override}` : line,
      );
}

function slurmConf(dir, port, tuned) {
  const cores = cpus().length;
  const common = [
    'ClusterName=kawabench',
    'SlurmctldHost=localhost(127.0.0.1)',
    `SlurmdPort=${port}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${join(dir, 'munge.socket')}`,
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
    `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
    // What one loopback node needs in both configurations: jobs of one core share the node (as
    // Kawa's 1-core tasks do) instead of select/linear's whole-node allocation; process groups
    // instead of cgroups (the bench sets up no cgroup hierarchy for Slurm); no MPI plugin.
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'ProctrackType=proctrack/pgid',
    'TaskPlugin=task/none',
    'MpiDefault=none',
    'ReturnToService=2',
    `NodeName=localhost NodeAddr=127.0.0.1 CPUs=${cores} State=UNKNOWN`,
    'PartitionName=bench Nodes=localhost Default=YES MaxTime=INFINITE State=UP',
  ];
  const own = tuned
    ? [
        `SlurmctldPort=${port + 1}-${port + PORTS - 1}`,
        ...tunedSettings().filter((line) => /^[A-Z]\w+=/.test(line) && !line.startsWith('SlurmctldPort')),
      ]
    : [`SlurmctldPort=${port + 1}`];
  return [...common, ...own].join('\n') + '\n';
}

function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Starts munged, slurmctld and slurmd; resolves once the node is idle. `env` is what sbatch and
 * squeue need (SLURM_CONF). `stop()` ends all three (also when the start failed half-way).
 */
export async function startSlurm({ tuned }) {
  const dir = mkdtempSync(join(tmpdir(), `kawa-bench-slurm-${tuned ? 'tuned' : 'default'}-`));
  chmodSync(dir, 0o755); // munged wants every directory above its socket searchable by all
  for (const sub of ['state', 'spool', 'jobs']) mkdirSync(join(dir, sub));
  const key = join(dir, 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const port = await freePorts();
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, slurmConf(dir, port, tuned));
  const env = { ...process.env, SLURM_CONF: conf };
  const children = [];
  const daemon = (command, args) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.on('data', (chunk) => (log = (log + chunk.toString()).slice(-4000)));
    child.log = () => log;
    children.push(child);
    return child;
  };
  const stop = async () => {
    // Cancel what is left and let the node finish it (bounded), so no job step outlives slurmd.
    if (children.length === 3) {
      spawnSync('scancel', ['--full', '--partition', 'bench'], { env, timeout: 10_000 });
      await until(() => squeue(env, 10_000).length === 0, 30_000, '').catch(() => undefined);
    }
    // slurmd first, then the controller, then munge.
    for (const child of [...children].reverse()) {
      child.kill('SIGTERM');
      await waitExit(child, 10_000);
    }
    // A step daemon that could not report its job's end stays behind: end those of this cluster.
    for (const pid of stepDaemons(conf)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    daemon('/usr/sbin/munged', [
      '--foreground',
      `--key-file=${key}`,
      `--socket=${join(dir, 'munge.socket')}`,
      `--pid-file=${join(dir, 'munged.pid')}`,
      `--log-file=${join(dir, 'munged.log')}`,
      `--seed-file=${join(dir, 'munged.seed')}`,
      `--num-threads=${tuned ? 10 : 2}`,
    ]);
    const munged = children[0];
    await until(
      () => {
        if (munged.exitCode !== null) throw new Error(`munged exited: ${munged.log()}`);
        return existsSync(join(dir, 'munge.socket'));
      },
      10_000,
      'munged did not create its socket',
    );
    const controller = daemon('/usr/sbin/slurmctld', ['-D', '-i', '-f', conf]);
    const node = daemon('/usr/sbin/slurmd', ['-D', '-N', 'localhost', '-f', conf]);
    await until(
      () => {
        for (const child of [controller, node])
          if (child.exitCode !== null) throw new Error(`a Slurm daemon exited: ${child.log()}`);
        const state = spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' });
        return state.status === 0 && state.stdout.trim() === 'idle';
      },
      60_000,
      'the Slurm node did not become idle in 60 s',
    );
  } catch (error) {
    await stop();
    throw error;
  }
  /** Submits a batch job running `script` (sh) with one core; resolves with its job id. */
  const sbatch = (script, extra = []) =>
    new Promise((resolve, reject) => {
      const child = spawn(
        'sbatch',
        ['--parsable', '-Q', '-n', '1', '-c', '1', '-o', '/dev/null', '-e', '/dev/null', ...extra, '--wrap', script],
        { env, cwd: join(dir, 'jobs'), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk.toString()));
      child.stderr.on('data', (chunk) => (out += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`sbatch: ${out}`))));
    });
  const jobsLeft = () => squeue(env, 10_000).length;
  return { dir, env, sbatch, jobsLeft, stop, settings: tuned ? tunedSettings() : ['(none: Slurm defaults)'] };
}

/** Job ids in the queue (pending, running, completing). */
function squeue(env, timeout) {
  const result = spawnSync('squeue', ['-h', '-o', '%i'], { env, encoding: 'utf8', timeout });
  if (result.status !== 0) throw new Error(`squeue: ${result.stderr}`);
  return result.stdout.split('\n').filter(Boolean);
}

/** slurmstepd processes started for the cluster whose slurm.conf is `conf` (from their environment). */
function stepDaemons(conf) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').startsWith('slurmstepd')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`SLURM_CONF=${conf}`))
        pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Polls `check` every 5 ms until it holds; throws `message` after `ms`. */
export async function until(check, ms, message) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(message);
}

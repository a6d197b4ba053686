// Scenario 6: SSH into a VPS through the host (ssh's ProxyCommand `kawa ssh --stdio`, the host's
// stream relay and the runner's reverse stream) against direct `ssh -p` to the port the runner
// publishes on loopback, measured in the same run: session setup time, and scp throughput.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, root, startKawa, summary } from '../lib/kawa.mjs';

const IMAGE = 'kawa-test/vps:latest';
const KAWA = join(root, 'packages/kawa/dist/main.js');
const SESSIONS = Number(process.env.BENCH_SSH_SESSIONS ?? 20);
const COPY_MB = Number(process.env.BENCH_SSH_MB ?? 200);
const COPY_ROUNDS = Number(process.env.BENCH_SSH_ROUNDS ?? 3);

/** Runs a program to its end with `env`; resolves with its wall time in ms. Bounded by `timeoutMs`. */
function timedRun(command, args, env, timeoutMs = 300_000) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(performance.now() - t);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}: ${stderr}`));
    });
  });
}

/** A file of `megabytes` random (incompressible) bytes, written in 1 MiB blocks. */
function randomFile(path, megabytes) {
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < megabytes * 1e6; written += 1 << 20)
      writeSync(fd, randomBytes(Math.min(1 << 20, megabytes * 1e6 - written)));
  } finally {
    closeSync(fd);
  }
}

async function runningVps(kawa, publicKey, deadline) {
  const created = await kawa.api('POST', '/vps', { image: IMAGE, publicKey });
  for (let i = 0; i < 600 && Date.now() < deadline; i += 1) {
    const task = await kawa.api('GET', `/tasks/${created.id}`);
    if (task.status === 'running') return task;
    if (task.status !== 'pending' && task.status !== 'assigned' && task.status !== 'syncing')
      throw new Error(`VPS ${task.id} did not start: ${task.status} ${task.reason}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`VPS ${created.id} did not run within 120 s`);
}

/** The host port of the VPS's sshd (published on 127.0.0.1 by the runner). */
async function publishedPort(id) {
  let text = '';
  const child = spawn('docker', ['port', `kawa-vps-${id}`, '22/tcp']);
  child.stdout.on('data', (chunk) => (text += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  const match = /^127\.0\.0\.1:(\d+)$/m.exec(text);
  if (!match) throw new Error(`kawa-vps-${id} publishes no port on 127.0.0.1: ${text}`);
  return match[1];
}

export async function sshBench({ deadline }) {
  const kawa = await startKawa();
  let vps;
  try {
    const key = join(kawa.home, 'bench-key');
    await timedRun('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key], process.env);
    vps = await runningVps(kawa, readFileSync(`${key}.pub`, 'utf8').trim(), Math.min(deadline, Date.now() + 120_000));
    const port = await publishedPort(vps.id);
    // The proxy reads the cluster's config and token from $HOME, as a user's does.
    const env = { HOME: kawa.home, PATH: process.env.PATH, LANG: 'C.UTF-8' };
    // No user config, no connection sharing; both ways keep host keys in one file of their own.
    const common = ['-F', '/dev/null', '-i', key, '-o', 'BatchMode=yes', '-o', 'ControlMaster=no'];
    const known = [
      '-o',
      `UserKnownHostsFile=${join(kawa.home, 'bench-known-hosts')}`,
      '-o',
      'StrictHostKeyChecking=accept-new',
    ];
    const kawaWay = [
      ...common,
      ...known,
      '-o',
      `ProxyCommand=env NODE_CHANNEL_FD=1 ${process.execPath} ${KAWA} ssh --fdpass ${vps.id}`,
      '-o',
      'ProxyUseFdpass=yes',
    ];
    const kawaWayHost = `root@kawa-${vps.id}`;
    const directWay = [...common, ...known];
    const direct = () => timedRun('ssh', [...directWay, '-p', port, 'root@127.0.0.1', 'true'], env);
    const proxied = () => timedRun('ssh', [...kawaWay, kawaWayHost, 'true'], env);
    const cli = () =>
      timedRun(process.execPath, [KAWA, 'ssh', String(vps.id), '-i', key, '-o', 'BatchMode=yes', 'true'], env);

    // Warm up: the first connections accept host keys and fill the page cache.
    for (let i = 0; i < 3; i += 1) for (const run of [proxied, direct, cli]) await run();
    const proxiedMs = [];
    const directMs = [];
    const cliMs = [];
    for (let i = 0; i < SESSIONS && Date.now() < deadline; i += 1) {
      proxiedMs.push(await proxied());
      directMs.push(await direct());
      cliMs.push(await cli());
    }

    const file = join(kawa.home, 'bench-payload');
    randomFile(file, COPY_MB);
    // Into the container's /dev/null: the path is measured, not the container's disk.
    const copyProxied = () => timedRun('scp', [...kawaWay, file, `${kawaWayHost}:/dev/null`], env);
    const copyDirect = () => timedRun('scp', [...directWay, '-P', port, file, 'root@127.0.0.1:/dev/null'], env);
    await copyProxied();
    await copyDirect();
    const proxiedRates = [];
    const directRates = [];
    for (let i = 0; i < COPY_ROUNDS && Date.now() < deadline; i += 1) {
      proxiedRates.push(COPY_MB / ((await copyProxied()) / 1000));
      directRates.push(COPY_MB / ((await copyDirect()) / 1000));
    }
    rmSync(file, { force: true });

    const setup = { kawa: summary(proxiedMs), direct: summary(directMs), cli: summary(cliMs) };
    const rate = { kawa: summary(proxiedRates).p50, direct: summary(directRates).p50 };
    const markdown = [
      `SSH into a VPS (${IMAGE}) through the host against direct \`ssh -p\` to its loopback port`,
      '',
      '| measure | through Kawa | direct `ssh -p` | ratio | target |',
      '|---|---|---|---|---|',
      `| session setup p50, \`ssh … true\` (ms) | ${fmt(setup.kawa.p50, 0)} | ${fmt(setup.direct.p50, 0)} | +${fmt(setup.kawa.p50 - setup.direct.p50, 0)} ms | |`,
      `| session setup p99 (ms) | ${fmt(setup.kawa.p99, 0)} | ${fmt(setup.direct.p99, 0)} | | |`,
      `| \`kawa ssh ID true\` p50 (ms) | ${fmt(setup.cli.p50, 0)} | | | |`,
      `| scp of ${COPY_MB} MB (MB/s, median of ${proxiedRates.length}) | ${fmt(rate.kawa, 0)} | ${fmt(rate.direct, 0)} | ${fmt(rate.kawa / rate.direct, 2)}× | ≥ 0.8× |`,
      '',
      'Through Kawa is OpenSSH with `ProxyUseFdpass yes` and `ProxyCommand env NODE_CHANNEL_FD=1 node kawa ssh --fdpass ID` ' +
        '(what `ssh kawa-ID` runs after `kawa ssh config --write` for an http host): the proxy opens the authenticated `kawa-ssh` upgrade ' +
        "on the host, hands ssh the socket and exits; the host pipes it to sshd at the container's address, which the runner in the same " +
        'process (`kawa up`) connected and handed over. ' +
        `Direct is the same ssh and key to the port published on 127.0.0.1 (docker-proxy). ${setup.kawa.n} sessions each, alternated; \`kawa ssh\` adds the CLI's own start and its task check. ` +
        `scp copies ${COPY_MB} MB of random bytes to /dev/null in the VPS, alternated, after one warm-up copy each way.`,
    ];
    return {
      name: 'ssh',
      json: { sessions: setup, scp: { megabytes: COPY_MB, megabytesPerSecond: rate, ratio: rate.kawa / rate.direct } },
      markdown,
    };
  } finally {
    if (vps) await kawa.api('POST', `/tasks/${vps.id}/kill`, {}).catch(() => undefined);
    await kawa.stop();
  }
}

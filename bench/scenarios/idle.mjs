// Scenario 6: idle footprint. `kawa host` and `kawa runner` as separate processes (the runner
// connected to the host, no tasks), each sampled from /proc over the same 60 s: RSS and CPU.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fmt, root } from '../lib/kawa.mjs';
import { mb, memory, sampleProcess } from '../lib/proc.mjs';
import { startHost } from './fleet.mjs';

const KAWA = join(root, 'packages/kawa/dist/main.js');

function startRunner(host) {
  const child = spawn(
    process.execPath,
    [
      KAWA,
      'runner',
      '--name',
      'bench-idle',
      '--host-url',
      host.url,
      '--join-token-file',
      join(host.home, '.kawa/host/join-token'),
      '--state-dir',
      join(host.home, '.kawa/runner'),
      '--log-level',
      'warn',
    ],
    { env: { HOME: host.home, PATH: process.env.PATH, LANG: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (chunk) => (log = (log + chunk.toString()).slice(-8000)));
  const connected = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kawa runner did not connect in 60 s:\n${log}`)), 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (/^Kawa runner \S+ connected/.test(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`kawa runner exited with ${code}:\n${log}`)));
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  };
  return { pid: child.pid, connected, stop };
}

export async function idleFootprint() {
  const seconds = Number(process.env.BENCH_IDLE_S ?? 60);
  const host = await startHost();
  const runner = startRunner(host);
  try {
    await runner.connected;
    await new Promise((resolve) => setTimeout(resolve, 10_000)); // settle after start-up
    const [hostSample, runnerSample] = await Promise.all([
      sampleProcess(host.pid, seconds * 1000),
      sampleProcess(runner.pid, seconds * 1000),
    ]);
    const hostPeak = memory(host.pid).peak;
    const runnerPeak = memory(runner.pid).peak;
    const markdown = [
      `Idle footprint: \`kawa host\` and \`kawa runner\` as separate processes, sampled over ${seconds} s`,
      '',
      '| process | RSS (MB) | peak RSS since start (MB) | CPU over the window (% of one core) | CPU time (ms) | target |',
      '|---|---|---|---|---|---|',
      `| kawa host (1 runner connected, no tasks) | ${fmt(mb(hostSample.rss), 1)} | ${fmt(mb(hostPeak), 1)} | ${fmt(hostSample.cpuPercent, 2)} | ${fmt(hostSample.cpuMs, 0)} | ≤ 120 MB |`,
      `| kawa runner (connected, no tasks) | ${fmt(mb(runnerSample.rss), 1)} | ${fmt(mb(runnerPeak), 1)} | ${fmt(runnerSample.cpuPercent, 2)} | ${fmt(runnerSample.cpuMs, 0)} | ≤ 60 MB |`,
      '',
      `Both started from packages/kawa/dist/main.js with Node ${process.version}, log level warn, 10 s after the runner connected. RSS is VmRSS at the end of the window; CPU is user + system time from /proc/<pid>/stat.`,
    ];
    return {
      name: 'idle',
      json: { seconds, host: { ...hostSample, peak: hostPeak }, runner: { ...runnerSample, peak: runnerPeak } },
      markdown,
      targets: [
        {
          scenario: '6',
          what: 'host ≤ 120 MB RSS idle',
          figure: `${fmt(mb(hostSample.rss), 1)} MB`,
          met: mb(hostSample.rss) <= 120,
        },
        {
          scenario: '6',
          what: 'runner ≤ 60 MB RSS idle',
          figure: `${fmt(mb(runnerSample.rss), 1)} MB`,
          met: mb(runnerSample.rss) <= 60,
        },
      ],
    };
  } finally {
    await runner.stop();
    await host.stop();
  }
}

// Scenario 1: trivial no-Docker tasks. Submit→start latency and end-to-end throughput, against
// raw fork/exec measured in the same run.
import { spawn } from 'node:child_process';
import { fmt, startKawa, summary, wide } from '../lib/kawa.mjs';

const trivialTask = { command: ['true'], container: 'NULL' };

/** Submit one task at a time and wait for it to end: submit→start latency on an idle cluster. */
async function kawaLatency(api, count, deadline) {
  const latencies = [];
  for (let i = 0; i < count && Date.now() < deadline; i += 1) {
    const sentAt = Date.now();
    const { taskIds } = await api('POST', '/tasks', trivialTask);
    const task = await api('GET', `/tasks/${taskIds[0]}/wait?timeoutMs=30000`);
    if (task.status !== 'completed') throw new Error(`task ${task.id} ended ${task.status}: ${task.reason}`);
    latencies.push(task.startedAt - sentAt);
  }
  return summary(latencies);
}

/** Submit `count` tasks as fast as 8 concurrent clients can, until all have ended. */
async function kawaThroughput(api, count, deadline) {
  const finalQuery = '/tasks?status=completed,failed,oom,killed,lost&limit=1';
  const before = (await api('GET', finalQuery)).total;
  const t0 = performance.now();
  const submitSeconds = await wide(count, 8, () => api('POST', '/tasks', trivialTask));
  for (let i = 0; i < 100_000 && Date.now() < deadline; i += 1) {
    if ((await api('GET', finalQuery)).total - before >= count) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - t0) / 1000;
  const failed = (await api('GET', '/tasks?status=failed,oom,killed,lost&limit=1')).total;
  return { tasks: count, seconds, perSecond: count / seconds, submitSeconds, failed };
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
  const seconds = await wide(count, 2, spawnTrue);
  return { latency: summary(latencies), perSecond: count / seconds };
}

export async function trivialNoDocker({ tasks, deadline }) {
  const kawa = await startKawa();
  try {
    await kawaLatency(kawa.api, 20, deadline); // warm-up
    const latency = await kawaLatency(kawa.api, tasks, deadline);
    const throughput = await kawaThroughput(kawa.api, tasks, deadline);
    const raw = await rawForkExec(tasks);
    const markdown = [
      `Trivial no-Docker tasks (\`true\`, --container NULL, 1 core each), ${tasks} tasks`,
      '',
      '| measure | Kawa | raw fork/exec | target |',
      '|---|---|---|---|',
      `| submit→start p50 (ms) | ${fmt(latency.p50, 0)} | ${fmt(raw.latency.p50, 2)} (spawn→exit) | ≤ 15 |`,
      `| submit→start p99 (ms) | ${fmt(latency.p99, 0)} | ${fmt(raw.latency.p99, 2)} (spawn→exit) | |`,
      `| end-to-end throughput (tasks/s) | ${fmt(throughput.perSecond)} | ${fmt(raw.perSecond)} (2 wide) | ≥ 200 |`,
      `| Kawa / raw throughput | ${fmt(throughput.perSecond / raw.perSecond, 2)} | | |`,
      '',
      `Throughput run: ${tasks} tasks submitted by 8 concurrent clients in ${fmt(throughput.submitSeconds, 2)} s, all ended after ${fmt(throughput.seconds, 2)} s; ${throughput.failed} did not complete.`,
    ];
    return { name: 'trivial-no-docker', json: { tasks, kawa: { latency, throughput }, raw }, markdown };
  } finally {
    await kawa.stop();
  }
}

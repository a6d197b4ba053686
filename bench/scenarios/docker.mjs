// Scenario 2: trivial Docker tasks against raw `docker run --rm` of the same image, measured in
// the same run: end-to-end latency one at a time, and throughput 4 wide.
import { fmt, startKawa, summary, timed, wide } from '../lib/kawa.mjs';

const IMAGE = 'kawa-test/busybox:latest';
const ENV = 'bench-trivial';

/** One task: submit, long-poll until it ends; resolves with the client-side wall time in ms. */
async function kawaRun(api) {
  const t = performance.now();
  const { taskIds } = await api('POST', '/tasks', { command: ['true'], container: ENV, cores: 0.5 });
  const task = await api('GET', `/tasks/${taskIds[0]}/wait?timeoutMs=60000`);
  if (task.status !== 'completed') throw new Error(`task ${task.id} ended ${task.status}: ${task.reason}`);
  return { ms: performance.now() - t, task, sentAt: Date.now() - (performance.now() - t) };
}

// The same container Kawa runs: default bridge network (Kawa tasks have one unless
// --private-network) and the 0.5-core limit the Kawa tasks below ask for.
const rawRun = () => timed('docker', ['run', '--rm', '--cpus', '0.5', IMAGE, 'true']);

export async function trivialDocker({ dockerTasks, deadline }) {
  const kawa = await startKawa();
  try {
    await kawa.api('POST', '/docker/containers', { image: IMAGE, name: ENV });
    await kawa.stream(`/docker/tarballs/${ENV}`);
    await kawa.api('DELETE', `/docker/containers/${ENV}`);
    for (let i = 0; i < 3; i += 1) {
      await kawaRun(kawa.api);
      await rawRun();
    }
    // Alternate Kawa and raw runs so both see the same machine state.
    const kawaMs = [];
    const startMs = [];
    const rawMs = [];
    for (let i = 0; i < dockerTasks && Date.now() < deadline; i += 1) {
      const sentAt = Date.now();
      const run = await kawaRun(kawa.api);
      kawaMs.push(run.ms);
      startMs.push(run.task.startedAt - sentAt);
      rawMs.push(await rawRun());
    }
    const kawaLatency = summary(kawaMs);
    const rawLatency = summary(rawMs);
    const kawaSeconds = await wide(dockerTasks, 4, () => kawaRun(kawa.api));
    const rawSeconds = await wide(dockerTasks, 4, rawRun);
    const kawaRate = dockerTasks / kawaSeconds;
    const rawRate = dockerTasks / rawSeconds;
    const added = kawaLatency.p50 - rawLatency.p50;
    const markdown = [
      `Trivial Docker tasks (\`true\` in env ${ENV}, built from ${IMAGE}), ${dockerTasks} tasks per measure`,
      '',
      '| measure | Kawa | raw `docker run --rm` | ratio | target |',
      '|---|---|---|---|---|',
      `| end-to-end p50, one at a time (ms) | ${fmt(kawaLatency.p50, 0)} | ${fmt(rawLatency.p50, 0)} | ${added >= 0 ? '+' : '−'}${fmt(Math.abs(added), 0)} ms | ≤ +30 ms |`,
      `| end-to-end p99, one at a time (ms) | ${fmt(kawaLatency.p99, 0)} | ${fmt(rawLatency.p99, 0)} | | |`,
      `| throughput, 4 wide (tasks/s) | ${fmt(kawaRate, 2)} | ${fmt(rawRate, 2)} | ${fmt(kawaRate / rawRate, 2)}× | ≥ 0.9× |`,
      '',
      `Kawa end to end is the client's submit until its long-poll returns the final state. Submit→start p50 ${fmt(summary(startMs).p50, 0)} ms. ` +
        'Raw is the docker CLI run to its exit (it waits for the removal) with the same image, command, network and 0.5-core limit. Kawa tasks ask for 0.5 cores each, so 4 fit the 2-core node at once, as the 4 raw runs do.',
    ];
    return {
      name: 'trivial-docker',
      json: {
        tasks: dockerTasks,
        kawa: { latency: kawaLatency, perSecond: kawaRate },
        raw: { latency: rawLatency, perSecond: rawRate },
      },
      markdown,
      targets: [
        {
          scenario: '2',
          what: 'Docker throughput ≥ 0.9× raw docker',
          figure: `${fmt(kawaRate / rawRate, 2)}×`,
          met: kawaRate / rawRate >= 0.9,
        },
      ],
    };
  } finally {
    await kawa.api('DELETE', `/docker/tarballs/${ENV}`).catch(() => undefined);
    await kawa.stop();
  }
}

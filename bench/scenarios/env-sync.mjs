// Scenario 4: distributing a ~1 GB env. Time for a cold node to sync it before a task starts,
// against raw `docker load` of the same tarball, measured in the same run.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, median, startKawa, timed } from '../lib/kawa.mjs';

const IMAGE = 'kawa-test/busybox:latest';
const ENV = 'bench-big';
const TAG = `kawa/${ENV}:base`;

export async function envSync({ envMegabytes, rounds, deadline }) {
  const kawa = await startKawa();
  try {
    await kawa.api('POST', '/docker/containers', { image: IMAGE, name: ENV });
    await timed('docker', [
      'exec',
      `kawa-env-${ENV}`,
      'dd',
      'if=/dev/urandom',
      'of=/payload',
      'bs=1M',
      `count=${envMegabytes}`,
    ]);
    const packed = await kawa.stream(`/docker/tarballs/${ENV}`);
    await kawa.api('DELETE', `/docker/containers/${ENV}`);
    const dir = join(kawa.home, '.kawa/shared/containers', ENV);
    const tarball = join(
      dir,
      readdirSync(dir).find((name) => /^\d+\.tar$/.test(name)),
    );
    const bytes = statSync(tarball).size;

    const kawaMs = [];
    const rawMs = [];
    const loadMs = [];
    // Each load writes the whole image to disk; `sync` before every measurement so neither side
    // pays for the other's writeback, and the order alternates between rounds.
    // A user without Kawa loads the tarball and then runs the task: Kawa's figure includes the
    // task's container start, so the anchor includes one `docker run` too.
    const measureRaw = async () => {
      await timed('docker', ['rmi', '-f', TAG]);
      await timed('sync', []);
      const load = await timed('docker', ['load', '-q', '-i', tarball]);
      const run = await timed('docker', ['run', '--rm', '--network', 'none', TAG, 'true']);
      rawMs.push(load + run);
      loadMs.push(load);
    };
    const measureKawa = async () => {
      await timed('docker', ['rmi', '-f', TAG]);
      await timed('sync', []);
      const sentAt = Date.now();
      const { taskIds } = await kawa.api('POST', '/tasks', { command: ['true'], container: ENV });
      const task = await kawa.api('GET', `/tasks/${taskIds[0]}/wait?timeoutMs=300000`);
      if (task.status !== 'completed') throw new Error(`task ${task.id} ended ${task.status}: ${task.reason}`);
      kawaMs.push(task.startedAt - sentAt);
    };
    for (let round = 0; round < rounds && Date.now() < deadline; round += 1) {
      if (round % 2 === 0) {
        await measureRaw();
        await measureKawa();
      } else {
        await measureKawa();
        await measureRaw();
      }
    }
    const kawaMedian = median(kawaMs);
    const rawMedian = median(rawMs);
    const loadMedian = median(loadMs);
    const markdown = [
      `Env distribution: a ${fmt(bytes / 1e9, 2)} GB env tarball (${packed.tarball.version}.tar), ${kawaMs.length} rounds`,
      '',
      '| measure | Kawa | raw | ratio | target |',
      '|---|---|---|---|---|',
      `| cold node to a running task, median (s) | ${fmt(kawaMedian / 1000, 2)} | ${fmt(rawMedian / 1000, 2)} (\`docker load\` + \`docker run --rm\`) | ${fmt(kawaMedian / rawMedian, 2)}× | ≤ 1.1× |`,
      `| the same against the load alone (s) | ${fmt(kawaMedian / 1000, 2)} | ${fmt(loadMedian / 1000, 2)} (\`docker load\`) | ${fmt(kawaMedian / loadMedian, 2)}× | |`,
      '',
      'Kawa is submit→start of a `true` task on a node without the image: the runner finds the newest tarball, loads it (single-flight) and starts the task. ' +
        'Raw is `docker load -i` of the same file followed by `docker run --rm` of the loaded image. ' +
        'The image is removed and the disk synced before each measurement, and the order alternates. All rounds: ' +
        `Kawa ${kawaMs.map((ms) => fmt(ms / 1000, 2)).join(', ')} s; raw load + run ${rawMs.map((ms) => fmt(ms / 1000, 2)).join(', ')} s; load alone ${loadMs.map((ms) => fmt(ms / 1000, 2)).join(', ')} s.`,
    ];
    const ratio = kawaMedian / rawMedian;
    return {
      name: 'env-sync',
      json: { bytes, kawaMs, rawMs, loadMs },
      markdown,
      targets: [
        {
          scenario: '4',
          what: 'env distribution ≤ 1.1× raw docker load (+ run)',
          figure: `${fmt(ratio, 2)}×`,
          met: ratio <= 1.1,
        },
      ],
    };
  } finally {
    await kawa.api('DELETE', `/docker/tarballs/${ENV}`).catch(() => undefined);
    await timed('docker', ['rmi', '-f', TAG]).catch(() => undefined);
    await kawa.stop();
  }
}

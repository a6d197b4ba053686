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
    for (let round = 0; round < rounds && Date.now() < deadline; round += 1) {
      await timed('docker', ['rmi', '-f', TAG]);
      rawMs.push(await timed('docker', ['load', '-q', '-i', tarball]));
      await timed('docker', ['rmi', '-f', TAG]);
      const sentAt = Date.now();
      const { taskIds } = await kawa.api('POST', '/tasks', { command: ['true'], container: ENV });
      const task = await kawa.api('GET', `/tasks/${taskIds[0]}/wait?timeoutMs=600000`);
      if (task.status !== 'completed') throw new Error(`task ${task.id} ended ${task.status}: ${task.reason}`);
      kawaMs.push(task.startedAt - sentAt);
    }
    const kawaMedian = median(kawaMs);
    const rawMedian = median(rawMs);
    const markdown = [
      `Env distribution: a ${fmt(bytes / 1e9, 2)} GB env tarball (${packed.tarball.version}.tar), ${kawaMs.length} rounds`,
      '',
      '| measure | Kawa | raw `docker load` | ratio | target |',
      '|---|---|---|---|---|',
      `| cold sync, median (s) | ${fmt(kawaMedian / 1000, 2)} | ${fmt(rawMedian / 1000, 2)} | ${fmt(kawaMedian / rawMedian, 2)}× | ≤ 1.1× |`,
      '',
      'Kawa is submit→start of a `true` task on a node without the image: the runner finds the newest tarball and loads it (single-flight) before the task runs. ' +
        'Raw is `docker load -i` of the same file. The image is removed before each measurement. All rounds: ' +
        `Kawa ${kawaMs.map((ms) => fmt(ms / 1000, 2)).join(', ')} s; raw ${rawMs.map((ms) => fmt(ms / 1000, 2)).join(', ')} s.`,
    ];
    return { name: 'env-sync', json: { bytes, kawaMs, rawMs }, markdown };
  } finally {
    await kawa.api('DELETE', `/docker/tarballs/${ENV}`).catch(() => undefined);
    await timed('docker', ['rmi', '-f', TAG]).catch(() => undefined);
    await kawa.stop();
  }
}

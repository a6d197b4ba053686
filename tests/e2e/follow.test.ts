import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from './support/cluster.js';
import { getTask, submit, waitForStatus } from './support/tasks.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('log follow', () => {
  it('receives lines while the task runs and ends when it exits', async () => {
    const { taskIds } = await submit(cluster, [
      '--container',
      'NULL',
      '--',
      'sh',
      '-c',
      'for i in 1 2 3 4 5 6; do echo line$i; sleep 0.5; done',
    ]);
    const id = taskIds[0]!;
    await waitForStatus(cluster, id, ['running']);

    const follower = cluster.spawnKawa(['task', 'logs', '-f', String(id)]);
    let received = '';
    const statusAtFirstLine = new Promise<string>((resolve) => {
      follower.stdout!.on('data', (chunk: Buffer) => {
        const first = received === '';
        received += chunk.toString();
        if (first) void getTask(cluster, id).then((task) => resolve(task.status));
      });
    });
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`follow did not end; got ${received}`)), 30_000);
      follower.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });

    expect(await statusAtFirstLine).toBe('running');
    expect(exitCode).toBe(0);
    expect(received).toBe(['line1', 'line2', 'line3', 'line4', 'line5', 'line6', ''].join('\n'));
    expect((await getTask(cluster, id)).status).toBe('completed');
  });
});

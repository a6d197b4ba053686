import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startCluster, type Cluster } from './support/cluster.js';
import { taskCpuSeconds } from './support/cgroup.js';
import { submit, waitForStatus } from './support/tasks.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('resource limits of no-Docker tasks', () => {
  it('ends a 50M task that allocates 200 MB as oom', async () => {
    // tail keeps the last lines of input with no newline in it: it must hold all 200 MB.
    const { taskIds } = await submit(cluster, [
      '--container',
      'NULL',
      '-m',
      '50M',
      '--',
      'sh',
      '-c',
      'head -c 200000000 /dev/zero | tail',
    ]);
    const task = await waitForStatus(cluster, taskIds[0]!, ['oom', 'failed', 'completed', 'killed']);
    expect(task.status).toBe('oom');
  });

  it('holds a -c 0.5 busy loop near half a core', async () => {
    const { taskIds } = await submit(cluster, [
      '--container',
      'NULL',
      '-c',
      '0.5',
      '--',
      'sh',
      '-c',
      'while :; do :; done',
    ]);
    const id = taskIds[0]!;
    await waitForStatus(cluster, id, ['running']);
    const before = taskCpuSeconds(cluster.node, id);
    const startedAt = performance.now();
    await sleep(3000);
    const used = taskCpuSeconds(cluster.node, id) - before;
    const elapsed = (performance.now() - startedAt) / 1000;
    await cluster.kawa(['task', 'kill', String(id)]);
    // Generous bounds: the quota is 50%; the loop must have run, and must not exceed ~55%.
    expect(used / elapsed).toBeGreaterThan(0.2);
    expect(used / elapsed).toBeLessThanOrEqual(0.58);
  });
});

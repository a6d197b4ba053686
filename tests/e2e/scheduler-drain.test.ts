import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node, Task } from '@kawa/protocol';
import { startCluster, type Cluster } from './support/cluster.js';
import { waitForOnlineNodes } from './support/nodes.js';
import { getTask, submit, waitForStatus } from './support/tasks.js';

let cluster: Cluster;
let drained: string;
let other: string;
beforeAll(async () => {
  // Unique names: clusters run side by side and a task's cgroup path holds its node's name.
  const suffix = randomBytes(3).toString('hex');
  drained = `drain-a-${suffix}`;
  other = `drain-b-${suffix}`;
  cluster = await startCluster({ runnerName: drained });
  cluster.addRunner(other);
  await waitForOnlineNodes(cluster, 2);
});
afterAll(async () => {
  await cluster?.stop();
});

const ended: Task['status'][] = ['completed', 'failed', 'killed', 'lost', 'oom'];

async function nodeList(): Promise<Node[]> {
  const listed = await cluster.kawa(['node', 'list', '--json']);
  expect(listed.code, listed.stderr).toBe(0);
  return (JSON.parse(listed.stdout) as { nodes: Node[] }).nodes;
}

describe('draining a node', () => {
  it('stops new placements on it while the other node keeps working; its running task finishes', async () => {
    const running = (
      await submit(cluster, ['--container', 'NULL', '-t', drained, '--', 'sh', '-c', 'sleep 3; echo finished'])
    ).taskIds[0]!;
    await waitForStatus(cluster, running, ['running']);

    const drain = await cluster.kawa(['node', 'drain', drained]);
    expect(drain.code, drain.stderr).toBe(0);
    expect(drain.stdout).toContain(`node ${drained} drained: it takes no new tasks`);
    expect((await nodeList()).find((node) => node.name === drained)?.drained).toBe(true);
    const table = await cluster.kawa(['node', 'list']);
    expect(table.stdout).toMatch(new RegExp(`${drained}\\s+online \\(drained\\)`));

    // Untargeted work goes to the other node only, and completes there.
    const { taskIds } = await submit(cluster, ['--container', 'NULL', '-c', '0.2', '--', 'echo', 'span:{1..6}']);
    expect(taskIds).toHaveLength(6);
    for (const id of taskIds) {
      const task = await waitForStatus(cluster, id, ended);
      expect([task.id, task.status, task.node]).toEqual([id, 'completed', other]);
    }
    // A task that names the drained node waits, and says why.
    const targeted = (await submit(cluster, ['--container', 'NULL', '-t', drained, '--', 'echo', 'back'])).taskIds[0]!;
    const waiting = await getTask(cluster, targeted);
    expect(waiting.status).toBe('pending');
    expect(waiting.reason).toMatch(new RegExp(`${drained} is drained`));

    // The task that was running when the node was drained finishes there.
    const finished = await waitForStatus(cluster, running, ended);
    expect([finished.status, finished.node]).toEqual(['completed', drained]);
    expect((await cluster.kawa(['task', 'logs', String(running)])).stdout).toBe('finished\n');

    const undrain = await cluster.kawa(['node', 'undrain', drained]);
    expect(undrain.code, undrain.stderr).toBe(0);
    expect((await nodeList()).find((node) => node.name === drained)?.drained).toBe(false);
    // Placements on it come back: the waiting task runs, and untargeted work spreads to it again.
    expect(await waitForStatus(cluster, targeted, ended)).toMatchObject({ status: 'completed', node: drained });
    const cores = (await nodeList()).reduce((sum, node) => sum + node.cores, 0);
    const spread = await submit(cluster, [
      '--container',
      'NULL',
      '-c',
      '1',
      '--',
      'sleep',
      `span:[${Array.from({ length: cores }, () => '2').join(',')}]`,
    ]);
    const placed: Task[] = [];
    for (const id of spread.taskIds) placed.push(await waitForStatus(cluster, id, ended, 60_000));
    expect(placed.every((task) => task.status === 'completed')).toBe(true);
    expect(placed.some((task) => task.node === drained)).toBe(true);
  });
});

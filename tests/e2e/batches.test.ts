import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node, Task } from '@kawa/protocol';
import { eventually, startCluster, type Cluster } from './support/cluster.js';
import { getTask, submit, waitForStatus } from './support/tasks.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster({ runnerName: 'node-a' });
  cluster.addRunner('node-b');
  await eventually(
    async () => {
      const { body } = await cluster.api<{ nodes: Node[] }>('GET', '/api/v1/nodes');
      return body.nodes.filter((node) => node.status === 'online').length === 2;
    },
    30_000,
    'two online nodes',
  );
});
afterAll(async () => {
  await cluster?.stop();
});

describe('a submit with two targets', () => {
  it('makes one task per target in one batch, each on its own node', async () => {
    const nodes = JSON.parse((await cluster.kawa(['node', 'list', '--json'])).stdout) as { nodes: Node[] };
    expect(nodes.nodes.map((node) => node.name).sort()).toEqual(['node-a', 'node-b']);

    const { batchId, taskIds } = await submit(cluster, [
      '--container',
      'NULL',
      '-t',
      'node-a',
      '-t',
      'node-b',
      '--',
      'sh',
      '-c',
      'echo ran',
    ]);
    expect(taskIds).toHaveLength(2);

    const finished: Task[] = [];
    for (const id of taskIds) finished.push(await waitForStatus(cluster, id, ['completed', 'failed']));
    expect(finished.map((task) => [task.status, task.batchId, task.node])).toEqual([
      ['completed', batchId, 'node-a'],
      ['completed', batchId, 'node-b'],
    ]);

    const listed = JSON.parse((await cluster.kawa(['task', 'list', '--batch', String(batchId), '--json'])).stdout) as {
      tasks: Task[];
    };
    expect(listed.tasks.map((task) => task.id).sort()).toEqual([...taskIds].sort());
    for (const id of taskIds) expect((await cluster.kawa(['task', 'logs', String(id)])).stdout).toBe('ran\n');
  });

  it('keeps a task for an unknown node pending with a reason', async () => {
    const { taskIds } = await submit(cluster, ['--container', 'NULL', '-t', 'node-zz', '--', 'true']);
    const task = await getTask(cluster, taskIds[0]!);
    expect(task.status).toBe('pending');
    expect(task.reason).toMatch(/node-zz/);
    const status = await cluster.kawa(['task', 'status', String(task.id)]);
    expect(status.stdout).toMatch(/node-zz/);
    expect((await cluster.kawa(['task', 'kill', String(task.id)])).code).toBe(0);
    expect((await getTask(cluster, task.id)).status).toBe('killed');
  });
});

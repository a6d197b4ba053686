import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ListTasksResponse, Node, Task, TaskEvent } from '@kawa/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/cluster.js';
import { startSplitCluster, type SplitCluster } from './support/split-cluster.js';
import { getTask, submit, waitForStatus } from './support/tasks.js';

/** Heartbeats every 0.5 s; a node silent for 3 s is offline. */
const HEARTBEAT_ENV = { KAWA_HOST_HEARTBEAT_INTERVAL: '0.5', KAWA_HOST_HEARTBEAT_GRACE: '3' };

const nodeStatus = async (cluster: SplitCluster, name: string): Promise<Node['status'] | undefined> => {
  const { body } = await cluster.api<{ nodes: Node[] }>('GET', '/api/v1/nodes');
  return body.nodes.find((node) => node.name === name)?.status;
};

const eventsOf = async (cluster: SplitCluster, id: number): Promise<TaskEvent[]> =>
  (await cluster.api<{ events: TaskEvent[] }>('GET', `/api/v1/tasks/${id}/events`)).body.events;

/** The task's second attempt (a requeue after lost), once it exists. */
const retryOf = (cluster: SplitCluster, task: Task): Promise<Task> =>
  eventually(
    async () => {
      const { body } = await cluster.api<ListTasksResponse>('GET', `/api/v1/tasks?batch=${task.batchId}`);
      return body.tasks.find((candidate) => candidate.attempt === 2);
    },
    20_000,
    `the retry of task ${task.id}`,
  );

describe('partition: a runner cut off past the heartbeat grace', () => {
  let cluster: SplitCluster;
  beforeAll(async () => {
    cluster = await startSplitCluster({ runners: ['cut'], env: HEARTBEAT_ENV });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('marks its tasks lost, runs the --retry ones on the other runner, and reconciles them when it is back', async () => {
    const cut = cluster.node;
    const flag = join(cluster.home, '.kawa/shared/data/flag');
    // Bounded wait for the flag: at most 1200 × 0.1 s.
    const command = [
      'sh',
      '-c',
      `echo attempt; i=0; while [ ! -f ${flag} ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done; echo done`,
    ];
    // Placed on the cut runner: it is the only node yet.
    const ids: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      ids.push(
        ...(await submit(cluster, ['--container', 'NULL', '--cores', '0.1', '--retry', '1', '--', ...command])).taskIds,
      );
    }
    const [plain] = (await submit(cluster, ['--container', 'NULL', '--cores', '0.1', '--', ...command])).taskIds as [
      number,
    ];
    for (const id of [...ids, plain])
      expect(await waitForStatus(cluster, id, ['running'], 30_000)).toMatchObject({ node: cut });
    const other = `${cut}-other`;
    await cluster.startRunner(other);

    // The cut: the runner process stops, and its link with it (no frame, no heartbeat).
    const runner = cluster.runners.get(cut)!;
    runner.kill('SIGSTOP');
    try {
      await eventually(async () => (await nodeStatus(cluster, cut)) === 'offline', 30_000, `${cut} to go offline`);
      for (const id of [...ids, plain]) await waitForStatus(cluster, id, ['lost'], 30_000);
      const originals = await Promise.all(ids.map((id) => getTask(cluster, id)));
      const retries = await Promise.all(originals.map((task) => retryOf(cluster, task)));
      for (const retry of retries)
        expect(await waitForStatus(cluster, retry.id, ['running'], 30_000)).toMatchObject({ node: other });
    } finally {
      runner.kill('SIGCONT');
    }

    // Back: the --retry tasks still alive there are killed (their retry runs elsewhere); the
    // plain one is alive and comes back to running. Both are recorded in the task's history.
    await eventually(async () => (await nodeStatus(cluster, cut)) === 'online', 30_000, `${cut} to come back`);
    for (const id of ids) {
      await eventually(
        async () =>
          (await eventsOf(cluster, id)).find((event) => event.message?.includes('came back with the task still alive')),
        30_000,
        `task ${id}'s reconcile event`,
      );
    }
    expect(await waitForStatus(cluster, plain, ['running'], 30_000)).toMatchObject({ node: cut });
    await writeFile(flag, '');

    const originals = await Promise.all(ids.map((id) => getTask(cluster, id)));
    const retries = await Promise.all(originals.map((task) => retryOf(cluster, task)));
    let completedElsewhere = 0;
    for (const retry of retries) {
      const final = await waitForStatus(cluster, retry.id, ['completed', 'failed', 'lost', 'killed'], 30_000);
      expect(final).toMatchObject({ status: 'completed', exitCode: 0, node: other });
      completedElsewhere += 1;
    }
    const revived = await waitForStatus(cluster, plain, ['completed', 'failed', 'lost', 'killed'], 30_000);
    expect(revived).toMatchObject({ status: 'completed', exitCode: 0, node: cut });
    expect((await eventsOf(cluster, plain)).map((event) => event.message)).toContain(
      `node ${cut} came back with the task still alive`,
    );

    const logOf = (id: number): Promise<string> =>
      readFile(join(cluster.home, '.kawa/shared/logs', String(id), 'stdout.log'), 'utf8');
    let killedOnReturn = 0;
    for (const task of originals) {
      // Killed before the flag: the work ran to the end once, in its retry.
      expect(task.status).toBe('lost');
      expect(await logOf(task.id)).toBe('attempt\n');
      const events = await eventsOf(cluster, task.id);
      expect(events.at(-1)?.message).toMatch(
        /came back with the task still alive; killed there, since task \d+ retries it/,
      );
      killedOnReturn += 1;
    }
    for (const retry of retries) expect(await logOf(retry.id)).toBe('attempt\ndone\n');
    console.log(
      `partition: ${ids.length + 1} tasks on the cut runner, ${ids.length + 1} lost; ${completedElsewhere}/${ids.length} with --retry 1 ` +
        `requeued and completed on the other runner; ${killedOnReturn} still-alive originals killed on return (recorded); ` +
        `1 without retry revived and completed`,
    );
  }, 240_000);
});

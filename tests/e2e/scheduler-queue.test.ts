import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node, SubmitTaskResponse, Task } from '@kawa/protocol';
import { eventually, startCluster, type Cluster } from './support/cluster.js';
import { getTask, submit, waitForStatus } from './support/tasks.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

/** Submits one one-core no-Docker `sleep` through the API: quick, so the queue forms in submit order. */
async function submitSleep(seconds: number): Promise<number> {
  const { status, body } = await cluster.api<SubmitTaskResponse>('POST', '/api/v1/tasks', {
    command: ['sleep', String(seconds)],
    container: 'NULL',
    cores: 1,
  });
  if (status !== 201) throw new Error(`submit answered ${status}: ${JSON.stringify(body)}`);
  return body.taskIds[0]!;
}

const holding = new Set<Task['status']>(['assigned', 'syncing', 'running']);

describe('the queue on a node with N cores', () => {
  it('runs N one-core tasks, queues the rest with reasons, runs them in order, and a priority-10 task next', async () => {
    // The runner reports this machine's cores (2 on the test machines): fill them, then queue 4 more.
    const nodes = JSON.parse((await cluster.kawa(['node', 'list', '--json'])).stdout) as { nodes: Node[] };
    const cores = nodes.nodes.find((node) => node.name === cluster.node)?.cores ?? 0;
    expect(cores).toBeGreaterThanOrEqual(1);

    // The first blocker ends first, alone, so exactly one core frees up then: the priority task
    // must take it. The waiters' lengths keep every later start a second or more apart.
    const blockers = [await submitSleep(4)];
    for (let index = 1; index < cores; index += 1) blockers.push(await submitSleep(6));
    const waiters: number[] = [];
    for (const seconds of [2, 4, 2, 2]) waiters.push(await submitSleep(seconds));

    const queued = await eventually(
      async () => {
        const tasks = await Promise.all([...blockers, ...waiters].map((id) => getTask(cluster, id)));
        const running = tasks.filter((task) => holding.has(task.status));
        return running.length === cores ? tasks : null;
      },
      10_000,
      `${cores} tasks holding the node's cores`,
    );
    expect(queued.filter((task) => blockers.includes(task.id)).every((task) => holding.has(task.status))).toBe(true);
    for (const task of queued.filter((candidate) => waiters.includes(candidate.id))) {
      expect(task.status).toBe('pending');
      expect(task.reason).toMatch(new RegExp(`^waiting .*${cluster.node}`));
    }

    // Submitted last, while the others wait.
    const urgent = (await submit(cluster, ['--container', 'NULL', '-c', '1', '--priority', '10', '--', 'sleep', '3']))
      .taskIds[0]!;

    const list = await cluster.kawa(['task', 'list']);
    expect(list.code, list.stderr).toBe(0);
    const rows = list.stdout.split('\n');
    const rowOf = (id: number): string | undefined => rows.find((row) => row.trimStart().startsWith(`${id} `));
    expect(rows[0]).toMatch(/^ID\s+BATCH\s+STATUS\s+PRI\s+/);
    expect(rowOf(urgent)).toMatch(new RegExp(`^\\s*${urgent}\\s+\\d+\\s+[a-z]+\\s+10\\s+`));
    for (const id of waiters) expect(rowOf(id)).toMatch(/pending\s+0\s+.*waiting/);
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(100);
    const status = await cluster.kawa(['task', 'status', String(waiters[0])]);
    expect(status.stdout).toMatch(/\n {2}status\s+pending\n/);
    expect(status.stdout).toMatch(new RegExp(`\\n {2}reason\\s+.*${cluster.node}`));
    expect(status.stdout).toMatch(/\n {2}priority\s+0\n/);

    const ended: Task[] = [];
    for (const id of [...blockers, ...waiters, urgent])
      ended.push(await waitForStatus(cluster, id, ['completed', 'failed', 'killed', 'lost'], 60_000));
    for (const task of ended) expect([task.id, task.status]).toEqual([task.id, 'completed']);
    const started = new Map(ended.map((task) => [task.id, task.startedAt ?? Number.NaN]));
    const startOf = (id: number): number => started.get(id) ?? Number.NaN;

    // The priority task took the first core that freed up: before every task waiting before it.
    for (const id of waiters) expect(startOf(urgent)).toBeLessThan(startOf(id));
    const firstEnd = ended.find((task) => task.id === blockers[0])?.endedAt ?? Number.NaN;
    expect(startOf(urgent)).toBeGreaterThanOrEqual(firstEnd - 50);
    // The six ran in submit order.
    const six = [...blockers, ...waiters];
    for (let index = 1; index < six.length; index += 1)
      expect(startOf(six[index]!)).toBeGreaterThanOrEqual(startOf(six[index - 1]!));
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import { sleep, startCluster, type Cluster } from './support/cluster.js';
import { collectOutput, exitOf } from './support/process.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

const SCRIPT = 'echo "$0 $1"; sleep 1';
const holding = new Set<Task['status']>(['assigned', 'syncing', 'running']);

/** The most tasks whose [startedAt, endedAt) intervals overlap at one moment. */
function maxOverlap(tasks: readonly Task[]): number {
  const edges = tasks.flatMap((task) => [
    { at: task.startedAt ?? 0, step: 1 },
    { at: task.endedAt ?? 0, step: -1 },
  ]);
  // An end and a start at the same millisecond do not overlap: ends first.
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let now = 0;
  let most = 0;
  for (const edge of edges) {
    now += edge.step;
    most = Math.max(most, now);
  }
  return most;
}

describe('a sweep of 12 with --max-parallel 3', () => {
  it('never holds more than 3 at once though more would fit, and runs all 12 with the right argv', async () => {
    // 0.1 core each: without the throttle all 12 would fit on the node at once.
    const waiter = cluster.spawnKawa([
      'task',
      'submit',
      '--wait',
      '--json',
      '--container',
      'NULL',
      '-c',
      '0.1',
      '--max-parallel',
      '3',
      '--',
      'sh',
      '-c',
      SCRIPT,
      'span:[a,b,c]',
      'span:{1..4}',
    ]);
    const output = collectOutput(waiter);
    const exited = exitOf(waiter, 90_000, 'kawa task submit --wait');

    // Sample the batch through the CLI while it runs (bounded: 60 samples, or until --wait returns).
    let batch: number | undefined;
    let mostSampled = 0;
    let samples = 0;
    let done = false;
    void exited.then(
      () => (done = true),
      () => (done = true),
    );
    for (let round = 0; round < 60 && !done; round += 1) {
      const listed = await cluster.kawa(['task', 'list', '--json', '--limit', '100']);
      const tasks = (JSON.parse(listed.stdout) as { tasks: Task[] }).tasks;
      batch ??= tasks[0]?.batchId;
      const held = tasks.filter((task) => task.batchId === batch && holding.has(task.status)).length;
      mostSampled = Math.max(mostSampled, held);
      if (tasks.length > 0) samples += 1;
      await sleep(100);
    }
    expect(await exited, output.stderr()).toBe(0);
    expect(samples).toBeGreaterThan(3);
    expect(mostSampled).toBeLessThanOrEqual(3);

    const answer = JSON.parse(output.stdout()) as { batchId: number; taskIds: number[]; tasks: Task[] };
    expect(answer.taskIds).toHaveLength(12);
    const tasks = [...answer.tasks].sort((a, b) => a.id - b.id);
    expect(tasks.map((task) => task.status)).toEqual(Array(12).fill('completed'));
    expect(tasks.every((task) => task.batchId === answer.batchId && task.maxParallel === 3)).toBe(true);
    // Exactly 3 at a time: the throttle held, and it was what held the batch back.
    expect(maxOverlap(tasks)).toBe(3);

    // The Cartesian product in sweep order (the first span varies slowest), and each log says it.
    const expected = ['a', 'b', 'c'].flatMap((letter) => [1, 2, 3, 4].map((number) => [letter, String(number)]));
    expect(tasks.map((task) => task.command)).toEqual(expected.map((pair) => ['sh', '-c', SCRIPT, ...pair]));
    for (const task of tasks) {
      const log = await cluster.kawa(['task', 'logs', String(task.id)]);
      expect(log.stdout).toBe(`${task.command.slice(3).join(' ')}\n`);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import { startCluster, type Cluster } from './support/cluster.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('a task run to completion', () => {
  it('exits with the task exit code, keeps both logs, and records failed', async () => {
    const run = await cluster.kawa([
      'task',
      'submit',
      '--container',
      'NULL',
      '--wait',
      '--',
      'sh',
      '-c',
      'echo out; echo err >&2; exit 3',
    ]);
    expect(run.code, run.stderr).toBe(3);

    const listed = await cluster.kawa(['task', 'list', '--json']);
    const tasks = (JSON.parse(listed.stdout) as { tasks: Task[] }).tasks;
    expect(tasks).toHaveLength(1);
    const id = tasks[0]!.id;

    const stdout = await cluster.kawa(['task', 'logs', String(id)]);
    expect(stdout.stdout).toBe('out\n');
    const stderr = await cluster.kawa(['task', 'logs', String(id), '--stderr']);
    expect(stderr.stdout).toBe('err\n');

    const status = await cluster.kawa(['task', 'status', String(id), '--json']);
    const task = JSON.parse(status.stdout) as Task;
    expect(task).toMatchObject({ status: 'failed', exitCode: 3, node: cluster.node, container: null });
    expect(task.startedAt).not.toBeNull();
    expect(task.endedAt).not.toBeNull();
  });

  it('exits 0 and records completed for a task that succeeds, with the KAWA_* env set', async () => {
    const run = await cluster.kawa([
      'task',
      'submit',
      '--container',
      'NULL',
      '--wait',
      '--json',
      '--',
      'sh',
      '-c',
      'echo "$KAWA_TASK_ID $KAWA_BATCH_ID"',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const listed = JSON.parse((await cluster.kawa(['task', 'list', '--json', '--status', 'completed'])).stdout) as {
      tasks: Task[];
    };
    const task = listed.tasks[0]!;
    const logs = await cluster.kawa(['task', 'logs', String(task.id)]);
    expect(logs.stdout).toBe(`${task.id} ${task.batchId}\n`);
  });

  it('serves the last lines and byte ranges of a log', async () => {
    const run = await cluster.kawa([
      'task',
      'submit',
      '--container',
      'NULL',
      '--wait',
      '--json',
      '--',
      'seq',
      '1',
      '100',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const id = (JSON.parse(run.stdout) as { taskIds: number[] }).taskIds[0]!;
    expect((await cluster.kawa(['task', 'logs', String(id), '--tail', '2'])).stdout).toBe('99\n100\n');
    expect((await cluster.kawa(['task', 'logs', String(id), '--offset', '4', '--length', '4'])).stdout).toBe('3\n4\n');
    const beyond = await cluster.kawa(['task', 'logs', String(id), '--offset', '100000']);
    expect(beyond.code).toBe(1);
    expect(beyond.stderr).toMatch(/KAWA_ERR_BAD_RANGE/);
  });

  it('refuses bad input with a coded error and a usage exit code, and submits nothing', async () => {
    const before = JSON.parse((await cluster.kawa(['task', 'list', '--json'])).stdout) as { total: number };
    for (const args of [
      ['-t', 'node:x'],
      ['-m', '12Q'],
      ['-c', '-1'],
    ]) {
      const run = await cluster.kawa(['task', 'submit', '--container', 'NULL', ...args, '--', 'true']);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/KAWA_ERR_BAD_(TARGET|MEMORY|CORES)/);
    }
    const empty = await cluster.kawa(['task', 'submit', '--container', 'NULL', '--']);
    expect(empty.code).not.toBe(0);
    const missing = await cluster.kawa(['task', 'status', '999999']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/KAWA_ERR_TASK_NOT_FOUND/);
    const after = JSON.parse((await cluster.kawa(['task', 'list', '--json'])).stdout) as { total: number };
    expect(after.total).toBe(before.total);
  });
});

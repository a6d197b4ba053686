import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node, Task } from '@kawa/protocol';
import { startCluster, type Cluster } from './support/cluster.js';
import { taskContainer, TEST_IMAGE, waitForContainerGone } from './support/docker.js';
import { getTask, submit, waitForStatus } from './support/tasks.js';

/** What a Docker task sees inside its container, and how it ends. */
describe('docker tasks: inside the container', () => {
  let cluster: Cluster;
  let allowed: string;

  beforeAll(async () => {
    allowed = mkdtempSync(join(tmpdir(), 'kawa-e2e-mount-'));
    writeFileSync(join(allowed, 'input.txt'), 'from the host\n');
    cluster = await startCluster({ env: { KAWA_HOST_MOUNT_ALLOW_LIST: allowed } });
  });
  afterAll(async () => {
    await cluster.stop();
    rmSync(allowed, { recursive: true, force: true });
  });

  async function runToEnd(args: string[]): Promise<{ task: Task; stdout: string; stderr: string }> {
    const { taskIds } = await submit(cluster, ['--image', TEST_IMAGE, ...args]);
    const id = taskIds[0] as number;
    await cluster.kawa(['task', 'wait', String(id)], { timeoutMs: 60_000 });
    const task = await getTask(cluster, id);
    const stdout = (await cluster.kawa(['task', 'logs', String(id)])).stdout;
    const stderr = (await cluster.kawa(['task', 'logs', '--stderr', String(id)])).stdout;
    return { task, stdout, stderr };
  }

  it('passes an argv with spaces, quotes and $(...) verbatim, never through a shell', async () => {
    const args = ['a b', '"double"', "it's", '$(id -u)', '`id`', '*', '; echo injected'];
    const { task, stdout } = await runToEnd(['--', 'printf', '[%s]\\n', ...args]);
    expect(task.status).toBe('completed');
    expect(stdout).toBe(args.map((arg) => `[${arg}]\n`).join(''));
  });

  it('ends a task over its memory limit as oom', async () => {
    const { task } = await runToEnd(['-m', '20M', '--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1']);
    expect(task.status).toBe('oom');
  });

  it('gives the task its env, KAWA_* variables, /shared, /local_temp and an allow-listed mount', async () => {
    const script = [
      'echo "user=$GREETING id=$KAWA_TASK_ID batch=$KAWA_BATCH_ID shared=$KAWA_SHARED_DIR temp=$KAWA_LOCAL_TEMP_DIR"',
      'cat /in/input.txt',
      'echo written > /shared/from-task.txt',
      'touch /local_temp/ok && echo temp-writable',
      'touch /in/denied 2>/dev/null || echo mount-read-only',
    ].join('; ');
    const { task, stdout } = await runToEnd([
      '-e',
      'GREETING=hi there',
      '--mount',
      `${allowed}:/in:ro`,
      '--',
      'sh',
      '-c',
      script,
    ]);
    expect(task.status).toBe('completed');
    expect(task.mounts).toEqual([{ source: allowed, target: '/in', readOnly: true }]);
    expect(stdout).toBe(
      `user=hi there id=${task.id} batch=${task.batchId} shared=/shared temp=/local_temp\n` +
        'from the host\ntemp-writable\nmount-read-only\n',
    );
  });

  it('applies --cores and the NUMA target as NanoCpus and cpuset, and labels the container', async () => {
    const nodes = await cluster.api<{ nodes: Node[] }>('GET', '/api/v1/nodes');
    const zone = nodes.body.nodes[0]?.numa[0];
    expect(zone).toBeDefined();
    const { taskIds } = await submit(cluster, [
      '--image',
      TEST_IMAGE,
      '-c',
      '0.5',
      '-t',
      `${cluster.node}:${zone!.id}`,
      '--',
      'sleep',
      '300',
    ]);
    const id = taskIds[0] as number;
    await waitForStatus(cluster, id, ['running']);
    const info = await taskContainer(id).inspect();
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info.HostConfig.CpusetMems).toBe(String(zone!.id));
    const cpus = info.HostConfig.CpusetCpus ?? '';
    expect(expandCpuList(cpus)).toEqual(zone!.cpus);
    expect(info.Config.Labels).toMatchObject({ 'kawa.task-id': String(id) });
    expect((await cluster.kawa(['task', 'kill', String(id)])).code).toBe(0);
    await waitForStatus(cluster, id, ['killed']);
    await waitForContainerGone(id);
  });
});

/** "0-3,8" → [0,1,2,3,8]. */
function expandCpuList(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [from, to] = part.split('-').map(Number);
    if (to === undefined) return [from as number];
    return Array.from({ length: to - (from as number) + 1 }, (_, index) => (from as number) + index);
  });
}

describe('docker tasks: control', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('pauses and resumes a running task through the engine, and kills a paused one', async () => {
    const { taskIds } = await submit(cluster, ['--image', TEST_IMAGE, '--', 'sleep', '300']);
    const id = taskIds[0] as number;
    await waitForStatus(cluster, id, ['running']);
    expect((await cluster.kawa(['task', 'pause', String(id)])).code).toBe(0);
    expect((await getTask(cluster, id)).status).toBe('paused');
    expect((await taskContainer(id).inspect()).State.Paused).toBe(true);
    expect((await cluster.kawa(['task', 'resume', String(id)])).code).toBe(0);
    expect((await taskContainer(id).inspect()).State.Paused).toBe(false);
    expect((await getTask(cluster, id)).status).toBe('running');
    expect((await cluster.kawa(['task', 'pause', String(id)])).code).toBe(0);
    expect((await cluster.kawa(['task', 'kill', String(id)])).code).toBe(0);
    const task = await waitForStatus(cluster, id, ['killed']);
    expect(task.exitCode).toBeNull();
    await waitForContainerGone(id);
  });

  it('kills a running task', async () => {
    const { taskIds } = await submit(cluster, ['--image', TEST_IMAGE, '--', 'sleep', '300']);
    const id = taskIds[0] as number;
    await waitForStatus(cluster, id, ['running']);
    expect((await cluster.kawa(['task', 'kill', String(id)])).code).toBe(0);
    expect((await waitForStatus(cluster, id, ['killed'])).status).toBe('killed');
  });

  it('keeps stdout and stderr after the container is gone, and reports the exit code', async () => {
    const { taskIds } = await submit(cluster, [
      '--image',
      TEST_IMAGE,
      '--',
      'sh',
      '-c',
      'echo out; echo err >&2; exit 7',
    ]);
    const id = taskIds[0] as number;
    const task = await waitForStatus(cluster, id, ['failed']);
    expect(task.exitCode).toBe(7);
    expect((await cluster.kawa(['task', 'logs', String(id)])).stdout).toBe('out\n');
    expect((await cluster.kawa(['task', 'logs', '--stderr', String(id)])).stdout).toBe('err\n');
    // Removed just after the final report, which does not wait for it.
    await waitForContainerGone(id);
  });

  it('fails a command the image does not have with a clear, coded reason', async () => {
    const { taskIds } = await submit(cluster, ['--image', TEST_IMAGE, '--', 'no-such-program-here']);
    const task = await waitForStatus(cluster, taskIds[0] as number, ['failed']);
    expect(task.reason).toMatch(/no-such-program-here/);
  });
});

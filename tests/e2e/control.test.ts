import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sleep, startCluster, type Cluster } from './support/cluster.js';
import { submit, waitForStatus } from './support/tasks.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

const counterScript = 'i=0; while :; do i=$((i+1)); echo $i > counter; sleep 0.05; done';
const readCounter = (dir: string): number => Number(readFileSync(join(dir, 'counter'), 'utf8').trim() || '0');

describe('task control', () => {
  it('kills a running task', async () => {
    const { taskIds } = await submit(cluster, ['--container', 'NULL', '--', 'sleep', '300']);
    const id = taskIds[0]!;
    await waitForStatus(cluster, id, ['running']);
    const kill = await cluster.kawa(['task', 'kill', String(id)]);
    expect(kill.code, kill.stderr).toBe(0);
    expect((await waitForStatus(cluster, id, ['killed', 'failed', 'completed'])).status).toBe('killed');
  });

  it('pause stops the task advancing, resume starts it again, and a paused task can be killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kawa-counter-'));
    const { taskIds } = await submit(cluster, ['--container', 'NULL', '-w', dir, '--', 'sh', '-c', counterScript]);
    const id = taskIds[0]!;
    await waitForStatus(cluster, id, ['running']);
    await eventually(() => Promise.resolve(readCounter(dir) > 2), 10_000, 'the counter to grow');

    expect((await cluster.kawa(['task', 'pause', String(id)])).code).toBe(0);
    expect((await waitForStatus(cluster, id, ['paused'])).status).toBe('paused');
    const frozen = readCounter(dir);
    await sleep(1000);
    expect(readCounter(dir)).toBe(frozen);

    expect((await cluster.kawa(['task', 'resume', String(id)])).code).toBe(0);
    await waitForStatus(cluster, id, ['running']);
    await eventually(() => Promise.resolve(readCounter(dir) > frozen + 2), 10_000, 'the counter to grow again');

    expect((await cluster.kawa(['task', 'pause', String(id)])).code).toBe(0);
    expect((await cluster.kawa(['task', 'kill', String(id)])).code).toBe(0);
    expect((await waitForStatus(cluster, id, ['killed', 'failed', 'completed'])).status).toBe('killed');
  });

  it('refuses to pause a finished task', async () => {
    const { taskIds } = await submit(cluster, ['--container', 'NULL', '--', 'true']);
    await waitForStatus(cluster, taskIds[0]!, ['completed']);
    const pause = await cluster.kawa(['task', 'pause', String(taskIds[0])]);
    expect(pause.code).toBe(1);
    expect(pause.stderr).toMatch(/KAWA_ERR_INVALID_STATE/);
  });
});

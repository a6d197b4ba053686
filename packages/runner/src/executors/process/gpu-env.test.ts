import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTarget } from '@kawa/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { startExecutorHarness, taskSpec, type ExecutorHarness } from '../../testing/executor-harness.js';
import { createNoCgroupDriver } from './cgroups/no-cgroup.js';
import { buildTaskEnv } from './task-env.js';

// No-Docker GPU tasks see their GPUs through CUDA_VISIBLE_DEVICES (DESIGN.md, "In every
// task"): host indices, since nothing renumbers them as a Docker device request does.

let harness: ExecutorHarness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

/** The GPUs of a target on the recorded 8-GPU node. */
const gpusOf = (target: string): number[] => parseTarget(target)?.gpus ?? [];

/** Runs `script` as a limit-free no-Docker task and gives its stdout. */
async function runScript(id: number, script: string, overrides: Parameters<typeof taskSpec>[2]): Promise<string> {
  // Without limits a task needs no cgroup, so this runs as any user.
  harness ??= await startExecutorHarness({ cgroups: createNoCgroupDriver('unit test') });
  harness.executor.start(taskSpec(id, ['sh', '-c', script], overrides));
  expect(await harness.event(id, ['completed', 'failed'])).toMatchObject({ status: 'completed' });
  return readFile(join(harness.sharedDir, 'logs', String(id), 'stdout.log'), 'utf8');
}

describe('CUDA_VISIBLE_DEVICES of no-Docker tasks', () => {
  it('is 1,5 for a task on node::1,5, seen by a real process', async () => {
    expect(await runScript(1, 'echo $CUDA_VISIBLE_DEVICES', { gpus: gpusOf('gpu-node::1,5') })).toBe('1,5\n');
  });

  it('is Kawa’s, not a wider one the user put in the env', async () => {
    const spec = { gpus: gpusOf('gpu-node::1,5'), env: { CUDA_VISIBLE_DEVICES: '0,1,2,3,4,5,6,7' } };
    const dirs = { sharedDir: '/s', localTempDir: '/t' };
    expect(buildTaskEnv(taskSpec(2, ['true'], spec), { PATH: '/bin' }, dirs).CUDA_VISIBLE_DEVICES).toBe('1,5');
    expect(await runScript(2, 'echo $CUDA_VISIBLE_DEVICES', spec)).toBe('1,5\n');
  });

  it('keeps the order of the target and is unset for tasks without GPUs', async () => {
    expect(await runScript(3, 'echo $CUDA_VISIBLE_DEVICES', { gpus: gpusOf('gpu-node::7,0,4') })).toBe('7,0,4\n');
    expect(await runScript(4, 'echo "${CUDA_VISIBLE_DEVICES-unset}"', { gpus: gpusOf('gpu-node') })).toBe('unset\n');
  });
});

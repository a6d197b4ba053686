import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_SWEEP_SIZE, routes } from '@kawa/protocol';
import { errorOf, listTasks, submit } from '../testing/api.js';
import { createTestHost, type TestHost } from '../testing/test-host.js';

describe('sweep submit', () => {
  let host: TestHost;
  beforeEach(() => {
    host = createTestHost();
  });
  afterEach(async () => {
    await host.close();
  });

  it('expands span: arguments into one batch, one task per combination and target', async () => {
    const { batchId, taskIds } = await submit(host, {
      command: ['python', 'train.py', '--lr', 'span:[0.1,0.01]', '--seed', 'span:{1..3}'],
      targets: ['node1', 'node2'],
      sweep: true,
      maxParallel: 3,
      priority: 5,
    });
    expect(taskIds).toHaveLength(12);
    const { tasks, total } = await listTasks(host, `?batch=${batchId}&limit=100`);
    expect(total).toBe(12);
    const argvs = tasks.sort((a, b) => a.id - b.id).map((task) => `${task.command.join(' ')} @${task.target?.node}`);
    expect(argvs).toEqual(
      ['0.1', '0.01'].flatMap((lr) =>
        ['1', '2', '3'].flatMap((seed) =>
          ['node1', 'node2'].map((node) => `python train.py --lr ${lr} --seed ${seed} @${node}`),
        ),
      ),
    );
    expect(tasks.every((task) => task.maxParallel === 3 && task.priority === 5 && task.attempt === 1)).toBe(true);
  });

  it('keeps span: arguments literal without sweep', async () => {
    const { taskIds } = await submit(host, { command: ['echo', 'span:{1..3}'] });
    expect(taskIds).toHaveLength(1);
  });

  it.each([
    { case: 'a malformed span', command: ['echo', 'span:{1..x}'], targets: [] },
    { case: 'an empty list item', command: ['echo', 'span:[a,,b]'], targets: [] },
    {
      case: 'more tasks than a sweep may make, counting targets',
      command: ['echo', `span:{1..${MAX_SWEEP_SIZE / 2 + 1}}`],
      targets: ['node1', 'node2'],
    },
  ])('refuses $case with 400 KAWA_ERR_BAD_SWEEP and creates nothing', async ({ command, targets }) => {
    const answer = await errorOf(
      host.app.inject({
        method: 'POST',
        url: routes.submitTasks.path,
        headers: host.admin,
        payload: { command, targets, sweep: true },
      }),
    );
    expect(answer).toMatchObject({ status: 400, error: { code: 'KAWA_ERR_BAD_SWEEP' } });
    expect((await listTasks(host)).total).toBe(0);
  });
});

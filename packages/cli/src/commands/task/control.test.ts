import { describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import { errorAnswer, fakeHost, json, listAnswer, makeTask, runWith } from '../../test-support.js';

describe('kawa task kill|pause|resume', () => {
  it('acts on every id and prints the new state', async () => {
    const host = fakeHost({
      killTask: (request) => json(makeTask({ id: Number(request.params.id), status: 'killed' })),
    });
    const run = await runWith(['task', 'kill', '4', '5'], { fetch: host.fetch });
    expect(run).toEqual({ code: 0, stdout: 'task 4: killed\ntask 5: killed\n', stderr: '' });
    expect(host.requests.map((request) => [request.method, request.route, request.params.id])).toEqual([
      ['POST', 'killTask', '4'],
      ['POST', 'killTask', '5'],
    ]);
  });

  it('goes on after one failure and exits 1', async () => {
    const host = fakeHost({
      pauseTask: (request) =>
        request.params.id === '4'
          ? errorAnswer('KAWA_ERR_INVALID_STATE', 'task 4 is completed; only running tasks can be paused', 409)
          : json(makeTask({ id: 5, status: 'paused' })),
    });
    const run = await runWith(['task', 'pause', '4', '5'], { fetch: host.fetch });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: task 4 is completed; only running tasks can be paused (KAWA_ERR_INVALID_STATE) [task 4]\n',
    );
    expect(run.stdout).toBe('task 5: paused\n');
  });

  it('prints the tasks and the failures as one JSON document with --json', async () => {
    const host = fakeHost({
      pauseTask: (request) =>
        request.params.id === '4'
          ? errorAnswer('KAWA_ERR_INVALID_STATE', 'task 4 is completed', 409)
          : json(makeTask({ id: 5, status: 'paused' })),
    });
    const run = await runWith(['task', 'pause', '4', '5', '--json'], { fetch: host.fetch });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      tasks: [{ id: 5, status: 'paused' }],
      errors: [{ taskId: 4, code: 'KAWA_ERR_INVALID_STATE', message: 'task 4 is completed' }],
    });
  });

  it('resumes', async () => {
    const host = fakeHost({ resumeTask: () => json(makeTask({ id: 4, status: 'running' })) });
    expect((await runWith(['task', 'resume', '4'], { fetch: host.fetch })).stdout).toBe('task 4: running\n');
  });
});

describe('kawa task kill --batch', () => {
  it('kills the open tasks of a batch in one request', async () => {
    const host = fakeHost({ killBatch: () => json({ batchId: 7, killed: [21, 22, 23, 25] }) });
    const run = await runWith(['task', 'kill', '--batch', '7'], { fetch: host.fetch });
    expect(run).toEqual({ code: 0, stdout: 'batch 7: killed 4 tasks (21-23, 25)\n', stderr: '' });
    expect(host.requests.map((request) => [request.method, request.route, request.params.id])).toEqual([
      ['POST', 'killBatch', '7'],
    ]);
  });

  it('says when nothing was left to kill, and prints the answer with --json', async () => {
    const host = fakeHost({ killBatch: () => json({ batchId: 7, killed: [] }) });
    const run = await runWith(['task', 'kill', '--batch', '7'], { fetch: host.fetch });
    expect(run.stdout).toBe('batch 7: nothing to kill, every task had already ended\n');
    const printed = await runWith(['task', 'kill', '--batch', '7', '--json'], { fetch: host.fetch });
    expect(JSON.parse(printed.stdout)).toEqual({ batchId: 7, killed: [] });
  });

  it("reports an unknown batch with the host's code", async () => {
    const host = fakeHost({ killBatch: () => errorAnswer('KAWA_ERR_BATCH_NOT_FOUND', 'no batch 70', 404) });
    const run = await runWith(['task', 'kill', '--batch', '70'], { fetch: host.fetch });
    expect(run).toMatchObject({ code: 1, stderr: 'error: no batch 70 (KAWA_ERR_BATCH_NOT_FOUND)\n' });
  });

  it.each([[['task', 'kill']], [['task', 'kill', '3', '--batch', '7']], [['task', 'kill', '--batch', 'x']]])(
    'refuses %j locally with exit code 2',
    async (argv) => {
      const host = fakeHost({});
      const run = await runWith(argv, { fetch: host.fetch });
      expect(run.code).toBe(2);
      expect(host.requests).toHaveLength(0);
    },
  );
});

describe('kawa task wait', () => {
  it('exits with the exit code of the first failed task in id order', async () => {
    const host = fakeHost({
      waitTask: (request) => {
        const id = Number(request.params.id);
        return json(makeTask({ id, status: id === 8 ? 'failed' : 'completed', exitCode: id === 8 ? 5 : 0 }));
      },
    });
    const run = await runWith(['task', 'wait', '9', '8', '7'], { fetch: host.fetch });
    expect(run.code).toBe(5);
    expect(run.stdout).toBe(
      'task 7 completed on node1, exit code 0\ntask 8 failed on node1, exit code 5\ntask 9 completed on node1, exit code 0\n',
    );
  });

  it('shows sync progress while a task syncs: occasional lines on stderr without a TTY, a bar on one', async () => {
    const syncing = (phase: 'waiting' | 'loading', doneBytes: number, totalBytes: number | null): Partial<Task> => ({
      status: 'syncing',
      container: 'foo',
      syncProgress: { what: 'foo', phase, doneBytes, totalBytes },
    });
    const states: Partial<Task>[] = [
      syncing('waiting', 0, null),
      syncing('loading', 100e6, 1e9),
      syncing('loading', 312e6, 1e9),
      { status: 'completed', exitCode: 0 },
    ];
    const host = () => {
      let poll = 0;
      return fakeHost({ waitTask: () => json(makeTask({ id: 4, ...states[Math.min(poll++, states.length - 1)] })) });
    };
    const plain = await runWith(['task', 'wait', '4'], { fetch: host().fetch });
    expect(plain.code).toBe(0);
    // The third poll is the same phase within ten seconds: no line for it.
    expect(plain.stderr).toBe(
      'task 4 syncing on node1: waiting to load env foo\n' +
        'task 4 syncing on node1: loading env foo 100 MB / 1.0 GB (10%)\n',
    );
    expect(plain.stdout).toBe('task 4 completed on node1, exit code 0\n');
    const tty = await runWith(['task', 'wait', '4'], { fetch: host().fetch, isTTY: true });
    expect(tty.stderr).toContain('task 4 syncing on node1: loading env foo ██████░░░░░░░░░░░░░░ 312 MB / 1.0 GB (31%)');
    expect(tty.stdout).toBe('task 4 completed on node1, exit code 0\n');
  });

  it('gives up after --timeout with KAWA_ERR_TIMEOUT and exit code 1', async () => {
    const host = fakeHost({ waitTask: () => json(makeTask({ id: 3, status: 'running' })) });
    const run = await runWith(['task', 'wait', '3', '--timeout', '0.3'], { fetch: host.fetch });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: gave up after 0\.3s: task 3 is still running \(KAWA_ERR_TIMEOUT\)\n$/);
    for (const request of host.requests) expect(Number(request.query.get('timeoutMs'))).toBeLessThanOrEqual(300);
  });

  it('waits for every task of a --batch', async () => {
    const tasks = [7, 8, 9].map((id) => makeTask({ id, batchId: 2, status: 'completed', exitCode: id === 9 ? 6 : 0 }));
    const host = fakeHost({
      listTasks: (request) => json(listAnswer(tasks, request.query)),
      waitTask: (request) => json(tasks.find((task) => task.id === Number(request.params.id))),
    });
    const run = await runWith(['task', 'wait', '--batch', '2'], { fetch: host.fetch });
    expect(run.code).toBe(6);
    expect(run.stdout).toBe(
      'task 7 completed on node1, exit code 0\ntask 8 completed on node1, exit code 0\ntask 9 completed on node1, exit code 6\n',
    );
  });

  it('says an empty batch has no tasks, and gives up on a batch after --timeout', async () => {
    const empty = fakeHost({ listTasks: (request) => json(listAnswer([], request.query)) });
    const none = await runWith(['task', 'wait', '--batch', '2'], { fetch: empty.fetch });
    expect(none).toMatchObject({
      code: 1,
      stderr: 'error: batch 2 has no tasks of yours: see kawa task list (KAWA_ERR_BATCH_NOT_FOUND)\n',
    });
    const running = [makeTask({ id: 3, batchId: 2 }), makeTask({ id: 4, batchId: 2, status: 'pending' })];
    const busy = fakeHost({
      listTasks: (request) => json(listAnswer(running, request.query)),
      waitTask: () => json(running[0]),
    });
    const run = await runWith(['task', 'wait', '--batch', '2', '--timeout', '0.3'], { fetch: busy.fetch });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: gave up after 0.3s: task 3 is still running (and 1 more not yet finished) (KAWA_ERR_TIMEOUT)\n',
    );
  });

  it('refuses a timeout that is not a positive number', async () => {
    expect((await runWith(['task', 'wait', '3', '--timeout', 'soon'], { fetch: fakeHost({}).fetch })).code).toBe(2);
    expect((await runWith(['task', 'wait', '3', '--timeout', '0'], { fetch: fakeHost({}).fetch })).code).toBe(2);
  });
});

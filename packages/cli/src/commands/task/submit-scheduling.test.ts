import { describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import { fakeHost, json, listAnswer, makeTask, runWith } from '../../test-support.js';

function host(taskIds = [4]) {
  return fakeHost({ submitTasks: () => json({ batchId: 3, taskIds }, 201) });
}

describe('kawa task submit: scheduling flags', () => {
  it('sends priority, GPU count, NUMA auto, max-parallel and retries', async () => {
    const fake = host();
    const run = await runWith(
      [
        'task',
        'submit',
        '--priority',
        '10',
        '--gpus',
        '2',
        '--numa',
        'auto',
        '--max-parallel',
        '3',
        '--retry',
        '2',
        '--retry-on-fail',
        '--',
        'true',
      ],
      { fetch: fake.fetch },
    );
    expect(run).toMatchObject({ code: 0, stderr: '', stdout: 'submitted batch 3: task 4\n' });
    expect(fake.requests[0]?.body).toMatchObject({
      priority: 10,
      gpus: 2,
      numa: 'auto',
      maxParallel: 3,
      retry: 2,
      retryOnFail: true,
    });
  });

  it('takes a negative priority', async () => {
    const fake = host();
    await runWith(['task', 'submit', '--priority', '-5', '--', 'true'], { fetch: fake.fetch });
    expect(fake.requests[0]?.body).toMatchObject({ priority: -5 });
  });

  it.each([
    [['--priority', '1.5'], 'KAWA_ERR_USAGE', '--priority takes a whole number from -1000 to 1000, got "1.5"'],
    [['--priority', '5000'], 'KAWA_ERR_USAGE', '--priority takes a whole number from -1000 to 1000'],
    [['--gpus', 'two'], 'KAWA_ERR_USAGE', '--gpus takes a whole number from 0 to 64, got "two"'],
    [['--max-parallel', '0'], 'KAWA_ERR_USAGE', '--max-parallel takes a whole number from 1 to 10000'],
    [['--retry', '-1'], 'KAWA_ERR_USAGE', '--retry takes a whole number from 0 to 100'],
    [['--numa', '0'], 'KAWA_ERR_USAGE', 'to name a zone, put it in the target: -t node1:0'],
    [['--retry-on-fail'], 'KAWA_ERR_BAD_REQUEST', '--retry-on-fail needs --retry N'],
    [['--gpus', '1', '-t', 'node1::0'], 'KAWA_ERR_BAD_TARGET', 'not both'],
    [['--numa', 'auto', '-t', 'node1:0'], 'KAWA_ERR_BAD_TARGET', 'a target may not name one too'],
  ])('refuses %j with %s and exit code 2 before any request', async (args, code, message) => {
    const fake = host();
    const run = await runWith(['task', 'submit', ...args, '--', 'true'], { fetch: fake.fetch });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^error: .+ \\(${code}\\)\\n$`));
    expect(run.stderr).toContain(message);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('kawa task submit: sweeps', () => {
  it('sends a command with spans as a sweep and says how it expands', async () => {
    const fake = host([4, 5, 6, 7, 8, 9]);
    const argv = ['python3', 'train.py', '--lr', 'span:[0.1,0.01]', '--seed', 'span:{1..3}'];
    const run = await runWith(['task', 'submit', '--', ...argv], { fetch: fake.fetch });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe('submitted batch 3: 6 tasks (sweep of 6 commands), task 4-9\n');
    expect(fake.requests[0]?.body).toMatchObject({ command: argv, sweep: true });
  });

  it('counts the targets in the sweep', async () => {
    const fake = host([1, 2, 3, 4, 5, 6]);
    const run = await runWith(['task', 'submit', '-t', 'a', '-t', 'b', '--', 'echo', 'span:{1..3}'], {
      fetch: fake.fetch,
    });
    expect(run.stdout).toBe('submitted batch 3: 6 tasks (sweep of 3 commands × 2 targets), task 1-6\n');
  });

  it('sends no sweep flag for a command without spans', async () => {
    const fake = host();
    await runWith(['task', 'submit', '--', 'echo', 'span'], { fetch: fake.fetch });
    expect(fake.requests[0]?.body).not.toHaveProperty('sweep');
  });

  it.each([
    [['echo', 'span:{1..}'], 'span:{1..} is not a span'],
    [['echo', 'span:[a,,b]'], 'has an empty item'],
    [['echo', 'span:{1..200}', 'span:{1..200}'], 'the sweep expands to 40000 tasks; a batch has at most 10000'],
  ])('refuses the bad sweep %j with KAWA_ERR_BAD_SWEEP, sending nothing', async (argv, message) => {
    const fake = host();
    const run = await runWith(['task', 'submit', '--', ...argv], { fetch: fake.fetch });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: .+ \(KAWA_ERR_BAD_SWEEP\)\n$/);
    expect(run.stderr).toContain(message);
    expect(fake.requests).toHaveLength(0);
  });

  it('says a bad span can be passed literally with --no-sweep', async () => {
    const run = await runWith(['task', 'submit', '--', 'echo', 'span:oops'], { fetch: host().fetch });
    expect(run.stderr).toContain('--no-sweep');
  });

  it('counts targets against the batch limit', async () => {
    const fake = host();
    const run = await runWith(['task', 'submit', '-t', 'a', '-t', 'b', '-t', 'c', '--', 'x', 'span:{1..4000}'], {
      fetch: fake.fetch,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('12000 tasks (4000 commands × 3 targets)');
    expect(fake.requests).toHaveLength(0);
  });

  it('passes span: arguments literally with --no-sweep', async () => {
    const fake = host();
    const run = await runWith(['task', 'submit', '--no-sweep', '--', 'echo', 'span:{1..3}', 'span:oops'], {
      fetch: fake.fetch,
    });
    expect(run).toMatchObject({ code: 0, stdout: 'submitted batch 3: task 4\n' });
    expect(fake.requests[0]?.body).toMatchObject({ command: ['echo', 'span:{1..3}', 'span:oops'] });
    expect(fake.requests[0]?.body).not.toHaveProperty('sweep');
  });
});

/**
 * A batch of `count` tasks that end in id order, `perRound` of them each time a long-poll
 * returns, as if the host held each poll until its task ended. Task `failId` fails with code 4.
 */
function progressiveBatch(count: number, perRound: number, failId: number) {
  const ids = Array.from({ length: count }, (_, index) => index + 1);
  let round = 0;
  const taskAt = (id: number): Task => {
    const ended = id <= round * perRound;
    const running = !ended && id <= round * perRound + 2;
    return makeTask({
      id,
      batchId: 3,
      status: ended ? (id === failId ? 'failed' : 'completed') : running ? 'running' : 'pending',
      exitCode: ended ? (id === failId ? 4 : 0) : null,
      reason: ended || running ? null : 'waiting for 1 core on node1',
    });
  };
  return fakeHost({
    submitTasks: () => json({ batchId: 3, taskIds: ids }, 201),
    waitTask: (request) => {
      round += 1;
      return json(taskAt(Number(request.params.id)));
    },
    listTasks: (request) => json(listAnswer(ids.map(taskAt), request.query)),
  });
}

describe('kawa task submit --wait on a large batch', () => {
  it('waits for 2,500 tasks with a request per change, not one per task, and exits with the failure', async () => {
    const fake = progressiveBatch(2500, 500, 1234);
    const run = await runWith(['task', 'submit', '--wait', '--', 'echo', 'span:{1..2500}'], { fetch: fake.fetch });
    expect(run.code).toBe(4);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('submitted batch 3: 2500 tasks (sweep of 2500 commands), task 1-2500');
    expect(lines).toHaveLength(2501);
    expect(lines[1]).toBe('task 1 completed on node1, exit code 0');
    expect(lines[1234]).toBe('task 1234 failed on node1, exit code 4');
    expect(lines[2500]).toBe('task 2500 completed on node1, exit code 0');
    const polls = fake.requests.filter((request) => request.route === 'waitTask');
    expect(polls.map((request) => request.params.id)).toEqual(['1', '501', '1001', '1501', '2001']);
    expect(fake.requests.length).toBeLessThan(25);
  });

  it('prints the answer and every final task as one JSON document', async () => {
    const fake = progressiveBatch(30, 10, 0);
    const run = await runWith(['task', 'submit', '--wait', '--json', '--', 'echo', 'span:{1..30}'], {
      fetch: fake.fetch,
    });
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as { batchId: number; tasks: Task[] };
    expect(printed.batchId).toBe(3);
    expect(printed.tasks.map((task) => task.id)).toEqual(Array.from({ length: 30 }, (_, index) => index + 1));
    expect(printed.tasks.every((task) => task.status === 'completed')).toBe(true);
  });

  it('shows the batch and why its head waits on a TTY', async () => {
    const fake = progressiveBatch(6, 2, 0);
    const run = await runWith(['task', 'submit', '--wait', '--', 'echo', 'span:{1..6}'], {
      fetch: fake.fetch,
      isTTY: true,
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/batch 3: 2\/6 done, 2 pending, 2 running; task 5: waiting for 1 core on node1/);
  });
});

describe('kawa task submit --wait with --retry', () => {
  /** Task 4 ends lost; the host requeues it as task 5 (attempt 2), which completes a round later. */
  function retryingHost() {
    let round = 0;
    const tasks = (): Task[] => {
      const first = makeTask({
        id: 4,
        batchId: 3,
        retry: 1,
        status: round === 0 ? 'running' : 'lost',
        reason: round === 0 ? null : 'node1 went away',
      });
      if (round === 0) return [first];
      const retry = makeTask({ id: 5, batchId: 3, retry: 1, attempt: 2 });
      return [
        first,
        round === 1 ? { ...retry, status: 'pending', node: null } : { ...retry, status: 'completed', exitCode: 0 },
      ];
    };
    return fakeHost({
      submitTasks: () => json({ batchId: 3, taskIds: [4] }, 201),
      waitTask: (request) => {
        round += 1;
        return json(tasks().find((task) => task.id === Number(request.params.id)));
      },
      listTasks: (request) => json(listAnswer(tasks(), request.query)),
      getTask: (request) => json(tasks().find((task) => task.id === Number(request.params.id))),
    });
  }

  it('follows the retry that joins the batch, and its last attempt decides the exit code', async () => {
    const run = await runWith(['task', 'submit', '--retry', '1', '--wait', '--', 'true'], {
      fetch: retryingHost().fetch,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'submitted batch 3: task 4\n' +
        'task 4 lost on node1 (node1 went away); retried as attempt 2 of 2 in batch 3\n' +
        'task 5 completed on node1, exit code 0\n',
    );
  });

  it('task wait ID does not follow a retry: it says where the retry is and exits non-zero', async () => {
    const host = retryingHost();
    const run = await runWith(['task', 'wait', '4'], { fetch: host.fetch });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('task 4 lost on node1 (node1 went away); retried as attempt 2 of 2 in batch 3\n');
  });
});

import { describe, expect, it } from 'vitest';
import { errorAnswer, fakeHost, json, makeTask, runWith } from '../../test-support.js';
import { renderTaskList } from './list.js';

const now = 1_700_000_100_000;

describe('kawa task list', () => {
  it('sends the filters as the query', async () => {
    const host = fakeHost({ listTasks: () => json({ tasks: [], nextBefore: null, total: 0 }) });
    const run = await runWith(
      [
        'task',
        'list',
        '--status',
        'running,pending',
        '--node',
        'node1',
        '--batch',
        '3',
        '--limit',
        '5',
        '--before',
        '90',
      ],
      {
        fetch: host.fetch,
      },
    );
    expect(run).toMatchObject({ code: 0, stdout: 'no tasks\n' });
    expect(Object.fromEntries(host.requests[0]?.query ?? [])).toEqual({
      status: 'running,pending',
      node: 'node1',
      batch: '3',
      limit: '5',
      before: '90',
    });
  });

  it('refuses a bad filter locally with exit code 2', async () => {
    const host = fakeHost({});
    const run = await runWith(['task', 'list', '--status', 'sleeping'], { fetch: host.fetch });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('KAWA_ERR_BAD_REQUEST');
    expect(host.requests).toHaveLength(0);
  });

  it('prints the API answer with --json', async () => {
    const answer = { tasks: [makeTask({ id: 2 })], nextBefore: null, total: 1 };
    const run = await runWith(['task', 'list', '--json'], { fetch: fakeHost({ listTasks: () => json(answer) }).fetch });
    expect(JSON.parse(run.stdout)).toEqual(answer);
  });

  it('renders a table within 100 columns, with the reason of pending tasks and the next page', () => {
    const tasks = [
      makeTask({
        id: 12,
        batchId: 4,
        status: 'pending',
        priority: 10,
        node: null,
        reason: 'waiting for 4 cores on node2',
        submittedAt: now - 65_000,
      }),
      makeTask({
        id: 11,
        batchId: 3,
        status: 'failed',
        exitCode: 3,
        cores: 0.5,
        memoryBytes: 4e9,
        command: ['sh', '-c', `echo ${'x'.repeat(200)}`],
        submittedAt: now - 3_000,
      }),
    ];
    const text = renderTaskList({ tasks, nextBefore: 11, total: 40 }, false, now);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^ID\s+BATCH\s+STATUS\s+PRI\s+EXIT\s+NODE\s+ENV\s+CORES\s+MEM\s+AGE\s+COMMAND\/REASON$/);
    expect(lines[1]).toMatch(/^12\s+4\s+pending\s+10\s+-\s+-\s+NULL\s+1\s+-\s+1m5s\s+waiting for 4 cores on node2$/);
    expect(lines[2]).toMatch(/^11\s+3\s+failed\s+0\s+3\s+node1\s+NULL\s+0\.5\s+4\.0G\s+3\.0s\s+sh -c 'echo x+…$/);
    expect(lines[3]).toBe('showing 2 of 40; next page: --before 11');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('shows the env or image, cut short, and leaves the column out when the command would lose its room', () => {
    const tasks = [
      makeTask({ id: 3, container: 'py', command: ['python3', 'train.py'] }),
      makeTask({ id: 2, image: `registry.example:5000/team/${'deep/'.repeat(4)}image:1` }),
    ];
    const lines = renderTaskList({ tasks, nextBefore: null, total: 2 }, false, now).split('\n');
    expect(lines[0]).toContain(' ENV ');
    expect(lines[1]).toMatch(/^\s*3\s+1\s+running\s+0\s+-\s+node1\s+py\s+1\s+/);
    expect(lines[2]).toMatch(/\s+registry\.example:…\s+/);
    // A long node name takes the room: ENV goes, COMMAND/REASON stays readable.
    const crowded = [
      makeTask({ id: 4, node: `node-${'x'.repeat(25)}`, container: 'py', command: ['python3', 'train.py'] }),
    ];
    const text = renderTaskList({ tasks: crowded, nextBefore: null, total: 1 }, false, now);
    expect(text).not.toContain('ENV');
    expect(text).toContain('python3 train.py');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('colours the status only on a TTY', () => {
    const answer = { tasks: [makeTask({ status: 'completed', exitCode: 0 })], nextBefore: null, total: 1 };
    expect(renderTaskList(answer, true, now)).toContain('\u001b[32mcompleted');
    expect(renderTaskList(answer, false, now)).not.toContain('\u001b');
  });
});

describe('kawa task status', () => {
  it('prints every field, with the reason and the exit code', async () => {
    const task = makeTask({
      id: 9,
      status: 'failed',
      exitCode: 2,
      reason: 'exited with code 2',
      env: { SEED: '7' },
      workdir: '/data',
      numa: 0,
      gpus: [1],
    });
    const run = await runWith(['task', 'status', '9'], { fetch: fakeHost({ getTask: () => json(task) }).fetch });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^task 9 \(batch 1\)\n/);
    for (const line of [
      /status\s+failed/,
      /exit code\s+2/,
      /reason\s+exited with code 2/,
      /command\s+echo hello/,
      /node\s+node1, NUMA 0, GPU 1/,
      /env\s+SEED=7/,
      /workdir\s+\/data/,
      /started\s+\d{4}-/,
      /ended\s+-/,
    ]) {
      expect(run.stdout).toMatch(line);
    }
  });

  it('shows why a pending task waits, its priority, attempt, GPU count, NUMA auto and max-parallel', async () => {
    const task = makeTask({
      id: 9,
      batchId: 4,
      status: 'pending',
      node: null,
      reason: 'waiting for 2 GPUs on node3: GPU 0 held by task 17',
      priority: 10,
      attempt: 2,
      retry: 3,
      retryOnFail: true,
      gpuCount: 2,
      numaAuto: true,
      maxParallel: 3,
    });
    const run = await runWith(['task', 'status', '9'], { fetch: fakeHost({ getTask: () => json(task) }).fetch });
    expect(run.code).toBe(0);
    for (const line of [
      /\n {2}reason\s+waiting for 2 GPUs on node3: GPU 0 held by task 17\n/,
      /\n {2}priority\s+10\n/,
      /\n {2}attempt\s+2 of 4 \(requeued when lost or failed\)\n/,
      /\n {2}gpus\s+2, any free \(picked by the scheduler\)\n/,
      /\n {2}numa\s+auto \(picked by the scheduler\)\n/,
      /\n {2}max parallel\s+3 tasks of batch 4 at once\n/,
    ])
      expect(run.stdout).toMatch(line);
  });

  it("shows the GPUs and zone the scheduler picked, and a target's own ids", async () => {
    const picked = makeTask({ gpuCount: 2, gpus: [3, 5], numaAuto: true, numa: 1, retry: 1 });
    const run = await runWith(['task', 'status', '1'], { fetch: fakeHost({ getTask: () => json(picked) }).fetch });
    expect(run.stdout).toMatch(/\n {2}gpus\s+2, any free \(picked by the scheduler: 3,5\)\n/);
    expect(run.stdout).toMatch(/\n {2}numa\s+auto \(picked by the scheduler: zone 1\)\n/);
    expect(run.stdout).toMatch(/\n {2}attempt\s+1 of 2 \(requeued when lost\)\n/);
    const targeted = makeTask({ target: { node: 'node1', numa: 0, gpus: [0, 1] } });
    const other = await runWith(['task', 'status', '1'], { fetch: fakeHost({ getTask: () => json(targeted) }).fetch });
    expect(other.stdout).toMatch(/\n {2}gpus\s+0,1 \(from the target\)\n/);
    expect(other.stdout).toMatch(/\n {2}numa\s+zone 0 \(from the target\)\n/);
    expect(other.stdout).toMatch(/\n {2}attempt\s+1 \(no retries\)\n/);
    expect(other.stdout).toMatch(/\n {2}max parallel\s+no limit\n/);
  });

  it('shows the env, mounts and privileged of a Docker task', async () => {
    const task = makeTask({
      id: 9,
      container: 'py',
      mounts: [
        { source: '/data/in', target: '/in', readOnly: true },
        { source: '/data/out', target: '/out', readOnly: false },
      ],
      privileged: true,
    });
    const run = await runWith(['task', 'status', '9'], { fetch: fakeHost({ getTask: () => json(task) }).fetch });
    expect(run.stdout).toMatch(/\n {2}env\s+py\n/);
    expect(run.stdout).toMatch(/\n {2}mounts\s+\/data\/in:\/in:ro, \/data\/out:\/out\n/);
    expect(run.stdout).toMatch(/\n {2}privileged\s+yes\n/);
    expect(run.stdout).not.toContain('syncing');
    const plain = await runWith(['task', 'status', '9'], {
      fetch: fakeHost({ getTask: () => json(makeTask({ image: 'debian:12' })) }).fetch,
    });
    expect(plain.stdout).toMatch(/\n {2}image\s+debian:12\n/);
    expect(plain.stdout).toMatch(/\n {2}mounts\s+-\n/);
    expect(plain.stdout).toMatch(/\n {2}privileged\s+no\n/);
  });

  it.each([
    [
      { what: 'foo', phase: 'loading', doneBytes: 312e6, totalBytes: 1e9 },
      null,
      'loading env foo 312 MB / 1.0 GB (31%)',
    ],
    [
      { what: 'debian:12', phase: 'pulling', doneBytes: 12_500_000, totalBytes: null },
      'debian:12',
      'pulling image debian:12 12.5 MB',
    ],
    [{ what: 'foo', phase: 'waiting', doneBytes: 0, totalBytes: null }, null, 'waiting to load env foo'],
  ] as const)('shows how far a syncing task has got: %j', async (syncProgress, image, line) => {
    const task = makeTask({ status: 'syncing', container: image === null ? 'foo' : null, image, syncProgress });
    const run = await runWith(['task', 'status', '1'], { fetch: fakeHost({ getTask: () => json(task) }).fetch });
    const syncing = run.stdout.split('\n').find((text) => text.startsWith('  syncing '));
    expect(syncing?.replace(/^ {2}syncing +/, '')).toBe(line);
  });

  it('prints the task as JSON with --json', async () => {
    const task = makeTask({ id: 9 });
    const run = await runWith(['task', 'status', '9', '--json'], {
      fetch: fakeHost({ getTask: () => json(task) }).fetch,
    });
    expect(JSON.parse(run.stdout)).toEqual(task);
  });

  it('exits 1 with the host code for an unknown task, and 2 for an id that is not one', async () => {
    const host = fakeHost({ getTask: () => errorAnswer('KAWA_ERR_TASK_NOT_FOUND', 'no task 999999', 404) });
    expect(await runWith(['task', 'status', '999999'], { fetch: host.fetch })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: no task 999999 (KAWA_ERR_TASK_NOT_FOUND)\n',
    });
    const bad = await runWith(['task', 'status', 'abc'], { fetch: host.fetch });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: task id "abc" is not a positive whole number (KAWA_ERR_BAD_REQUEST)\n');
  });
});

describe('kawa task logs', () => {
  it('writes the raw bytes of the chosen stream to stdout', async () => {
    const host = fakeHost({ taskLogs: () => new Response('err line\n') });
    const run = await runWith(['task', 'logs', '5', '--stderr', '--tail', '10'], { fetch: host.fetch });
    expect(run).toEqual({ code: 0, stdout: 'err line\n', stderr: '' });
    expect(Object.fromEntries(host.requests[0]?.query ?? [])).toEqual({ stream: 'stderr', tail: '10' });
  });

  it('asks the host to follow with -f and streams until the answer ends', async () => {
    const host = fakeHost({
      taskLogs: () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('one\n'));
              setTimeout(() => {
                controller.enqueue(new TextEncoder().encode('two\n'));
                controller.close();
              }, 20);
            },
          }),
        ),
    });
    const run = await runWith(['task', 'logs', '5', '-f', '--offset', '0'], { fetch: host.fetch });
    expect(run.stdout).toBe('one\ntwo\n');
    expect(Object.fromEntries(host.requests[0]?.query ?? [])).toEqual({
      stream: 'stdout',
      offset: '0',
      follow: 'true',
    });
  });

  it('refuses --tail with --offset, and a negative --tail, locally', async () => {
    const host = fakeHost({});
    for (const args of [
      ['--tail', '1', '--offset', '2'],
      ['--tail', '-3'],
      ['--length', '0'],
    ]) {
      const run = await runWith(['task', 'logs', '5', ...args], { fetch: host.fetch });
      expect(run.code).toBe(2);
    }
    expect(host.requests).toHaveLength(0);
  });
});

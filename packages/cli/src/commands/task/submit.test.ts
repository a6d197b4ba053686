import { describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import { errorAnswer, fakeHost, json, listAnswer, makeTask, runWith } from '../../test-support.js';

/** A host whose submit makes batch 3 of `taskIds`, each already ended as `finals` says (default: completed). */
function submitHost(taskIds = [4], finals: Partial<Task>[] = []) {
  const final = (id: number): Task =>
    makeTask({ id, batchId: 3, status: 'completed', exitCode: 0, ...finals[taskIds.indexOf(id)] });
  return fakeHost({
    submitTasks: () => json({ batchId: 3, taskIds }, 201),
    waitTask: (request) => json(final(Number(request.params.id))),
    listTasks: (request) => json(listAnswer(taskIds.map(final), request.query)),
  });
}

describe('kawa task submit', () => {
  it('sends the argv, targets, limits and env, and prints the batch and task ids', async () => {
    const host = submitHost([4, 5]);
    const run = await runWith(
      [
        'task',
        'submit',
        '-t',
        'node1',
        '--target',
        'node2:0::1',
        '-c',
        '2.5',
        '-m',
        '4G',
        '-e',
        'SEED=7',
        '-e',
        'A=b=c',
        '--container',
        'py',
        '--private-network',
        '--',
        'python3',
        '-c',
        'print(1)',
      ],
      { fetch: host.fetch },
    );
    expect(run).toMatchObject({ code: 0, stderr: '', stdout: 'submitted batch 3: task 4, 5\n' });
    expect(host.requests).toHaveLength(1);
    expect(host.requests[0]?.headers.authorization).toBe('Bearer test-token');
    expect(host.requests[0]?.body).toEqual({
      command: ['python3', '-c', 'print(1)'],
      targets: ['node1', 'node2:0::1'],
      cores: 2.5,
      memory: '4G',
      env: { SEED: '7', A: 'b=c' },
      container: 'py',
      privateNetwork: true,
      privatePid: false,
    });
  });

  it('runs a --container NULL task in the current directory unless -w says otherwise', async () => {
    const host = submitHost();
    await runWith(['task', 'submit', '--container', 'NULL', '--', 'pwd'], { fetch: host.fetch, cwd: '/data/project' });
    await runWith(['task', 'submit', '--container', 'NULL', '-w', '/tmp', '--', 'pwd'], { fetch: host.fetch });
    await runWith(['task', 'submit', '--', 'pwd'], { fetch: host.fetch });
    expect(host.requests.map((request) => (request.body as { workdir?: string }).workdir)).toEqual([
      '/data/project',
      '/tmp',
      undefined,
    ]);
  });

  it('sends --image, each --mount parsed (":ro" read-only) and --privileged', async () => {
    const host = submitHost();
    const run = await runWith(
      [
        'task',
        'submit',
        '--image',
        'registry:5000/team/img:1.2',
        '--mount',
        '/data/in:/in:ro',
        '--mount',
        '/data/out:/out',
        '--mount',
        '/scratch:/scratch:rw',
        '--privileged',
        '--',
        'ls',
        '/in',
      ],
      { fetch: host.fetch },
    );
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(host.requests[0]?.body).toEqual({
      command: ['ls', '/in'],
      targets: [],
      env: {},
      image: 'registry:5000/team/img:1.2',
      mounts: [
        { source: '/data/in', target: '/in', readOnly: true },
        { source: '/data/out', target: '/out', readOnly: false },
        { source: '/scratch', target: '/scratch', readOnly: false },
      ],
      privileged: true,
      privateNetwork: false,
      privatePid: false,
    });
  });

  it('leaves the container out by default, so the host runs the task in its default env', async () => {
    const host = submitHost();
    await runWith(['task', 'submit', '--', 'echo', 'hi'], { fetch: host.fetch });
    expect(host.requests[0]?.body).toEqual({
      command: ['echo', 'hi'],
      targets: [],
      env: {},
      privateNetwork: false,
      privatePid: false,
    });
  });

  it.each([
    [['--mount', '/data'], 'KAWA_ERR_BAD_MOUNT', /--mount "\/data" is not HOST:CONTAINER\[:ro\]/],
    [['--mount', '/a:/b:rx'], 'KAWA_ERR_BAD_MOUNT', /is not HOST:CONTAINER/],
    [['--mount', 'data:/in'], 'KAWA_ERR_BAD_MOUNT', /"data" is not an absolute path/],
    [['--mount', '/data:/shared/x'], 'KAWA_ERR_BAD_MOUNT', /collides with Kawa's own \/shared/],
    [['--container', 'NULL', '--mount', '/a:/b'], 'KAWA_ERR_BAD_MOUNT', /extra mounts need a Docker task/],
    [['--container', 'NULL', '--privileged'], 'KAWA_ERR_BAD_REQUEST', /--privileged needs a Docker task/],
    [['--container', 'py', '--image', 'debian:12'], 'KAWA_ERR_BAD_REQUEST', /--container or --image, not both/],
    [['--image', 'Not An Image'], 'KAWA_ERR_BAD_IMAGE', /is not an image reference/],
  ])('refuses %j as a usage error (%s) before any request', async (args, code, message) => {
    const host = submitHost();
    const run = await runWith(['task', 'submit', ...args, '--', 'true'], { fetch: host.fetch });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^error: .+ \\(${code}\\)\\n$`));
    expect(run.stderr).toMatch(message);
    expect(host.requests).toHaveLength(0);
  });

  it('prints only the API answer with --json', async () => {
    const run = await runWith(['task', 'submit', '--json', '--', 'true'], { fetch: submitHost([4, 5, 6]).fetch });
    expect(JSON.parse(run.stdout)).toEqual({ batchId: 3, taskIds: [4, 5, 6] });
  });

  it('shows long consecutive id runs as a range', async () => {
    const run = await runWith(['task', 'submit', '--', 'true'], { fetch: submitHost([4, 5, 6, 7, 9]).fetch });
    expect(run.stdout).toBe('submitted batch 3: task 4-7, 9\n');
  });

  it.each([
    [['-t', 'node:x'], 'KAWA_ERR_BAD_TARGET'],
    [['-m', '12Q'], 'KAWA_ERR_BAD_MEMORY'],
    [['-c', '-1'], 'KAWA_ERR_BAD_CORES'],
    [['-c', 'many'], 'KAWA_ERR_BAD_CORES'],
    [['-e', 'BAD-NAME=1'], 'KAWA_ERR_BAD_ENV'],
    [['-e', 'KAWA_TEST_UNSET_VARIABLE'], 'KAWA_ERR_BAD_ENV'],
    [['-w', 'relative/dir'], 'KAWA_ERR_BAD_REQUEST'],
    [['--container', 'Bad Name'], 'KAWA_ERR_BAD_ENV_NAME'],
  ])('refuses %j locally with %s and exit code 2, sending nothing', async (args, code) => {
    const host = submitHost();
    const run = await runWith(['task', 'submit', ...args, '--', 'true'], { fetch: host.fetch });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^error: .+ \\(${code}\\)\\n$`));
    expect(host.requests).toHaveLength(0);
  });

  it('passes -e NAME from the shell, as docker run -e does', async () => {
    const host = submitHost();
    await runWith(['task', 'submit', '-e', 'FROM_SHELL', '--', 'env'], {
      fetch: host.fetch,
      env: { FROM_SHELL: 'yes' },
    });
    expect((host.requests[0]?.body as { env: unknown }).env).toEqual({ FROM_SHELL: 'yes' });
  });

  it('refuses an empty command with KAWA_ERR_EMPTY_COMMAND', async () => {
    const run = await runWith(['task', 'submit', '--container', 'NULL', '--'], { fetch: submitHost().fetch });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('KAWA_ERR_EMPTY_COMMAND');
  });

  it('says to put the command after -- when an option of the command is taken for a flag', async () => {
    const run = await runWith(['task', 'submit', 'ls', '-la'], { fetch: submitHost().fetch });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: unknown option '-la' (KAWA_ERR_USAGE)");
    expect(run.stderr).toContain('put the command after "--"');
  });

  it('reports a host refusal with its code and exit code 1', async () => {
    const host = fakeHost({
      submitTasks: () => errorAnswer('KAWA_ERR_UNSATISFIABLE', 'node1 has 4 cores; the task asks for 64', 422),
    });
    const run = await runWith(['task', 'submit', '-c', '64', '-t', 'node1', '--', 'true'], { fetch: host.fetch });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: node1 has 4 cores; the task asks for 64 (KAWA_ERR_UNSATISFIABLE)\n',
    });
  });
});

describe('kawa task submit --wait', () => {
  it("exits with the task's exit code and prints how it ended", async () => {
    const host = submitHost([12], [{ status: 'failed', exitCode: 3, reason: 'exited with code 3' }]);
    const run = await runWith(['task', 'submit', '--wait', '--', 'sh', '-c', 'exit 3'], { fetch: host.fetch });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('submitted batch 3: task 12\ntask 12 failed on node1, exit code 3\n');
  });

  it('exits 0 when every task completes', async () => {
    const run = await runWith(['task', 'submit', '--wait', '-t', 'a', '-t', 'b', '--', 'true'], {
      fetch: submitHost([1, 2]).fetch,
    });
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toEqual([
      'submitted batch 3: task 1, 2',
      'task 1 completed on node1, exit code 0',
      'task 2 completed on node1, exit code 0',
      '',
    ]);
  });

  it('takes the first non-zero exit code in id order, and 1 for a task that ended without one', async () => {
    const mixed = submitHost(
      [1, 2, 3],
      [{ exitCode: 0 }, { status: 'failed', exitCode: 7 }, { status: 'failed', exitCode: 9 }],
    );
    expect((await runWith(['task', 'submit', '--wait', '--', 'x'], { fetch: mixed.fetch })).code).toBe(7);
    const killed = submitHost(
      [1, 2],
      [
        { status: 'killed', exitCode: null, reason: 'killed by admin' },
        { status: 'failed', exitCode: 9 },
      ],
    );
    const run = await runWith(['task', 'submit', '--wait', '--', 'x'], { fetch: killed.fetch });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('task 1 killed on node1 (killed by admin)\n');
  });

  it('gives the answer and the final tasks as one JSON document with --json', async () => {
    const run = await runWith(['task', 'submit', '--wait', '--json', '--', 'true'], { fetch: submitHost([4]).fetch });
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as { batchId: number; taskIds: number[]; tasks: Task[] };
    expect(printed).toMatchObject({ batchId: 3, taskIds: [4], tasks: [{ id: 4, status: 'completed' }] });
  });

  it('shows a spinner on stderr only on a TTY', async () => {
    const plain = await runWith(['task', 'submit', '--wait', '--', 'true'], { fetch: submitHost().fetch });
    expect(plain.stderr).toBe('');
    const tty = await runWith(['task', 'submit', '--wait', '--', 'true'], { fetch: submitHost().fetch, isTTY: true });
    expect(tty.stderr).toContain('task 4 completed');
    expect(tty.stderr).toContain('kawa task logs 4');
    expect(tty.stdout).not.toContain('\u001b');
  });
});

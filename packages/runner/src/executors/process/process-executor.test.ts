import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startExecutorHarness,
  taskSpec,
  TEST_CGROUP_PARENT,
  type ExecutorHarness,
} from '../../testing/executor-harness.js';
import { waitFor } from '../../testing/wait-for.js';
import { sleep } from '../../util/sleep.js';

const isRoot = process.getuid?.() === 0;
const hasV1 =
  existsSync('/sys/fs/cgroup/cpuacct/cpuacct.usage') && existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');

let harness: ExecutorHarness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

async function start(overrides: Parameters<typeof startExecutorHarness>[0] = {}): Promise<ExecutorHarness> {
  harness = await startExecutorHarness(overrides);
  return harness;
}

const logOf = (h: ExecutorHarness, id: number, stream: 'stdout' | 'stderr'): Promise<string> =>
  readFile(join(h.sharedDir, 'logs', String(id), `${stream}.log`), 'utf8');

const v1Dir = (h: ExecutorHarness, controller: string, id: number): string =>
  `/sys/fs/cgroup/${controller}/${TEST_CGROUP_PARENT}/${h.nodeName}/task-${id}`;

describe.skipIf(!isRoot)('process executor on real cgroups', () => {
  it('records the exit code and both logs', async () => {
    const h = await start();
    h.executor.start(taskSpec(1, ['sh', '-c', 'echo out; echo err >&2; exit 3'], { cores: 1 }));
    const running = await h.event(1, ['running']);
    const failed = await h.event(1, ['failed', 'completed']);
    expect(running.at).toBeLessThanOrEqual(failed.at);
    expect(failed).toMatchObject({ status: 'failed', exitCode: 3, errorCode: null });
    expect(await logOf(h, 1, 'stdout')).toBe('out\n');
    expect(await logOf(h, 1, 'stderr')).toBe('err\n');

    h.executor.start(taskSpec(2, ['true'], { cores: 1 }));
    expect(await h.event(2, ['completed', 'failed'])).toMatchObject({
      status: 'completed',
      exitCode: 0,
      message: null,
    });
  });

  it('fails a missing binary and a missing workdir with KAWA_ERR_SPAWN_FAILED, before running', async () => {
    const h = await start();
    h.executor.start(taskSpec(3, ['/no/such/binary', 'x'], { cores: 1 }));
    h.executor.start(taskSpec(4, ['no-such-command-kawa'], { cores: 1 }));
    h.executor.start(taskSpec(5, ['true'], { workdir: '/no/such/dir' }));
    for (const id of [3, 4, 5]) {
      expect(await h.event(id, ['failed'])).toMatchObject({ status: 'failed', errorCode: 'KAWA_ERR_SPAWN_FAILED' });
    }
    expect(h.events.filter((event) => event.status === 'running')).toEqual([]);
    expect(h.events.find((event) => event.taskId === 4)?.message).toMatch(/"no-such-command-kawa" was not found/);
    expect(h.events.find((event) => event.taskId === 5)?.message).toMatch(/\/no\/such\/dir does not exist/);
  });

  it('fails a task whose workdir went since the last (cached) check with the workdir message', async () => {
    const h = await start();
    const workdir = join(h.root, 'gone-soon');
    await mkdir(workdir);
    h.executor.start(taskSpec(21, ['true'], { workdir }));
    expect((await h.event(21, ['completed', 'failed'])).status).toBe('completed');
    await rmdir(workdir);
    h.executor.start(taskSpec(22, ['true'], { workdir }));
    expect(await h.event(22, ['failed'])).toMatchObject({ errorCode: 'KAWA_ERR_SPAWN_FAILED' });
    expect(h.events.find((event) => event.taskId === 22)?.message).toMatch(/gone-soon does not exist/);
  });

  it('gives the task a clean env with the KAWA_* variables, in the shared data dir', async () => {
    const h = await start();
    const spec = taskSpec(6, ['sh', '-c', 'env; echo "cwd=$(pwd)"'], {
      env: { FOO: 'bar baz', KAWA_TASK_ID: 'spoofed' },
      gpus: [0, 2],
    });
    h.executor.start(spec);
    await h.event(6, ['completed']);
    const lines = (await logOf(h, 6, 'stdout')).split('\n');
    const env = new Map(
      lines
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(env.get('FOO')).toBe('bar baz');
    expect(env.get('KAWA_TASK_ID')).toBe('6');
    expect(env.get('KAWA_BATCH_ID')).toBe(String(spec.batchId));
    expect(env.get('KAWA_SHARED_DIR')).toBe(join(h.sharedDir, 'data'));
    expect(env.get('KAWA_LOCAL_TEMP_DIR')).toBe(join(h.root, 'local-temp', 'task-6'));
    expect(env.get('CUDA_VISIBLE_DEVICES')).toBe('0,2');
    expect(env.has('KAWA_NUMA_NODE')).toBe(false);
    expect(env.has('_KAWA_CGROUP_PROCS')).toBe(false);
    expect(env.has('VITEST')).toBe(false);
    expect(env.get('PATH')).toBe(process.env.PATH);
    expect(env.get('cwd')).toBe(join(h.sharedDir, 'data'));
  });

  it('keeps a state record while the task lives and drops it once the final event is delivered', async () => {
    const h = await start();
    h.executor.start(taskSpec(7, ['sleep', '30'], { cores: 1 }));
    await h.event(7, ['running']);
    const running = await waitFor(
      async () => (await h.table.list()).find((entry) => entry.status === 'running'),
      'the running record',
    );
    expect(running).toMatchObject({ spec: { id: 7 }, cgroupDriver: 'v1' });
    expect(running.pid).toBeGreaterThan(0);
    expect(running.pgid).toBe(running.pid);
    expect(h.executor.liveTasks()).toEqual([{ taskId: 7, status: 'running' }]);

    expect(await h.executor.control(7, 'kill')).toEqual({ ok: true });
    expect(await h.event(7, ['killed'])).toMatchObject({ exitCode: 137 });
    expect(h.executor.liveTasks()).toEqual([]);
    await waitFor(async () => (await h.table.list()).find((entry) => entry.final !== null), 'the final record');
    h.executor.finalDelivered(7);
    await waitFor(async () => (await readdir(h.table.dir)).length === 0, 'the record to go');
  });

  it.skipIf(!hasV1)('ends a 50M task that allocates 200 MB as oom and removes its cgroups', async () => {
    const h = await start();
    h.executor.start(
      taskSpec(8, ['sh', '-c', 'head -c 200000000 /dev/zero | tail'], { cores: 1, memoryBytes: 50_000_000 }),
    );
    await h.event(8, ['running']);
    expect(await readFile(join(v1Dir(h, 'memory', 8), 'memory.limit_in_bytes'), 'utf8')).toMatch(/^4999\d{4}\n$/);
    expect(await h.event(8, ['oom', 'failed', 'completed'], 20_000)).toMatchObject({ status: 'oom', exitCode: 137 });
    await waitFor(
      () => !existsSync(v1Dir(h, 'memory', 8)) && !existsSync(v1Dir(h, 'cpu', 8)),
      'the cgroups to be removed',
    );
  });

  it.skipIf(!hasV1)('holds a 0.5-core busy loop near half a core (cpuacct)', async () => {
    const h = await start();
    h.executor.start(taskSpec(9, ['sh', '-c', 'while :; do :; done'], { cores: 0.5 }));
    await h.event(9, ['running']);
    expect(await readFile(join(v1Dir(h, 'cpu', 9), 'cpu.cfs_quota_us'), 'utf8')).toBe('50000\n');
    const usage = async (): Promise<number> =>
      Number((await readFile(join(v1Dir(h, 'cpuacct', 9), 'cpuacct.usage'), 'utf8')).trim());
    const before = await usage();
    const startedAt = performance.now();
    await sleep(3000);
    const share = (await usage()) - before;
    const elapsedNs = (performance.now() - startedAt) * 1e6;
    expect(share / elapsedNs).toBeGreaterThan(0.1);
    expect(share / elapsedNs).toBeLessThanOrEqual(0.6);
    expect(await h.executor.control(9, 'kill')).toEqual({ ok: true });
    await h.event(9, ['killed']);
  });

  it('pauses, resumes and kills, also a paused task; events come before the answer', async () => {
    const h = await start();
    const dir = join(h.root, 'counter');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir));
    const counter = join(dir, 'counter');
    const size = async (): Promise<number> => (await stat(counter).catch(() => ({ size: 0 }))).size;
    h.executor.start(
      taskSpec(10, ['sh', '-c', 'while :; do echo x >> counter; sleep 0.02; done'], { workdir: dir, cores: 1 }),
    );
    await h.event(10, ['running']);
    await waitFor(async () => (await size()) > 8, 'the counter to grow');

    const pause = h.executor.control(10, 'pause');
    expect(await pause).toEqual({ ok: true });
    expect(h.events.at(-1)).toMatchObject({ taskId: 10, status: 'paused' });
    expect(await readFile(join(v1Dir(h, 'freezer', 10), 'freezer.state'), 'utf8')).toBe('FROZEN\n');
    const frozen = await size();
    await sleep(400);
    expect(await size()).toBe(frozen);
    expect(await h.executor.control(10, 'pause')).toMatchObject({ ok: false, code: 'KAWA_ERR_INVALID_STATE' });
    expect(h.executor.liveTasks()).toEqual([{ taskId: 10, status: 'paused' }]);

    expect(await h.executor.control(10, 'resume')).toEqual({ ok: true });
    expect(h.events.at(-1)).toMatchObject({ taskId: 10, status: 'running' });
    await waitFor(async () => (await size()) > frozen + 8, 'the counter to grow again');
    expect(await h.executor.control(10, 'resume')).toMatchObject({ ok: false, code: 'KAWA_ERR_INVALID_STATE' });

    expect(await h.executor.control(10, 'pause')).toEqual({ ok: true });
    expect(await h.executor.control(10, 'kill')).toEqual({ ok: true });
    expect(h.events.at(-1)).toMatchObject({ taskId: 10, status: 'killed' });
    expect(await h.executor.control(10, 'kill')).toMatchObject({ ok: false, code: 'KAWA_ERR_TASK_NOT_FOUND' });
  });

  it('kills what a task left behind in its cgroup when it exits', async () => {
    const h = await start();
    h.executor.start(taskSpec(11, ['sh', '-c', 'setsid sleep 60 & echo $! > bg.pid'], { cores: 1, workdir: h.root }));
    await h.event(11, ['completed']);
    const pid = Number((await readFile(join(h.root, 'bg.pid'), 'utf8')).trim());
    await waitFor(
      () => !existsSync(`/proc/${pid}`) || readFile(`/proc/${pid}/stat`, 'utf8').then((text) => text.includes(') Z ')),
      'the background sleep to die',
    );
  });

  it('binds to a NUMA zone through numactl, and refuses unknown zones or a missing numactl', async () => {
    const h = await start();
    h.executor.start(taskSpec(12, ['sh', '-c', 'numactl --show; echo "zone=$KAWA_NUMA_NODE"'], { numa: 0, cores: 1 }));
    await h.event(12, ['completed']);
    const out = await logOf(h, 12, 'stdout');
    expect(out).toMatch(/^policy: bind$/m);
    expect(out).toMatch(/^membind: 0\s*$/m);
    expect(out).toContain('zone=0');

    h.executor.start(taskSpec(13, ['true'], { numa: 5 }));
    expect(await h.event(13, ['failed'])).toMatchObject({ errorCode: 'KAWA_ERR_NUMA_UNAVAILABLE' });
    expect(h.events.find((event) => event.taskId === 13)?.message).toMatch(/zone 5 does not exist/);
  });

  it('fails NUMA tasks when numactl is missing', async () => {
    const h = await start({ numactlPath: '/nonexistent/numactl' });
    h.executor.start(taskSpec(14, ['true'], { numa: 0 }));
    expect(await h.event(14, ['failed'])).toMatchObject({ errorCode: 'KAWA_ERR_NUMA_UNAVAILABLE' });
  });

  it('gives private network and PID namespaces', async () => {
    const h = await start();
    h.executor.start(
      taskSpec(15, ['sh', '-c', 'cat /proc/net/dev; ip -o link show lo >&2'], { privateNetwork: true, cores: 1 }),
    );
    h.executor.start(
      taskSpec(16, ['sh', '-c', 'echo "pid=$$"; ls /proc | grep -c "^[0-9]"'], { privatePid: true, cores: 1 }),
    );
    h.executor.start(
      taskSpec(17, ['sh', '-c', 'echo "pid=$$"; cat /proc/net/dev'], { privatePid: true, privateNetwork: true }),
    );
    await h.event(15, ['completed']);
    const interfaces = (await logOf(h, 15, 'stdout'))
      .split('\n')
      .slice(2)
      .filter((line) => line.includes(':'))
      .map((line) => line.split(':')[0]?.trim());
    expect(interfaces).toEqual(['lo']);
    // The loopback is up, as with systemd's PrivateNetwork=.
    expect(await logOf(h, 15, 'stderr')).toMatch(/<LOOPBACK,UP/);

    await h.event(16, ['completed']);
    const [pidLine, count] = (await logOf(h, 16, 'stdout')).trim().split('\n');
    expect(pidLine).toBe('pid=1');
    expect(Number(count)).toBeLessThanOrEqual(3);

    await h.event(17, ['completed']);
    expect(await logOf(h, 17, 'stdout')).toMatch(/^pid=1\n/);
  });

  it('kills a private-PID task', async () => {
    const h = await start();
    h.executor.start(taskSpec(18, ['sleep', '60'], { privatePid: true, cores: 1 }));
    await h.event(18, ['running']);
    expect(await h.executor.control(18, 'kill')).toEqual({ ok: true });
    expect((await h.event(18, ['killed', 'failed', 'completed'])).status).toBe('killed');
  });

  it('answers controls for unknown tasks with KAWA_ERR_TASK_NOT_FOUND', async () => {
    const h = await start();
    expect(await h.executor.control(99, 'pause')).toMatchObject({ ok: false, code: 'KAWA_ERR_TASK_NOT_FOUND' });
  });

  it('kills a task whose kill arrives while it is starting', async () => {
    const h = await start();
    h.executor.start(taskSpec(19, ['sleep', '60'], { cores: 1 }));
    expect(await h.executor.control(19, 'kill')).toEqual({ ok: true });
    expect((await h.event(19, ['killed', 'failed', 'completed'])).status).toBe('killed');
  });

  it('kills its live tasks on close', async () => {
    const h = await start();
    h.executor.start(taskSpec(20, ['sleep', '60'], { cores: 1 }));
    await h.event(20, ['running']);
    await h.executor.close();
    expect((await h.event(20, ['killed'])).status).toBe('killed');
    expect(existsSync(v1Dir(h, 'cpu', 20))).toBe(false);
  });
});

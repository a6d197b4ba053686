import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskEventFrame } from '@kawa/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import { exitFilePath } from '../../state/exit-file.js';
import { readProcStat } from '../../system/proc-stat.js';
import {
  startExecutorHarness,
  taskSpec,
  TEST_CGROUP_PARENT,
  type ExecutorHarness,
} from '../../testing/executor-harness.js';
import { waitForTaskEvent } from '../../testing/task-events.js';
import { waitFor } from '../../testing/wait-for.js';
import { createProcessExecutor, type ProcessExecutor } from './process-executor.js';
import { createHelperSpawner } from './spawn-helper.js';
import type { Spawner } from './spawner.js';
import { baseEnvFrom } from './task-env.js';

const isRoot = process.getuid?.() === 0;
const hasV1Cpu = existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us');

/**
 * The real spawn helper, with a switch that plays the runner's crash: the helper is cut off
 * (its IPC channel closes, as when the runner dies) and the executor that spawned the tasks
 * never hears of them again, as a dead runner would not.
 */
function crashableSpawner(): Spawner & { crash(): Promise<void> } {
  const inner = createHelperSpawner(createLogger('silent'));
  let crashed = false;
  return {
    async spawn(request) {
      const child = await inner.spawn(request);
      return {
        pid: child.pid,
        exited: child.exited.then((exit) => (crashed ? new Promise<never>(() => {}) : exit)),
      };
    },
    close: () => inner.close(),
    async crash() {
      crashed = true;
      await inner.close();
    },
  };
}

let first: ExecutorHarness | null = null;
let second: ProcessExecutor | null = null;
afterEach(async () => {
  await second?.close();
  second = null;
  if (first) await rm(first.root, { recursive: true, force: true });
  first = null;
});

/** A second executor on the first one's node, dirs and cgroups: the restarted runner. */
function restartedExecutor(h: ExecutorHarness, events: TaskEventFrame[]): ProcessExecutor {
  return createProcessExecutor({
    nodeName: h.nodeName,
    sharedDir: h.sharedDir,
    localTempDir: join(h.root, 'local-temp'),
    numactlPath: 'numactl',
    numaZones: [0],
    baseEnv: baseEnvFrom(process.env),
    cgroups: h.cgroups,
    table: h.table,
    logger: createLogger('silent'),
    onEvent: (event) => events.push(event),
  });
}

const logOf = (h: ExecutorHarness, id: number): Promise<string> =>
  readFile(join(h.sharedDir, 'logs', String(id), 'stdout.log'), 'utf8');

/** A shell loop that waits (bounded) for `flag` to exist. */
const waitForFlag = (flag: string): string =>
  `i=0; while [ ! -f ${flag} ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done`;

describe.skipIf(!isRoot)('adopting no-Docker tasks after a runner crash', () => {
  it('finds its tasks by pid, reports real exit codes, keeps limits and controls them', async () => {
    const spawner = crashableSpawner();
    const h = (first = await startExecutorHarness({ spawner }));
    const flag = join(h.root, 'go');
    h.executor.start(taskSpec(1, ['sh', '-c', `echo before; ${waitForFlag(join(h.root, 'one'))}; echo after; exit 7`]));
    h.executor.start(taskSpec(2, ['sh', '-c', `echo a; ${waitForFlag(flag)}; echo b; exit 9`], { cores: 1 }));
    h.executor.start(taskSpec(3, ['sleep', '60']));
    h.executor.start(taskSpec(4, ['sleep', '60']));
    h.executor.start(taskSpec(5, ['sleep', '60']));
    for (const id of [1, 2, 3, 4, 5]) await h.event(id, ['running']);
    expect(await h.executor.control(4, 'pause')).toEqual({ ok: true });
    // Every task has its record (with the pid's start time) before the crash.
    await waitFor(async () => {
      const records = await h.table.list();
      return records.length === 5 && records.every((record) => record.pidStartTime !== null);
    }, 'five task records');
    // Task 5 plays one the runner crashed before recording: nothing names it but its cgroup.
    const unrecorded = (await h.table.list()).find((record) => record.spec.id === 5);
    await h.table.remove(5);
    const paused = (await h.table.list()).find((record) => record.spec.id === 4);
    expect(paused).toMatchObject({ status: 'paused' });

    await spawner.crash();
    // Task 1 ends while no runner is there: its parent helper writes the exit status.
    await writeFile(join(h.root, 'one'), '');
    await waitFor(() => existsSync(exitFilePath(h.table.dir, 1)), 'the exit file of task 1');

    const events: TaskEventFrame[] = [];
    const restarted = (second = restartedExecutor(h, events));
    await restarted.adopt(await h.table.list());
    const event = (id: number, statuses: TaskEventFrame['status'][]) => waitForTaskEvent(events, id, statuses, 10_000);

    expect(await event(1, ['failed', 'completed'])).toMatchObject({ status: 'failed', exitCode: 7 });
    if (h.cgroups.kind === 'v1' || h.cgroups.kind === 'v2') {
      // Killed, with its cgroup: no one would ever have ended it.
      await waitFor(async () => (await readProcStat(unrecorded?.pid ?? 0)) === null, 'task 5 to be gone');
      expect(restarted.liveTasks().map((task) => task.taskId)).not.toContain(5);
    }
    expect(await logOf(h, 1)).toBe('before\nafter\n');
    expect(restarted.liveTasks()).toEqual(
      expect.arrayContaining([
        { taskId: 2, status: 'running' },
        { taskId: 3, status: 'running' },
        { taskId: 4, status: 'paused' },
      ]),
    );
    if (hasV1Cpu) {
      // The limits stay: the task is still in its cgroup, with its quota.
      const cpuDir = `/sys/fs/cgroup/cpu/${TEST_CGROUP_PARENT}/${h.nodeName}/task-2`;
      expect((await readFile(join(cpuDir, 'cpu.cfs_quota_us'), 'utf8')).trim()).toBe('100000');
    }

    // Task 2 ends after the restart; its output went on to the log with no runner in between.
    await writeFile(flag, '');
    expect(await event(2, ['failed', 'completed'])).toMatchObject({ status: 'failed', exitCode: 9 });
    expect(await logOf(h, 2)).toBe('a\nb\n');

    expect(await restarted.control(3, 'kill')).toEqual({ ok: true });
    expect(await event(3, ['killed', 'failed'])).toMatchObject({ status: 'killed' });
    expect(await restarted.control(4, 'resume')).toEqual({ ok: true });
    await event(4, ['running']);
    expect(await restarted.control(4, 'kill')).toEqual({ ok: true });
    expect(await event(4, ['killed', 'failed'])).toMatchObject({ status: 'killed' });

    // Once the host has the endings, the records and exit files go.
    for (const id of [1, 2, 3, 4]) restarted.finalDelivered(id);
    await waitFor(async () => (await h.table.list()).length === 0, 'the records to go');
    await waitFor(() => !existsSync(exitFilePath(h.table.dir, 1)), 'the exit file to go');
  });

  it('does not take a process that reused the pid for the task, re-sends an undelivered ending, drops stray exit files', async () => {
    const h = (first = await startExecutorHarness());
    // A process that is not the task, under the pid the record names.
    const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = stranger.pid as number;
    try {
      const stat = await readProcStat(pid);
      expect(stat).not.toBeNull();
      const base = {
        version: 1 as const,
        pgid: pid,
        cgroupDriver: 'none' as const,
        cgroupDirs: [],
        systemdUnit: null,
        startedAt: 1,
        pausedWith: null,
      };
      await h.table.put({
        ...base,
        spec: taskSpec(11, ['sleep', '30']),
        status: 'running',
        pid,
        pidStartTime: `${Number(stat?.startTime) + 1}`,
        final: null,
      });
      await h.table.put({
        ...base,
        spec: taskSpec(12, ['true']),
        status: 'completed',
        pid: null,
        pidStartTime: null,
        final: { exitCode: 0, message: null, errorCode: null, at: 5 },
      });
      // An exit file no record names (the runner crashed after the host had the ending) goes.
      await writeFile(exitFilePath(h.table.dir, 77), '{"code":0,"signal":null}');
      const events: TaskEventFrame[] = [];
      const restarted = (second = restartedExecutor(h, events));
      await restarted.adopt(await h.table.list());
      expect(existsSync(exitFilePath(h.table.dir, 77))).toBe(false);
      expect(await waitForTaskEvent(events, 12, ['completed'], 5000)).toMatchObject({ exitCode: 0, at: 5 });
      const lost = await waitForTaskEvent(events, 11, ['failed', 'completed', 'killed'], 10_000);
      expect(lost).toMatchObject({ status: 'failed', errorCode: 'KAWA_ERR_INTERNAL' });
      // The stranger is untouched.
      expect(stranger.exitCode).toBeNull();
      expect(() => process.kill(pid, 0)).not.toThrow();
    } finally {
      stranger.kill('SIGKILL');
    }
  });
});

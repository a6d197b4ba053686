import { describe, expect, it } from 'vitest';
import { taskSpec } from '../../testing/executor-harness.js';
import { classifyExit, exitCodeOf } from './exit-status.js';
import { buildLaunchArgv, LOOPBACK_UP_SCRIPT } from './launch-argv.js';
import { baseEnvFrom, buildTaskEnv, DEFAULT_PATH } from './task-env.js';

describe('launch argv', () => {
  const tools = { numactl: '/usr/bin/numactl', unshare: '/usr/bin/unshare' };

  it('runs the argv as given when nothing wraps it', () => {
    expect(buildLaunchArgv(taskSpec(1, ['echo', '$HOME', '; ls']), tools)).toEqual(['echo', '$HOME', '; ls']);
  });

  it('puts unshare outside numactl', () => {
    const spec = taskSpec(1, ['python3', 'train.py'], { numa: 1, privateNetwork: true, privatePid: true });
    expect(buildLaunchArgv(spec, tools)).toEqual([
      '/usr/bin/unshare',
      '--net',
      '--pid',
      '--fork',
      '--kill-child',
      '--mount-proc',
      '--',
      '/bin/sh',
      '-c',
      LOOPBACK_UP_SCRIPT,
      'kawa-net',
      '/usr/bin/numactl',
      '--cpunodebind=1',
      '--membind=1',
      '--',
      'python3',
      'train.py',
    ]);
  });
});

describe('task env', () => {
  it('keeps only PATH, HOME and LANG of the runner', () => {
    expect(baseEnvFrom({ PATH: '/x', HOME: '/root', LANG: 'C.UTF-8', SECRET: 'no' })).toEqual({
      PATH: '/x',
      HOME: '/root',
      LANG: 'C.UTF-8',
    });
    expect(baseEnvFrom({})).toEqual({ PATH: DEFAULT_PATH });
  });

  it('lets Kawa variables win over the user', () => {
    const env = buildTaskEnv(
      taskSpec(3, ['true'], { env: { KAWA_TASK_ID: 'x', A: 'b' }, numa: 0 }),
      { PATH: '/bin' },
      { sharedDir: '/s', localTempDir: '/t' },
    );
    expect(env).toEqual({
      PATH: '/bin',
      A: 'b',
      KAWA_TASK_ID: '3',
      KAWA_BATCH_ID: '503',
      KAWA_SHARED_DIR: '/s/data',
      KAWA_LOCAL_TEMP_DIR: '/t/task-3',
      KAWA_NUMA_NODE: '0',
    });
  });
});

describe('exit classification', () => {
  const facts = { code: 0, signal: null, oomKilled: false, killRequested: false, memoryBytes: null };

  it('reports signals as 128 + N', () => {
    expect(exitCodeOf(null, 'SIGKILL')).toBe(137);
    expect(exitCodeOf(null, 'SIGSEGV')).toBe(139);
    expect(exitCodeOf(2, null)).toBe(2);
  });

  it('orders oom, killed, completed, failed', () => {
    expect(
      classifyExit({ ...facts, code: 137, oomKilled: true, killRequested: true, memoryBytes: 50_000_000 }),
    ).toMatchObject({
      status: 'oom',
      exitCode: 137,
      message: expect.stringMatching(/50\.0M/) as unknown,
    });
    expect(classifyExit({ ...facts, code: null, signal: 'SIGKILL', killRequested: true })).toMatchObject({
      status: 'killed',
      exitCode: 137,
    });
    expect(classifyExit(facts)).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(classifyExit({ ...facts, code: 3 })).toMatchObject({ status: 'failed', exitCode: 3, errorCode: null });
    expect(classifyExit({ ...facts, code: null, signal: 'SIGSEGV' })).toMatchObject({
      status: 'failed',
      message: 'killed by signal SIGSEGV',
    });
  });

  it('maps the shell codes for "cannot execute" and "not found" to KAWA_ERR_SPAWN_FAILED', () => {
    expect(classifyExit({ ...facts, code: 127 })).toMatchObject({
      status: 'failed',
      errorCode: 'KAWA_ERR_SPAWN_FAILED',
    });
    expect(classifyExit({ ...facts, code: 126 })).toMatchObject({
      status: 'failed',
      errorCode: 'KAWA_ERR_SPAWN_FAILED',
    });
  });
});

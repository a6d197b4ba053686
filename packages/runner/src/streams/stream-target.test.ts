import { describe, expect, it } from 'vitest';
import type { ContainerLookup } from '../executors/docker/docker-task.js';
import { streamTarget } from './stream-target.js';

const lookup = (kind: 'command' | 'vps', status: ContainerLookup['status']): ContainerLookup => ({
  kind,
  status,
  containerId: 'c0ffee',
});
const codeOf = (result: ReturnType<typeof streamTarget>): string => ('ok' in result ? result.code : 'ok');

describe('streamTarget', () => {
  it('sends ssh to a running or paused VPS, and a terminal to any running Docker task', () => {
    expect(streamTarget('ssh', 1, lookup('vps', 'running'), 'n')).toEqual({ containerId: 'c0ffee' });
    // A paused VPS takes the connection; its bytes wait for the resume.
    expect(streamTarget('ssh', 1, lookup('vps', 'paused'), 'n')).toEqual({ containerId: 'c0ffee' });
    expect(streamTarget('terminal', 1, lookup('vps', 'running'), 'n')).toEqual({ containerId: 'c0ffee' });
    expect(streamTarget('terminal', 1, lookup('command', 'running'), 'n')).toEqual({ containerId: 'c0ffee' });
  });

  it('refuses an unknown task, ssh to a command task and a terminal without Docker, with codes', () => {
    expect(streamTarget('ssh', 7, null, 'node-a')).toEqual({
      ok: false,
      code: 'KAWA_ERR_TASK_NOT_FOUND',
      message: 'node node-a has no live task 7',
    });
    expect(codeOf(streamTarget('ssh', 7, lookup('command', 'running'), 'n'))).toBe('KAWA_ERR_NOT_A_VPS');
    expect(codeOf(streamTarget('ssh', 7, { kind: 'no-docker' }, 'n'))).toBe('KAWA_ERR_NOT_A_VPS');
    expect(streamTarget('terminal', 7, { kind: 'no-docker' }, 'n')).toEqual({
      ok: false,
      code: 'KAWA_ERR_INVALID_STATE',
      message: 'task 7 runs without Docker (--container NULL); terminals need a Docker task',
    });
  });

  it('refuses what is not running yet or any more, and a terminal in a paused container', () => {
    for (const status of ['syncing', 'starting', 'ending'] as const) {
      expect(codeOf(streamTarget('ssh', 2, lookup('vps', status), 'n'))).toBe('KAWA_ERR_INVALID_STATE');
      expect(codeOf(streamTarget('terminal', 2, lookup('command', status), 'n'))).toBe('KAWA_ERR_INVALID_STATE');
    }
    expect(streamTarget('terminal', 2, lookup('vps', 'paused'), 'n')).toMatchObject({
      code: 'KAWA_ERR_INVALID_STATE',
      message: 'VPS 2 is paused; resume it to open a terminal',
    });
  });
});

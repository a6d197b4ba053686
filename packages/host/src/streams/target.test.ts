import { describe, expect, it } from 'vitest';
import { KawaError, type Task } from '@kawa/protocol';
import type { Principal } from '../auth/principal.js';
import { newTask } from '../testing/new-task.js';
import { TEST_KEY } from '../testing/vps-api.js';
import { streamTarget } from './target.js';

const vps: Task = {
  ...newTask({ kind: 'vps', publicKey: TEST_KEY, owner: 'alice', image: 'debian:12', cores: 0 }),
  id: 7,
  batchId: 7,
  node: 'node1',
  numa: null,
  gpus: [],
  attempt: 1,
  status: 'running',
  reason: null,
  exitCode: null,
  syncProgress: null,
  submittedAt: 0,
  startedAt: 1,
  endedAt: null,
};

const codeFor = (principal: Principal, task: Task = vps, connected = true): string => {
  try {
    streamTarget(
      'ssh',
      { principal, params: { id: '7' }, query: {} },
      { task: () => task, isConnected: () => connected },
    );
    return 'ok';
  } catch (error) {
    if (error instanceof KawaError) return error.code;
    throw error;
  }
};

describe('who may open a stream', () => {
  it("opens a stream only to one's own task, unless admin", () => {
    expect(codeFor({ user: 'alice', admin: false, kind: 'api', tokenId: 1 })).toBe('ok');
    expect(codeFor({ user: 'bob', admin: false, kind: 'api', tokenId: 1 })).toBe('KAWA_ERR_FORBIDDEN');
    expect(codeFor({ user: 'root', admin: true, kind: 'api', tokenId: 1 })).toBe('ok');
  });

  it('checks ownership before saying what the task is', () => {
    const bob: Principal = { user: 'bob', admin: false, kind: 'api', tokenId: 1 };
    expect(codeFor(bob, { ...vps, kind: 'command' })).toBe('KAWA_ERR_FORBIDDEN');
    expect(codeFor(bob, { ...vps, status: 'completed' })).toBe('KAWA_ERR_FORBIDDEN');
    const alice: Principal = { user: 'alice', admin: false, kind: 'api', tokenId: 1 };
    expect(codeFor(alice, { ...vps, kind: 'command' })).toBe('KAWA_ERR_NOT_A_VPS');
    expect(codeFor(alice, { ...vps, status: 'stopped' })).toBe('KAWA_ERR_INVALID_STATE');
    expect(codeFor(alice, vps, false)).toBe('KAWA_ERR_RUNNER_UNAVAILABLE');
  });
});

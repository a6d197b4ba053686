import { describe, expect, it } from 'vitest';
import { parseOrThrow } from './errors.js';
import { SubmitTaskRequestSchema, canTransition, finalStatuses, parseMountSpec, taskStatuses } from './task.js';

const codeOf = (body: unknown): string => {
  try {
    parseOrThrow(SubmitTaskRequestSchema, body, 'task');
    return 'ok';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('parseMountSpec', () => {
  it.each([
    ['/a:/b', { source: '/a', target: '/b', readOnly: false }],
    ['/a:/b:ro', { source: '/a', target: '/b', readOnly: true }],
    ['/a:/b:rw', { source: '/a', target: '/b', readOnly: false }],
    ['/a', null],
    ['/a:/b:rx', null],
    ['/a:/b:ro:x', null],
  ])('parses %s', (text, expected) => {
    expect(parseMountSpec(text)).toEqual(expected);
  });
});

describe('SubmitTaskRequestSchema', () => {
  it('fills defaults', () => {
    expect(parseOrThrow(SubmitTaskRequestSchema, { command: ['true'] }, 'task')).toEqual({
      command: ['true'],
      targets: [],
      cores: 1,
      memory: null,
      env: {},
      workdir: null,
      mounts: [],
      privileged: false,
      privateNetwork: false,
      privatePid: false,
      priority: 0,
      gpus: 0,
      numa: null,
      sweep: false,
      maxParallel: null,
      retry: 0,
      retryOnFail: false,
    });
  });

  it.each([
    [{ command: ['x'], targets: ['node:x'] }, 'KAWA_ERR_BAD_TARGET'],
    [{ command: ['x'], targets: ['::'] }, 'KAWA_ERR_BAD_TARGET'],
    [{ command: ['x'], targets: ['node::a'] }, 'KAWA_ERR_BAD_TARGET'],
    [{ command: ['x'], cores: -1 }, 'KAWA_ERR_BAD_CORES'],
    [{ command: ['x'], cores: 1e12 }, 'KAWA_ERR_BAD_CORES'],
    [{ command: ['x'], memory: '12Q' }, 'KAWA_ERR_BAD_MEMORY'],
    [{ command: ['x'], memory: -5 }, 'KAWA_ERR_BAD_MEMORY'],
    [{ command: [] }, 'KAWA_ERR_EMPTY_COMMAND'],
    [{ command: [''] }, 'KAWA_ERR_EMPTY_COMMAND'],
    [{ command: ['x'], env: { 'BAD-NAME': '1' } }, 'KAWA_ERR_BAD_ENV'],
    [{ command: ['x'], workdir: 'relative' }, 'KAWA_ERR_BAD_REQUEST'],
    [{ command: ['x'], container: 'Bad Name' }, 'KAWA_ERR_BAD_ENV_NAME'],
    [{ command: ['x'], container: 'a/b' }, 'KAWA_ERR_BAD_ENV_NAME'],
    [{ command: ['x'], container: 'a..b' }, 'KAWA_ERR_BAD_ENV_NAME'],
    [{ command: ['x'], container: 'Upper' }, 'KAWA_ERR_BAD_ENV_NAME'],
    [{ command: ['x'], container: 'x'.repeat(65) }, 'KAWA_ERR_BAD_ENV_NAME'],
    [{ command: ['x'], container: 'x'.repeat(64) }, 'ok'],
    [{ command: ['x'], container: 'py3.11_cuda-12' }, 'ok'],
    [{ command: ['x'], image: 'debian:12' }, 'ok'],
    [{ command: ['x'], image: 'registry.lab:5000/team/img:v1.2' }, 'ok'],
    [{ command: ['x'], image: 'Debian 12' }, 'KAWA_ERR_BAD_IMAGE'],
    [{ command: ['x'], image: 'debian:12', container: 'env' }, 'KAWA_ERR_BAD_REQUEST'],
    [{ command: ['x'], mounts: [{ source: '/data', target: '/data', readOnly: true }] }, 'ok'],
    [{ command: ['x'], mounts: [{ source: 'data', target: '/data' }] }, 'KAWA_ERR_BAD_MOUNT'],
    [{ command: ['x'], mounts: [{ source: '/data/../etc', target: '/data' }] }, 'KAWA_ERR_BAD_MOUNT'],
    [{ command: ['x'], mounts: [{ source: '/data', target: '/shared/x' }] }, 'KAWA_ERR_BAD_MOUNT'],
    [{ command: ['x'], mounts: [{ source: '/data', target: '/' }] }, 'KAWA_ERR_BAD_MOUNT'],
    [{ command: ['x'], mounts: [{ source: '/', target: '/host' }] }, 'KAWA_ERR_BAD_MOUNT'],
    [{ command: ['x'], container: 'NULL', mounts: [{ source: '/data', target: '/data' }] }, 'KAWA_ERR_BAD_MOUNT'],
    [{ command: ['x'], container: 'NULL', privileged: true }, 'KAWA_ERR_BAD_REQUEST'],
    [{ command: ['x'], gpus: 2, targets: ['n::0'] }, 'KAWA_ERR_BAD_TARGET'],
    [{ command: ['x'], gpus: 2, targets: ['n'] }, 'ok'],
    [{ command: ['x'], numa: 'auto', targets: ['n:0'] }, 'KAWA_ERR_BAD_TARGET'],
    [{ command: ['x'], numa: 'auto' }, 'ok'],
    [{ command: ['x'], retryOnFail: true }, 'KAWA_ERR_BAD_REQUEST'],
    [{ command: ['x'], retry: 2, retryOnFail: true, priority: 10, maxParallel: 3 }, 'ok'],
    [{ command: ['x'], priority: 5000 }, 'KAWA_ERR_BAD_REQUEST'],
    [{ command: 'echo hi' }, 'KAWA_ERR_BAD_REQUEST'],
    [{ command: ['x'], surprise: true }, 'KAWA_ERR_BAD_REQUEST'],
  ])('rejects %j with %s', (body, code) => {
    expect(codeOf(body)).toBe(code);
  });
});

describe('task state machine', () => {
  it('never leaves a final state, except lost → running', () => {
    for (const from of finalStatuses) {
      for (const to of taskStatuses) {
        expect(canTransition(from, to)).toBe(from === 'lost' && to === 'running');
      }
    }
  });

  it('lets paused and syncing tasks be killed', () => {
    expect(canTransition('paused', 'killed')).toBe(true);
    expect(canTransition('syncing', 'killed')).toBe(true);
    expect(canTransition('pending', 'running')).toBe(false);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_PREFIX, ErrorBodySchema, type ErrorCode } from '@kawa/protocol';
import { createTestHost, type TestHost } from '../testing/test-host.js';

const TASKS = `${API_PREFIX}/tasks`;

/** Bad input is a 4xx with a specific code, never a 5xx. */
describe('bad input', () => {
  let host: TestHost;
  beforeEach(() => {
    host = createTestHost();
  });
  afterEach(() => host.close());

  const submits: [string, unknown, ErrorCode][] = [
    ['target node:x', { command: ['true'], targets: ['node:x'] }, 'KAWA_ERR_BAD_TARGET'],
    ['target ::', { command: ['true'], targets: ['::'] }, 'KAWA_ERR_BAD_TARGET'],
    ['target node::a', { command: ['true'], targets: ['node::a'] }, 'KAWA_ERR_BAD_TARGET'],
    ['target node::1,1', { command: ['true'], targets: ['node::1,1'] }, 'KAWA_ERR_BAD_TARGET'],
    ['empty target', { command: ['true'], targets: [''] }, 'KAWA_ERR_BAD_TARGET'],
    ['negative cores', { command: ['true'], cores: -1 }, 'KAWA_ERR_BAD_CORES'],
    ['huge cores', { command: ['true'], cores: 1e9 }, 'KAWA_ERR_BAD_CORES'],
    ['memory 12Q', { command: ['true'], memory: '12Q' }, 'KAWA_ERR_BAD_MEMORY'],
    ['memory 0', { command: ['true'], memory: 0 }, 'KAWA_ERR_BAD_MEMORY'],
    ['empty command', { command: [] }, 'KAWA_ERR_EMPTY_COMMAND'],
    ['empty argv0', { command: [''] }, 'KAWA_ERR_EMPTY_COMMAND'],
    ['command as a string', { command: 'echo hi' }, 'KAWA_ERR_BAD_REQUEST'],
    ['no command', {}, 'KAWA_ERR_BAD_REQUEST'],
    ['unknown field', { command: ['true'], shell: true }, 'KAWA_ERR_BAD_REQUEST'],
    ['bad env name', { command: ['true'], env: { '1A': 'x' } }, 'KAWA_ERR_BAD_ENV'],
    ['relative workdir', { command: ['true'], workdir: 'tmp' }, 'KAWA_ERR_BAD_REQUEST'],
    ['a JSON array', [1, 2], 'KAWA_ERR_BAD_REQUEST'],
    ['JSON null', null, 'KAWA_ERR_BAD_REQUEST'],
  ];

  for (const [name, payload, code] of submits) {
    it(`refuses a submit with ${name} as ${code}`, async () => {
      const response = await host.app.inject({
        method: 'POST',
        url: TASKS,
        headers: { ...host.admin, 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      });
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
      expect(ErrorBodySchema.parse(response.json()).error.code).toBe(code);
    });
  }

  const reads: [string, string, number, ErrorCode][] = [
    ['unknown task', `${TASKS}/999`, 404, 'KAWA_ERR_TASK_NOT_FOUND'],
    ['unknown task events', `${TASKS}/999/events`, 404, 'KAWA_ERR_TASK_NOT_FOUND'],
    ['unknown task logs', `${TASKS}/999/logs`, 404, 'KAWA_ERR_TASK_NOT_FOUND'],
    ['unknown task wait', `${TASKS}/999/wait?timeoutMs=0`, 404, 'KAWA_ERR_TASK_NOT_FOUND'],
    ['non-numeric id', `${TASKS}/abc`, 400, 'KAWA_ERR_BAD_REQUEST'],
    ['zero id', `${TASKS}/0`, 400, 'KAWA_ERR_BAD_REQUEST'],
    ['huge id', `${TASKS}/99999999999999999999`, 400, 'KAWA_ERR_BAD_REQUEST'],
    ['bad status filter', `${TASKS}?status=done`, 400, 'KAWA_ERR_BAD_REQUEST'],
    ['bad limit', `${TASKS}?limit=0`, 400, 'KAWA_ERR_BAD_REQUEST'],
    ['unknown query key', `${TASKS}?colour=red`, 400, 'KAWA_ERR_BAD_REQUEST'],
    ['repeated query key', `${TASKS}?limit=1&limit=2`, 400, 'KAWA_ERR_BAD_REQUEST'],
    ['tail and offset', `${TASKS}/1/logs?tail=1&offset=0`, 400, 'KAWA_ERR_BAD_REQUEST'],
    ['negative wait', `${TASKS}/1/wait?timeoutMs=-1`, 400, 'KAWA_ERR_BAD_REQUEST'],
    ['unknown node', `${API_PREFIX}/nodes/nope`, 404, 'KAWA_ERR_NODE_NOT_FOUND'],
  ];

  for (const [name, url, status, code] of reads) {
    it(`answers ${name} with ${status} ${code}`, async () => {
      const response = await host.app.inject({ method: 'GET', url, headers: host.admin });
      expect(response.statusCode).toBe(status);
      expect(ErrorBodySchema.parse(response.json()).error.code).toBe(code);
    });
  }

  it('answers kill, pause and resume of an unknown task with 404', async () => {
    for (const action of ['kill', 'pause', 'resume']) {
      const response = await host.app.inject({ method: 'POST', url: `${TASKS}/999/${action}`, headers: host.admin });
      expect(response.statusCode).toBe(404);
      expect(ErrorBodySchema.parse(response.json()).error.code).toBe('KAWA_ERR_TASK_NOT_FOUND');
    }
  });

  it('refuses a body on kill other than {}', async () => {
    const response = await host.app.inject({
      method: 'POST',
      url: `${TASKS}/1/kill`,
      headers: host.admin,
      payload: { force: true },
    });
    expect(response.statusCode).toBe(400);
  });
});

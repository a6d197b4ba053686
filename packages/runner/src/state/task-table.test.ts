import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskRecord } from './task-record.js';
import { openTaskTable } from './task-table.js';

function record(id: number, status: TaskRecord['status'] = 'running'): TaskRecord {
  return {
    version: 1,
    spec: {
      id,
      kind: 'command',
      publicKey: null,
      batchId: 1,
      command: ['true'],
      env: {},
      workdir: null,
      container: null,
      image: null,
      mounts: [],
      privileged: false,
      cores: 1,
      memoryBytes: null,
      numa: null,
      gpus: [],
      privateNetwork: false,
      privatePid: false,
    },
    status,
    pid: 1234,
    pgid: 1234,
    cgroupDriver: 'v1',
    cgroupDirs: [`/sys/fs/cgroup/cpu/kawa/node/task-${id}`],
    systemdUnit: null,
    startedAt: 1,
    pidStartTime: null,
    pausedWith: null,
    final: null,
  };
}

describe('task table', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'kawa-table-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('writes one file per task, replaces it atomically and removes it', async () => {
    const table = await openTaskTable(stateDir);
    await table.put(record(1));
    await table.put(record(2));
    await table.put(record(1, 'paused'));
    expect((await table.list()).map((entry) => [entry.spec.id, entry.status])).toEqual([
      [1, 'paused'],
      [2, 'running'],
    ]);
    await table.remove(1);
    expect((await readdir(table.dir)).sort()).toEqual(['2.json']);
  });

  it('keeps the order of writes and removes for one task', async () => {
    const table = await openTaskTable(stateDir);
    const writes = [table.put(record(7)), table.put(record(7, 'paused')), table.remove(7)];
    await Promise.all(writes);
    expect(await table.list()).toEqual([]);
  });

  it('skips and reports files that do not parse', async () => {
    const table = await openTaskTable(stateDir);
    await table.put(record(3));
    await writeFile(join(table.dir, '4.json'), '{"version":1}');
    await writeFile(join(table.dir, '5.json'), 'not json');
    const invalid: string[] = [];
    expect((await table.list((file) => invalid.push(file))).map((entry) => entry.spec.id)).toEqual([3]);
    expect(invalid.sort()).toEqual(['4.json', '5.json']);
  });
});

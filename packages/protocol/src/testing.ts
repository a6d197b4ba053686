import type { Task } from './task.js';

/**
 * Test fixtures built from the contract, for the packages whose tests fake the host (client,
 * cli, web). Imported as `@kawa/protocol/testing`; nothing in production imports it.
 */

/** A valid Task (a running command task, submitted 5 s ago) with the given fields. */
export function makeTask(fields: Partial<Task> = {}): Task {
  return {
    id: 1,
    kind: 'command',
    publicKey: null,
    batchId: 1,
    owner: 'admin',
    command: ['echo', 'hello'],
    env: {},
    workdir: null,
    container: null,
    image: null,
    mounts: [],
    privileged: false,
    cores: 1,
    memoryBytes: null,
    target: null,
    node: 'node1',
    numa: null,
    gpus: [],
    privateNetwork: false,
    privatePid: false,
    priority: 0,
    gpuCount: 0,
    numaAuto: false,
    maxParallel: null,
    retry: 0,
    retryOnFail: false,
    attempt: 1,
    status: 'running',
    reason: null,
    exitCode: null,
    syncProgress: null,
    submittedAt: Date.now() - 5_000,
    startedAt: Date.now() - 4_000,
    endedAt: null,
    ...fields,
  };
}

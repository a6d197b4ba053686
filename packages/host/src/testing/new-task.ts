import type { NewTask } from '../store/task-repo.js';

/** A minimal task row for store-level tests: `true`, one core, no target. */
export function newTask(fields: Partial<NewTask> = {}): NewTask {
  return {
    kind: 'command',
    publicKey: null,
    owner: 'admin',
    command: ['true'],
    env: {},
    workdir: null,
    container: null,
    image: null,
    mounts: [],
    privileged: false,
    cores: 1,
    memoryBytes: null,
    target: null,
    privateNetwork: false,
    privatePid: false,
    priority: 0,
    gpuCount: 0,
    numaAuto: false,
    maxParallel: null,
    retry: 0,
    retryOnFail: false,
    ...fields,
  };
}

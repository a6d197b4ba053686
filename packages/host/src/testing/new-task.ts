import type { NewTask } from '../store/task-repo.js';

/** A minimal task row for store-level tests: `true`, one core, no target. */
export function newTask(fields: Partial<NewTask> = {}): NewTask {
  return {
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
    ...fields,
  };
}

import type { Task, TaskSpec } from '@kawa/protocol';

/** What the runner gets in `task-start`: the task without host bookkeeping. */
export function toTaskSpec(task: Task): TaskSpec {
  return {
    id: task.id,
    kind: task.kind,
    publicKey: task.publicKey,
    batchId: task.batchId,
    command: task.command,
    env: task.env,
    workdir: task.workdir,
    container: task.container,
    image: task.image,
    mounts: task.mounts,
    privileged: task.privileged,
    cores: task.cores,
    memoryBytes: task.memoryBytes,
    numa: task.numa,
    gpus: task.gpus,
    privateNetwork: task.privateNetwork,
    privatePid: task.privatePid,
  };
}

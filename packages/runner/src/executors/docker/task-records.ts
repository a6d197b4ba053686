import type { RunnerReportedStatus } from '@kawa/protocol';
import type { Logger } from '../../logger.js';
import type { TaskRecord } from '../../state/task-record.js';
import type { TaskTable } from '../../state/task-table.js';
import { errorMessage } from '../../util/errno.js';
import type { DockerTask } from './docker-task.js';

/** Most final events reach the host within this delay, and their record is never written. */
const FINAL_RECORD_DELAY_MS = 250;

export interface DockerTaskRecords {
  /** The task's state changed while its container exists. */
  put(task: DockerTask, status: RunnerReportedStatus): void;
  /** The final state: written only if the host has not received it after a short delay. */
  final(task: DockerTask, status: RunnerReportedStatus, final: NonNullable<TaskRecord['final']>): void;
  /** A record of an earlier run of the runner, taken over: it goes like the others once delivered. */
  adopted(taskId: number): void;
  /** The host has the final event: the record can go. */
  delivered(taskId: number): void;
  /** Writes every pending final record now (shutdown) and waits for all writes. */
  flush(): Promise<void>;
}

/**
 * Docker tasks in the runner's task table, in the same `<state_dir>/tasks/<id>.json` files as
 * no-Docker tasks, so one restarted runner finds both. A Docker task has no pid and no cgroup
 * of the runner's own (pid null, driver `none`); its spec names the image, and its container
 * is `kawa-task-<id>` with labels, which is what an adoption would look for.
 */
export function createDockerTaskRecords(table: TaskTable, logger: Logger): DockerTaskRecords {
  const recorded = new Set<number>();
  const pendingFinals = new Map<number, { timer: NodeJS.Timeout; write: () => void }>();
  const writes = new Set<Promise<void>>();

  function write(task: DockerTask, status: RunnerReportedStatus, final: TaskRecord['final']): void {
    recorded.add(task.spec.id);
    const record: TaskRecord = {
      version: 1,
      spec: task.spec,
      status,
      pid: null,
      pgid: null,
      cgroupDriver: 'none',
      cgroupDirs: [],
      systemdUnit: null,
      startedAt: task.startedAt,
      pidStartTime: null,
      pausedWith: null,
      final,
    };
    const tracked = table
      .put(record)
      .catch((error: unknown) =>
        logger.warn(`cannot write the state of task ${task.spec.id} to ${table.dir}: ${errorMessage(error)}`),
      );
    writes.add(tracked);
    void tracked.then(() => writes.delete(tracked));
  }

  return {
    put: (task, status) => write(task, status, null),
    adopted: (taskId) => void recorded.add(taskId),
    final(task, status, final) {
      const writeNow = (): void => {
        pendingFinals.delete(task.spec.id);
        write(task, status, final);
      };
      const timer = setTimeout(writeNow, FINAL_RECORD_DELAY_MS);
      timer.unref();
      pendingFinals.set(task.spec.id, { timer, write: writeNow });
    },
    delivered(taskId) {
      clearTimeout(pendingFinals.get(taskId)?.timer);
      pendingFinals.delete(taskId);
      if (!recorded.delete(taskId)) return;
      const tracked = table
        .remove(taskId)
        .catch((error: unknown) => logger.warn(`cannot remove the state of task ${taskId}: ${errorMessage(error)}`));
      writes.add(tracked);
      void tracked.then(() => writes.delete(tracked));
    },
    async flush() {
      for (const { timer, write: writeNow } of [...pendingFinals.values()]) {
        clearTimeout(timer);
        writeNow();
      }
      await Promise.all(writes);
    },
  };
}

import { isFinalStatus, restartableStatuses, type HelloFrame, type TaskEventFrame } from '@kawa/protocol';

type LiveTask = HelloFrame['liveTasks'][number];

/**
 * Whether the task is over on this node: a final state, or a stopped VPS (not final for the
 * host, which may start it again, but nothing of it is left here).
 */
export function endsOnNode(status: TaskEventFrame['status']): boolean {
  return isFinalStatus(status) || restartableStatuses.has(status);
}
type LiveStatus = 'running' | 'paused';

interface PendingFinal {
  status: TaskEventFrame['status'];
  /** The last live state the task reported, if it ever ran. */
  lastLive: LiveStatus | null;
  /** The outbox had to drop the final event, so hello is the only way left to tell it. */
  dropped: boolean;
}

/**
 * Tracks task events on their way to the host, to build hello's `liveTasks` after a drop.
 *
 * A task that ended while the link was down (or a VPS that stopped) still counts as live until
 * its final event is delivered. hello lists it with its last live state, and the queued final event follows right
 * after welcome, carrying the exit code and message. Listing it with its final state instead
 * would let the host close it without them; leaving it out would make the host mark it lost.
 */
export class PendingReports {
  private readonly lastLive = new Map<number, LiveStatus>();
  private readonly finals = new Map<number, PendingFinal>();

  /**
   * A task taken over from an earlier run of the runner, last known `lastLive` (null when it
   * never ran): its ending, reported next, is listed in hello with that state until delivered.
   */
  adopted(taskId: number, lastLive: LiveStatus | null): void {
    if (lastLive !== null) this.lastLive.set(taskId, lastLive);
  }

  /** Every event, as it is produced. */
  produced(frame: TaskEventFrame): void {
    if (frame.status === 'running' || frame.status === 'paused') {
      this.lastLive.set(frame.taskId, frame.status);
    } else if (endsOnNode(frame.status)) {
      this.finals.set(frame.taskId, {
        status: frame.status,
        lastLive: this.lastLive.get(frame.taskId) ?? null,
        dropped: false,
      });
      this.lastLive.delete(frame.taskId);
    }
  }

  delivered(frame: TaskEventFrame): void {
    if (endsOnNode(frame.status)) this.finals.delete(frame.taskId);
  }

  dropped(frame: TaskEventFrame): void {
    const pending = this.finals.get(frame.taskId);
    if (pending && pending.status === frame.status) pending.dropped = true;
  }

  /** hello's liveTasks: the executor's running and paused tasks plus undelivered endings. */
  liveTasks(executorLive: readonly LiveTask[]): LiveTask[] {
    const tasks = [...executorLive];
    for (const [taskId, pending] of this.finals) {
      tasks.push({ taskId, status: pending.dropped || pending.lastLive === null ? pending.status : pending.lastLive });
    }
    return tasks;
  }
}

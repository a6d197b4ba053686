import type { TaskEventFrame } from '@kawa/protocol';
import { waitFor } from './wait-for.js';

/** Waits until `events` holds an event of `taskId` with one of `statuses`; the error lists what it saw. */
export function waitForTaskEvent(
  events: readonly TaskEventFrame[],
  taskId: number,
  statuses: readonly TaskEventFrame['status'][],
  timeoutMs: number,
): Promise<TaskEventFrame> {
  return waitFor(
    () => events.find((event) => event.taskId === taskId && statuses.includes(event.status)),
    `task ${taskId} to report ${statuses.join('/')} (saw ${JSON.stringify(events.filter((event) => event.taskId === taskId))})`,
    timeoutMs,
  );
}

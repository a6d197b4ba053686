import type { ErrorCode, RunnerReportedStatus, TaskEventFrame } from '@kawa/protocol';

/** What an event says besides the state; each part is null when absent. */
export interface EventDetails {
  exitCode?: number | null;
  message?: string | null;
  errorCode?: ErrorCode | null;
}

/** Messages longer than the protocol's limit are cut, never refused. */
const MAX_MESSAGE = 4096;

/** The task-event frame of a Docker task or VPS changing state. */
export function taskEventFrame(
  taskId: number,
  status: RunnerReportedStatus,
  details: EventDetails,
  at: number,
): TaskEventFrame {
  const message = details.message ?? null;
  return {
    type: 'task-event',
    taskId,
    status,
    exitCode: details.exitCode ?? null,
    message: message === null ? null : message.slice(0, MAX_MESSAGE),
    errorCode: details.errorCode ?? null,
    at,
  };
}

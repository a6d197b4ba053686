import type { StreamKind } from '@kawa/protocol';
import type { ContainerLookup } from '../executors/docker/docker-task.js';
import type { ControlOutcome } from '../executors/process/task-control.js';

/** What the runner knows of the task a stream is for. */
export type StreamSubject = ContainerLookup | { kind: 'no-docker' } | null;

type Refusal = Extract<ControlOutcome, { ok: false }>;

/**
 * Where a stream of `kind` into task `taskId` goes: its container's id, or why it is refused.
 * Pure, so every refusal is tested without an engine. SSH needs a VPS that runs or is paused
 * (its connection then stalls until the resume, as SSH into a frozen machine does); a terminal
 * needs a running Docker task or VPS (an exec cannot start in a frozen container).
 */
export function streamTarget(
  kind: StreamKind,
  taskId: number,
  subject: StreamSubject,
  nodeName: string,
): { containerId: string } | Refusal {
  const refuse = (code: Refusal['code'], message: string): Refusal => ({ ok: false, code, message });
  if (subject === null) return refuse('KAWA_ERR_TASK_NOT_FOUND', `node ${nodeName} has no live task ${taskId}`);
  if (subject.kind === 'no-docker') {
    return kind === 'ssh'
      ? refuse('KAWA_ERR_NOT_A_VPS', `task ${taskId} is a command task; SSH needs a VPS`)
      : refuse(
          'KAWA_ERR_INVALID_STATE',
          `task ${taskId} runs without Docker (--container NULL); terminals need a Docker task`,
        );
  }
  if (kind === 'ssh' && subject.kind !== 'vps')
    return refuse('KAWA_ERR_NOT_A_VPS', `task ${taskId} is a command task; SSH needs a VPS`);
  const what = subject.kind === 'vps' ? 'VPS' : 'task';
  const usable = subject.status === 'running' || (kind === 'ssh' && subject.status === 'paused');
  if (!usable || subject.containerId === null) {
    const why: Record<ContainerLookup['status'], string> = {
      syncing: 'still syncing its image',
      starting: 'still starting',
      running: 'starting',
      paused: 'paused; resume it to open a terminal',
      ending: 'ending',
    };
    return refuse('KAWA_ERR_INVALID_STATE', `${what} ${taskId} is ${why[subject.status]}`);
  }
  return { containerId: subject.containerId };
}

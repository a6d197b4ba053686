import { isKawaError, type TaskSpec } from '@kawa/protocol';
import { errorMessage } from '../../util/errno.js';
import type { FinalOutcome } from '../process/exit-status.js';

/**
 * What the OCI runtime says when the task's own command cannot start: not found, not
 * executable, or a working dir that cannot be made. Docker reports all of them as a failed
 * start (HTTP 400/500), indistinguishable by status from an engine fault.
 */
const SPAWN_PROBLEM =
  /executable file not found|no such file or directory|permission denied|not a directory|is a directory|exec format error|Cannot mkdir/i;

/** The runtime's words without the layers of wrapping ("failed to create shim task: OCI runtime …"). */
export function runtimeReason(message: string): string {
  const inner = /unable to start container process: (.*)$/s.exec(message)?.[1] ?? message;
  return inner.replace(/: unknown\s*$/, '').trim();
}

/**
 * The final outcome of a task whose container could not be created or started. The user's
 * mistakes (a command the image lacks) are KAWA_ERR_SPAWN_FAILED with the runtime's reason;
 * the engine's own failures keep their code and message.
 */
export function startFailure(error: unknown, spec: TaskSpec, nodeName: string): FinalOutcome {
  if (isKawaError(error)) {
    if (error.code === 'KAWA_ERR_DOCKER_FAILED' && SPAWN_PROBLEM.test(error.message)) {
      return {
        status: 'failed',
        exitCode: null,
        message: `the command "${spec.command[0] ?? ''}" could not start in its container on node ${nodeName}: ${runtimeReason(error.message)}`,
        errorCode: 'KAWA_ERR_SPAWN_FAILED',
      };
    }
    return { status: 'failed', exitCode: null, message: error.message, errorCode: error.code };
  }
  // Local trouble before the container exists: the log dir or the scratch dir.
  return {
    status: 'failed',
    exitCode: null,
    message: `node ${nodeName} could not start the task: ${errorMessage(error)}`,
    errorCode: 'KAWA_ERR_SPAWN_FAILED',
  };
}

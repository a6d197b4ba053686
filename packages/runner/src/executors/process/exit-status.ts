import { constants } from 'node:os';
import { formatMemory, type ErrorCode } from '@kawa/protocol';

export type FinalStatus = 'completed' | 'failed' | 'oom' | 'killed';

export interface ExitFacts {
  code: number | null;
  signal: NodeJS.Signals | null;
  oomKilled: boolean;
  /** The runner killed the task (kill command or shutdown). */
  killRequested: boolean;
  memoryBytes: number | null;
}

export interface FinalOutcome {
  status: FinalStatus;
  exitCode: number | null;
  message: string | null;
  errorCode: ErrorCode | null;
}

/** The shell convention: a process killed by signal N reports 128 + N. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number | null {
  if (code !== null) return code;
  if (signal === null) return null;
  const number = constants.signals[signal] as number | undefined;
  return number === undefined ? null : 128 + number;
}

/** Maps how a task's process ended to its final state, in the order DESIGN.md gives. */
export function classifyExit(facts: ExitFacts): FinalOutcome {
  const exitCode = exitCodeOf(facts.code, facts.signal);
  if (facts.oomKilled) {
    const limit =
      facts.memoryBytes === null ? 'its memory limit' : `its memory limit of ${formatMemory(facts.memoryBytes)}`;
    return {
      status: 'oom',
      exitCode,
      message: `out of memory: the kernel killed the task at ${limit}`,
      errorCode: null,
    };
  }
  if (facts.killRequested) return { status: 'killed', exitCode, message: 'killed on request', errorCode: null };
  if (exitCode === 0) return { status: 'completed', exitCode, message: null, errorCode: null };
  if (facts.signal !== null)
    return { status: 'failed', exitCode, message: `killed by signal ${facts.signal}`, errorCode: null };
  // Shells (and the runner's exec wrapper) exit 126/127 when a command cannot be executed or
  // is not found. The runner checks the command before spawning, so these mostly come from a
  // command the task itself runs; stderr.log holds the shell's words.
  if (exitCode === 126) {
    return {
      status: 'failed',
      exitCode,
      message:
        'exit code 126: a command could not be executed (permission denied or not an executable); see stderr.log',
      errorCode: 'KAWA_ERR_SPAWN_FAILED',
    };
  }
  if (exitCode === 127) {
    return {
      status: 'failed',
      exitCode,
      message: 'exit code 127: a command was not found; see stderr.log',
      errorCode: 'KAWA_ERR_SPAWN_FAILED',
    };
  }
  return { status: 'failed', exitCode, message: `exited with code ${exitCode ?? 'unknown'}`, errorCode: null };
}

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import process from 'node:process';
import { KawaError } from '@kawa/protocol';

/** What a finished program gave back. */
export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The programs the CLI runs (ssh, ssh-keygen), behind an interface so tests can see the argv. */
export interface ProcessRunner {
  /**
   * Runs `file` on this process's own stdin, stdout and stderr, as if the user had typed it,
   * and resolves with its exit code (128+N after signal N). SIGINT is left to the program
   * (the terminal sends it to both); SIGTERM and SIGHUP are passed on to it.
   */
  runAttached(
    file: string,
    args: readonly string[],
    env: Readonly<Record<string, string | undefined>>,
  ): Promise<number>;
  /** Runs `file` to its end with no input and collects its output. */
  run(file: string, args: readonly string[]): Promise<ProcessResult>;
}

/** ENOENT and friends as a coded error that says what to install. */
function spawnFailed(file: string, error: Error): KawaError {
  const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
  const hint = missing
    ? `${file} is not on PATH: install the OpenSSH client (Debian/Ubuntu: apt-get install openssh-client)`
    : `cannot start ${file}: ${error.message}`;
  return new KawaError('KAWA_ERR_SPAWN_FAILED', hint, { cause: error });
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
}

/** Passes SIGTERM and SIGHUP on to `child` and holds SIGINT (the child gets its own); returns the remover. */
function forwardSignals(child: ReturnType<typeof spawn>): () => void {
  const handlers = (['SIGTERM', 'SIGHUP'] as const).map((name) => [name, () => child.kill(name)] as const);
  const ignore = (): void => undefined;
  for (const [name, handler] of handlers) process.on(name, handler);
  process.on('SIGINT', ignore);
  return () => {
    for (const [name, handler] of handlers) process.off(name, handler);
    process.off('SIGINT', ignore);
  };
}

/** This machine's programs, spawned for real. */
export function systemProcesses(): ProcessRunner {
  return {
    runAttached(file, args, env) {
      return new Promise((resolve, reject) => {
        const child = spawn(file, [...args], { stdio: 'inherit', env: { ...env } });
        const undo = forwardSignals(child);
        child.once('error', (error) => {
          undo();
          reject(spawnFailed(file, error));
        });
        child.once('exit', (code, signal) => {
          undo();
          resolve(exitCodeOf(code, signal));
        });
      });
    },
    run(file, args) {
      return new Promise((resolve, reject) => {
        const child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        child.once('error', (error) => reject(spawnFailed(file, error)));
        child.once('close', (code, signal) => resolve({ code: exitCodeOf(code, signal), stdout, stderr }));
      });
    },
  };
}

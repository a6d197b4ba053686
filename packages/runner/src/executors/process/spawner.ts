import { spawn } from 'node:child_process';

export interface SpawnRequest {
  file: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd: string;
  /** Open file descriptors the child gets as stdout and stderr. */
  stdoutFd: number;
  stderrFd: number;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedProcess {
  pid: number;
  exited: Promise<ProcessExit>;
}

/** Starts processes; the one seam between the executor and child_process. */
export interface Spawner {
  /** Resolves once the process exists; rejects with the system error (ENOENT, EACCES, …) otherwise. */
  spawn(request: SpawnRequest): Promise<SpawnedProcess>;
}

/**
 * Spawns each task in its own session (detached), so its process group is its pid and can be
 * signalled as a whole, with stdin closed and stdout/stderr on the given fds: no pipes
 * through the runner.
 */
export const nodeSpawner: Spawner = {
  spawn(request) {
    return new Promise((resolve, reject) => {
      const child = spawn(request.file, request.args, {
        cwd: request.cwd,
        env: request.env,
        detached: true,
        stdio: ['ignore', request.stdoutFd, request.stderrFd],
      });
      const exited = new Promise<ProcessExit>((resolveExit) => {
        child.once('exit', (code, signal) => resolveExit({ code, signal }));
      });
      if (child.pid === undefined) {
        child.once('error', reject);
        return;
      }
      // Later errors (a failed kill) must not crash the runner; exit still arrives.
      child.on('error', () => {});
      resolve({ pid: child.pid, exited });
    });
  },
};

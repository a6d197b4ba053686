import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { closeFd, openForWrite } from '../../util/fd.js';

export interface SpawnRequest {
  file: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd: string;
  /**
   * Dirs made (with their parents) before anything else, e.g. the task's log dir and scratch
   * dir: by the spawner, so that the runner's event loop does not wait for them first.
   */
  dirs?: readonly string[];
  /** Files the child's stdout and stderr go to, created or truncated. */
  stdoutPath: string;
  stderrPath: string;
  /**
   * Where the helper spawner writes the exit status of a task that outlives the runner (or ran
   * long enough that the runner may have recorded it): `<state_dir>/tasks/<id>.exit`.
   */
  exitPath?: string;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The exit was not observed: whatever watched the process is gone. */
  lost?: boolean;
  /** The status was also written to the request's exitPath, which the runner removes later. */
  exitFile?: boolean;
}

export interface SpawnedProcess {
  pid: number;
  /**
   * The process's start time from /proc/<pid>/stat, when the spawner read it (null: it could
   * not); absent when the caller has to read it itself.
   */
  startTime?: string | null;
  exited: Promise<ProcessExit>;
}

/** Starts processes; the one seam between the executor and child_process. */
export interface Spawner {
  /** Resolves once the process exists; rejects with the system error (ENOENT, EACCES, …) otherwise. */
  spawn(request: SpawnRequest): Promise<SpawnedProcess>;
  close(): Promise<void>;
}

/**
 * Spawns from the runner's own thread. Each task runs in its own session (detached), so its
 * process group is its pid and can be signalled as a whole, with stdin closed and stdout and
 * stderr opened straight onto the log files: no pipes through the runner.
 */
export const nodeSpawner: Spawner = {
  async spawn(request) {
    for (const dir of request.dirs ?? []) await mkdir(dir, { recursive: true });
    const fds = await Promise.allSettled([openForWrite(request.stdoutPath), openForWrite(request.stderrPath)]);
    try {
      const [stdout, stderr] = fds.map((fd) => {
        if (fd.status === 'rejected') throw fd.reason;
        return fd.value;
      });
      return await spawnWithFds(request, stdout as number, stderr as number);
    } finally {
      await Promise.all(fds.flatMap((fd) => (fd.status === 'fulfilled' ? [closeFd(fd.value)] : [])));
    }
  },
  close: () => Promise.resolve(),
};

function spawnWithFds(request: SpawnRequest, stdout: number, stderr: number): Promise<SpawnedProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(request.file, request.args, {
      cwd: request.cwd,
      env: request.env,
      detached: true,
      stdio: ['ignore', stdout, stderr],
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
}

import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { logFileName, sharedLayout, type LogStream } from '@kawa/protocol';

/** A task's two log files on shared storage, open for appending while its container runs. */
export interface TaskLogFiles {
  stdout: WriteStream;
  stderr: WriteStream;
  /** Ends both files once every byte written to them is on disk (in the page cache). */
  close(): Promise<void>;
}

export const taskLogDir = (sharedDir: string, taskId: number): string =>
  join(sharedDir, sharedLayout.logs, String(taskId));

/**
 * Opens `<shared>/logs/<id>/{stdout,stderr}.log` for appending, as the no-Docker executor
 * writes them. Resolves once both are open, so an unwritable shared dir fails the task before
 * its container exists.
 */
export async function openTaskLogs(
  sharedDir: string,
  taskId: number,
  onError: (stream: LogStream, error: Error) => void,
): Promise<TaskLogFiles> {
  const dir = taskLogDir(sharedDir, taskId);
  await mkdir(dir, { recursive: true });
  const open = (stream: LogStream): Promise<WriteStream> =>
    new Promise((resolve, reject) => {
      const file = createWriteStream(join(dir, logFileName(stream)), { flags: 'a' });
      let isOpen = false;
      file.once('open', () => {
        isOpen = true;
        resolve(file);
      });
      // A write error later (disk full) must not crash the runner: it is reported, and the
      // task's log is cut short, which its reader sees.
      file.on('error', (error) => (isOpen ? onError(stream, error) : reject(error)));
    });
  const opened = await Promise.allSettled([open('stdout'), open('stderr')]);
  const [stdout, stderr] = opened.map((result) => (result.status === 'fulfilled' ? result.value : null));
  if (stdout == null || stderr == null) {
    stdout?.destroy();
    stderr?.destroy();
    const failed = opened.find((result) => result.status === 'rejected');
    throw failed?.reason;
  }
  let closing: Promise<void> | null = null;
  const end = (file: WriteStream): Promise<void> =>
    new Promise((resolve) => {
      if (file.closed || file.destroyed) return resolve();
      file.once('close', () => resolve());
      file.end();
    });
  return {
    stdout,
    stderr,
    close: () => (closing ??= Promise.all([end(stdout), end(stderr)]).then(() => undefined)),
  };
}

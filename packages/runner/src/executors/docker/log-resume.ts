import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { logFileName, type LogStream } from '@kawa/protocol';
import { taskLogDir } from './task-logs.js';

/** How many bytes of each stream a task's log files hold (0 for a missing file). */
export async function loggedBytes(sharedDir: string, taskId: number): Promise<Record<LogStream, number>> {
  const size = (stream: LogStream): Promise<number> =>
    stat(join(taskLogDir(sharedDir, taskId), logFileName(stream))).then(
      (found) => found.size,
      () => 0,
    );
  const [stdout, stderr] = await Promise.all([size('stdout'), size('stderr')]);
  return { stdout, stderr };
}

/**
 * Passes bytes on to `target` after dropping the first `skip`. An adopted container's log is
 * read again from its start (the engine keeps it whole), and what the log file already holds is
 * skipped, so the file goes on where the crashed runner left it: no line twice, none missing.
 * Output the crashed runner had received but not yet written is simply read again.
 */
export class SkipBytes extends Writable {
  constructor(
    private readonly target: Writable,
    private skip: number,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.skip >= chunk.length) {
      this.skip -= chunk.length;
      callback();
      return;
    }
    const rest = this.skip > 0 ? chunk.subarray(this.skip) : chunk;
    this.skip = 0;
    if (this.target.destroyed || this.target.write(rest)) {
      callback();
      return;
    }
    const go = (): void => {
      this.target.off('drain', go);
      this.target.off('close', go);
      callback();
    };
    this.target.on('drain', go);
    this.target.on('close', go);
  }
}

/** Resolves once everything written to `stream` has been passed on. */
export function finishWriting(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableFinished || stream.destroyed) {
      resolve();
      return;
    }
    stream.once('finish', () => resolve());
    stream.once('close', () => resolve());
    stream.end();
  });
}

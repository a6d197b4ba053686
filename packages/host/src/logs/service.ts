import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { KawaError, isFinalStatus, logFileName, sharedLayout, type LogsQuery } from '@kawa/protocol';
import type { Principal } from '../auth/principal.js';
import type { TaskRepo } from '../store/task-repo.js';
import { requireOwner } from '../tasks/ownership.js';
import type { FinalWaiters } from '../tasks/waiters.js';
import { FollowStream } from './follow-stream.js';
import { tailStart } from './tail.js';
import { assertContained } from '../paths/contained.js';

export interface LogAnswer {
  /** The log's size when the request came in. */
  size: number;
  body: Readable | string;
}

/** Reads task logs from the shared dir, where runners write them. */
export class LogsService {
  constructor(
    private readonly sharedDir: string,
    private readonly tasks: TaskRepo,
    private readonly waiters: FinalWaiters,
    private readonly pollMs: number,
  ) {}

  pathOf(taskId: number, stream: LogsQuery['stream']): string {
    return join(this.sharedDir, sharedLayout.logs, String(taskId), logFileName(stream));
  }

  /** A task's log, if `principal` owns the task or is an admin (else a 403). */
  async read(principal: Principal, taskId: number, query: LogsQuery): Promise<LogAnswer> {
    const task = this.tasks.get(taskId);
    if (!task) throw new KawaError('KAWA_ERR_TASK_NOT_FOUND', `no task has id ${taskId}`);
    requireOwner(principal, task, 'read the logs of');
    const path = this.pathOf(taskId, query.stream);
    const size = await sizeOf(path);

    let start = 0;
    let end = size;
    if (query.offset !== undefined) {
      if (query.offset > size) {
        throw new KawaError(
          'KAWA_ERR_BAD_RANGE',
          `offset ${query.offset} is beyond the end of the log (${size} bytes)`,
          {
            details: { size },
          },
        );
      }
      start = query.offset;
      end = query.length === undefined ? size : Math.min(size, start + query.length);
    } else if (query.tail !== undefined && size > 0) {
      const file = await open(path, 'r');
      try {
        start = await tailStart(file, size, query.tail);
      } finally {
        await file.close();
      }
    }

    if (query.follow) {
      const body = new FollowStream({
        path,
        start,
        isFinal: () => {
          const task = this.tasks.get(taskId);
          return task === null || isFinalStatus(task.status);
        },
        waitFinal: (signal) => this.waiters.waitFinal(taskId, null, signal),
        pollMs: this.pollMs,
      });
      return { size, body };
    }
    if (start >= end) return { size, body: '' };
    return { size, body: createReadStream(path, { start, end: end - 1 }) };
  }
}

/**
 * The log's size, 0 while it does not exist. Runners write these files on shared storage: a
 * `logs/<id>` dir or a log file that is a symlink (out of the shared dir, or into another task's
 * dir) is refused with KAWA_ERR_UNSAFE_PATH before anything is read through it.
 */
async function sizeOf(path: string): Promise<number> {
  const dir = dirname(path);
  await assertContained(dir, dirname(dir), 'the log dir');
  await assertContained(path, dir, 'the log file');
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

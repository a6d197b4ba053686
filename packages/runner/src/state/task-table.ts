import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../util/errno.js';
import { TaskRecordSchema, type TaskRecord } from './task-record.js';

/**
 * The runner's local task table: one JSON file per task under `<state_dir>/tasks`. Writes go
 * to a temp file and are renamed into place, so a crash leaves the old or the new record and
 * never half of one. Writes are not fsynced: the table is a hint for adoption after a runner
 * restart, and a fsync per state change would cost more than the whole task start.
 */
export interface TaskTable {
  readonly dir: string;
  put(record: TaskRecord): Promise<void>;
  remove(taskId: number): Promise<void>;
  /** Every readable record; files that do not parse are reported through `onInvalid` and skipped. */
  list(onInvalid?: (file: string, reason: string) => void): Promise<TaskRecord[]>;
}

export async function openTaskTable(stateDir: string): Promise<TaskTable> {
  const dir = join(stateDir, 'tasks');
  await mkdir(dir, { recursive: true });
  // Operations on one task run in order (a remove must not overtake the write before it).
  const pending = new Map<number, Promise<void>>();

  const enqueue = (taskId: number, operation: () => Promise<void>): Promise<void> => {
    const previous = pending.get(taskId) ?? Promise.resolve();
    const next = previous.then(operation, operation);
    pending.set(taskId, next);
    const forget = (): void => {
      if (pending.get(taskId) === next) pending.delete(taskId);
    };
    next.then(forget, forget);
    return next;
  };

  const fileOf = (taskId: number): string => join(dir, `${taskId}.json`);

  return {
    dir,
    put(record) {
      const taskId = record.spec.id;
      return enqueue(taskId, async () => {
        const temp = join(dir, `.${taskId}.json.tmp`);
        await writeFile(temp, JSON.stringify(record));
        await rename(temp, fileOf(taskId));
      });
    },
    remove(taskId) {
      return enqueue(taskId, () => rm(fileOf(taskId), { force: true }));
    },
    async list(onInvalid) {
      const files = (await readdir(dir)).filter((file) => /^\d+\.json$/.test(file));
      const records = await Promise.all(
        files.map(async (file) => {
          try {
            const parsed = TaskRecordSchema.safeParse(JSON.parse(await readFile(join(dir, file), 'utf8')));
            if (parsed.success) return parsed.data;
            onInvalid?.(file, parsed.error.message);
          } catch (error) {
            onInvalid?.(file, errorMessage(error));
          }
          return null;
        }),
      );
      return records.filter((record): record is TaskRecord => record !== null).sort((a, b) => a.spec.id - b.spec.id);
    },
  };
}

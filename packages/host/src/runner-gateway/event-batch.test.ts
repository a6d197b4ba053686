import BetterSqlite3, { type Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskEventFrame } from '@kawa/protocol';
import { TaskEventBatch, type BatchedEvents } from './event-batch.js';

const frame = (taskId: number): TaskEventFrame => ({
  type: 'task-event',
  taskId,
  status: 'completed',
  exitCode: 0,
  message: null,
  errorCode: null,
  at: 0,
});

describe('the task-event batch', () => {
  let db: Database;
  let commits: number;
  let log: string[];
  const transaction = <T>(body: () => T): T => {
    const outer = !db.inTransaction;
    const result = db.transaction(body)();
    if (outer) {
      commits += 1;
      log.push('commit');
    }
    return result;
  };
  /** A link whose events each insert a row (`fail`: then throw, as a broken report would). */
  const link = (name: string, taskIds: number[], fail = false): BatchedEvents & { acked: number[]; error: unknown } => {
    const state = {
      acked: [] as number[],
      error: null as unknown,
      apply: () => {
        for (const id of taskIds) db.prepare('INSERT INTO applied (link, task) VALUES (?, ?)').run(name, id);
        if (fail) throw new Error(`${name} broke`);
        return taskIds.map(frame);
      },
      committed: (frames: readonly TaskEventFrame[]) => {
        log.push(`ack ${name}`);
        state.acked.push(...frames.map((applied) => applied.taskId));
      },
      failed: (error: unknown) => {
        state.error = error;
      },
    };
    return state;
  };
  const rows = (): string[] =>
    db
      .prepare<[], { link: string; task: number }>('SELECT link, task FROM applied ORDER BY id')
      .all()
      .map((row) => `${row.link}:${row.task}`);

  beforeEach(() => {
    db = new BetterSqlite3(':memory:');
    db.exec('CREATE TABLE applied (id INTEGER PRIMARY KEY, link TEXT NOT NULL, task INTEGER NOT NULL)');
    commits = 0;
    log = [];
  });
  afterEach(() => db.close());

  it('applies the events of every link from one turn in one commit, and acks them after it', async () => {
    const batch = new TaskEventBatch(transaction);
    const links = [link('a', [1, 2]), link('b', [3]), link('c', [4, 5, 6])];
    for (const each of links) batch.add(each);
    batch.add(links[0] as BatchedEvents);
    expect(rows()).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(commits).toBe(1);
    expect(log).toEqual(['commit', 'ack a', 'ack b', 'ack c']);
    expect(links.map((each) => each.acked)).toEqual([[1, 2], [3], [4, 5, 6]]);
    expect(rows()).toEqual(['a:1', 'a:2', 'b:3', 'c:4', 'c:5', 'c:6']);
  });

  it('fails only the link whose events failed, and rolls back only its part', () => {
    const batch = new TaskEventBatch(transaction);
    const good = link('good', [1]);
    const broken = link('broken', [2, 3], true);
    const later = link('later', [4]);
    for (const each of [good, broken, later]) batch.add(each);
    batch.flush();
    expect(commits).toBe(1);
    expect(rows()).toEqual(['good:1', 'later:4']);
    expect(broken.error).toEqual(new Error('broken broke'));
    expect(broken.acked).toEqual([]);
    expect([good.acked, later.acked]).toEqual([[1], [4]]);
  });

  it('acks nothing when the commit fails, and fails every link', () => {
    const batch = new TaskEventBatch(<T>(body: () => T): T => {
      if (db.inTransaction) return db.transaction(body)();
      db.transaction(body)();
      throw new Error('disk I/O error');
    });
    const links = [link('a', [1]), link('b', [2])];
    for (const each of links) batch.add(each);
    batch.flush();
    expect(links.map((each) => each.acked)).toEqual([[], []]);
    expect(links.map((each) => (each.error as Error).message)).toEqual(['disk I/O error', 'disk I/O error']);
  });
});

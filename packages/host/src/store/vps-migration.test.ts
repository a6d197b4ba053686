import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';
import { migrations } from './migrations/index.js';
import { TaskRepo } from './task-repo.js';
import { newTask } from '../testing/new-task.js';
import { TEST_KEY } from '../testing/vps-api.js';

describe('migration 004 (VPS)', () => {
  it('makes the tasks stored before it command tasks without a key', () => {
    const db = new BetterSqlite3(':memory:');
    try {
      migrate(
        db,
        migrations.filter((migration) => migration.version < 4),
        Date.now,
      );
      // A TaskRepo of this build cannot work on the old schema: write the row as before 004.
      db.prepare("INSERT INTO batches (owner, submitted_at) VALUES ('admin', 1)").run();
      db.prepare(
        `INSERT INTO tasks (batch_id, owner, command, env, cores, private_network, private_pid, status, submitted_at)
         VALUES (1, 'admin', '["true"]', '{}', 1, 0, 0, 'running', 1)`,
      ).run();
      expect(migrate(db, migrations, Date.now)).toEqual([4, 5]);
      const tasks = new TaskRepo(db);
      expect(tasks.get(1)).toMatchObject({ kind: 'command', publicKey: null, status: 'running' });

      const { tasks: inserted } = tasks.insertBatch('admin', [newTask({ kind: 'vps', publicKey: TEST_KEY })], 2, 'x');
      expect(tasks.get(inserted[0]?.id ?? 0)).toMatchObject({ kind: 'vps', publicKey: TEST_KEY });
      expect(tasks.liveVps().map((task) => task.id)).toEqual([inserted[0]?.id]);
      expect(() => db.prepare("UPDATE tasks SET kind = 'other' WHERE id = 1").run()).toThrow(/CHECK/);
    } finally {
      db.close();
    }
  });
});

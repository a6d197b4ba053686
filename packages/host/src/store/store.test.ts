import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Task } from '@kawa/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';
import { migrations } from './migrations/index.js';
import { newTask } from '../testing/new-task.js';
import { openStore, type Store } from './store.js';

describe('store', () => {
  let dir: string;
  let store: Store | null = null;
  afterEach(() => {
    store?.close();
    store = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens with WAL, NORMAL sync, foreign keys and every migration recorded once', () => {
    dir = mkdtempSync(join(tmpdir(), 'kawa-store-'));
    store = openStore(join(dir, 'kawa.db'));
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(migrate(store.db, migrations, Date.now)).toEqual([]);
    const versions = store.db.prepare('SELECT version FROM schema_migrations').pluck().all();
    expect(versions).toEqual(migrations.map((migration) => migration.version));
  });

  it('refuses a database newer than the host', () => {
    dir = mkdtempSync(join(tmpdir(), 'kawa-store-'));
    store = openStore(join(dir, 'kawa.db'));
    store.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('future');
    expect(() => migrate(store?.db as Store['db'], migrations, Date.now)).toThrow(/newer than this host/);
  });

  it('applies a status change only from the expected state, with its event', () => {
    dir = mkdtempSync(join(tmpdir(), 'kawa-store-'));
    store = openStore(join(dir, 'kawa.db'));
    const task = store.tasks.insertBatch('admin', [newTask()], 1000, 'waiting').tasks[0] as Task;
    const id = task.id;
    expect(
      store.tasks.changeStatus(
        { ...task, status: 'running' },
        { to: 'completed', at: 2000, reason: null, exitCode: 0 },
      ),
    ).toBeNull();
    const killed = store.tasks.changeStatus(task, {
      to: 'killed',
      at: 2000,
      reason: 'gone',
      exitCode: null,
    });
    expect(killed).toMatchObject({ status: 'killed', reason: 'gone', endedAt: 2000, startedAt: null });
    expect(store.tasks.events(id).map((event) => event.to)).toEqual(['pending', 'killed']);
  });
});

import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { API_PREFIX, SubmitTaskResponseSchema } from '@kawa/protocol';
import { createTestHost, type TestHost } from '../testing/test-host.js';

/**
 * ADR 5: a submit is answered only after its transaction committed. A second connection to the
 * database file (another process would see the same) must find every acknowledged row at the
 * moment the answer arrives; the journal settings are the ones the ADR argues for.
 */
describe('submit durability', () => {
  let host: TestHost;
  afterEach(() => host.close());

  it('has committed every task of a batch when the 201 arrives', async () => {
    host = createTestHost();
    const reader = new BetterSqlite3(join(host.config.state_dir, 'kawa.db'), { readonly: true });
    try {
      for (let round = 0; round < 20; round += 1) {
        const response = await host.app.inject({
          method: 'POST',
          url: `${API_PREFIX}/tasks`,
          headers: host.admin,
          payload: { command: ['true'], targets: ['node1', 'node2', 'node3'] },
        });
        expect(response.statusCode, response.body).toBe(201);
        const { taskIds, batchId } = SubmitTaskResponseSchema.parse(response.json());
        const rows = reader.prepare('SELECT id FROM tasks WHERE batch_id = ? ORDER BY id').all(batchId) as {
          id: number;
        }[];
        expect(rows.map((row) => row.id)).toEqual(taskIds);
      }
    } finally {
      reader.close();
    }
  });

  it('runs WAL with synchronous=NORMAL: durable across a process crash (ADR 5)', () => {
    host = createTestHost();
    expect(host.store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(host.store.db.pragma('synchronous', { simple: true })).toBe(1);
  });
});

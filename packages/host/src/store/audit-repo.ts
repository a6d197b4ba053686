import type { Database, Statement } from 'better-sqlite3';
import type { AuditEntry, AuditOutcome } from '@kawa/protocol';

/** One audited action, as recorded. */
export interface AuditRecord {
  at: number;
  user: string;
  action: string;
  target: string;
  outcome: AuditOutcome;
  code: string | null;
}

interface AuditRow {
  id: number;
  at: number;
  user: string;
  action: string;
  target: string;
  outcome: string;
  code: string | null;
}

function toEntry(row: AuditRow): AuditEntry {
  if (row.outcome !== 'ok' && row.outcome !== 'refused' && row.outcome !== 'failed')
    throw new Error(`corrupt audit outcome "${row.outcome}"`);
  return { ...row, outcome: row.outcome };
}

/** The audit log: append-only, read newest first. */
export class AuditRepo {
  private readonly insertStatement: Statement<[number, string, string, string, string, string | null]>;
  private readonly listStatement: Statement<[number], AuditRow>;
  private readonly listByUserStatement: Statement<[string, number], AuditRow>;

  constructor(db: Database) {
    this.insertStatement = db.prepare(
      'INSERT INTO audit (at, user, action, target, outcome, code) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const columns = 'id, at, user, action, target, outcome, code';
    this.listStatement = db.prepare(`SELECT ${columns} FROM audit ORDER BY id DESC LIMIT ?`);
    this.listByUserStatement = db.prepare(`SELECT ${columns} FROM audit WHERE user = ? ORDER BY id DESC LIMIT ?`);
  }

  insert(record: AuditRecord): void {
    this.insertStatement.run(record.at, record.user, record.action, record.target, record.outcome, record.code);
  }

  list(limit: number, user?: string): AuditEntry[] {
    const rows = user === undefined ? this.listStatement.all(limit) : this.listByUserStatement.all(user, limit);
    return rows.map(toEntry);
  }
}

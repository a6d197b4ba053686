import { isKawaError, type AuditEntry, type AuditOutcome } from '@kawa/protocol';
import type { Clock } from '../clock.js';
import type { AuditRepo } from '../store/audit-repo.js';

/** What an audited call did, before its outcome is known. */
export interface AuditedAction {
  user: string;
  action: string;
  target: string;
}

/** What a stream route's outcome is when its client left before it ended: failed, with no code. */
export const CLIENT_LEFT = Symbol('the client left before the stream ended');

/** How a call ended: 2xx is `ok`, a coded 4xx `refused`, anything else `failed`. */
export function outcomeOf(error: unknown): { outcome: AuditOutcome; code: string | null } {
  if (error === undefined) return { outcome: 'ok', code: null };
  if (error === CLIENT_LEFT) return { outcome: 'failed', code: null };
  if (isKawaError(error)) return { outcome: error.status < 500 ? 'refused' : 'failed', code: error.code };
  return { outcome: 'failed', code: 'KAWA_ERR_INTERNAL' };
}

/**
 * The audit log: submits, kills, SSH and terminal streams, VPS actions, env changes, users and
 * tokens. Each entry says who, what, which target, when and how it ended.
 */
export class AuditLog {
  constructor(
    private readonly repo: AuditRepo,
    private readonly clock: Clock,
  ) {}

  record(action: AuditedAction, error?: unknown): void {
    this.repo.insert({ ...action, at: this.clock.now(), ...outcomeOf(error) });
  }

  list(limit: number, user?: string): AuditEntry[] {
    return this.repo.list(limit, user);
  }
}

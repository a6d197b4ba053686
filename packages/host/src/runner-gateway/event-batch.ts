import type { TaskEventFrame } from '@kawa/protocol';

/** One link's share of a batch: the task-events it received since its last flush. */
export interface BatchedEvents {
  /** Applies the link's waiting events (inside the batch's transaction); returns what it applied. */
  apply(): readonly TaskEventFrame[];
  /** Called after the commit with what `apply` returned: the link acks those events. */
  committed(applied: readonly TaskEventFrame[]): void;
  /** `apply` threw, or the commit failed: the link closes, its events unacked (runners resend them). */
  failed(error: unknown): void;
}

/**
 * The task-events of every runner link that arrive in one turn of the event loop, applied
 * together at the end of it in one SQLite transaction, then acked. A fleet reports in bursts
 * (every node ending its tasks at once), and a commit costs more than the events it carries:
 * one commit per burst instead of one per link, and one scheduler pass after it.
 *
 * A link whose events fail is closed alone (its part rolls back to a savepoint, so
 * `transaction` must nest); the others still commit. Nothing is acked before the commit.
 */
export class TaskEventBatch {
  private readonly waiting = new Set<BatchedEvents>();
  private scheduled = false;

  constructor(private readonly transaction: <T>(body: () => T) => T) {}

  /** Applies `events` at the end of this turn, with every other link's. */
  add(events: BatchedEvents): void {
    this.waiting.add(events);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Applies the waiting events of every link now. */
  flush(): void {
    this.scheduled = false;
    const links = [...this.waiting];
    this.waiting.clear();
    const applied: [BatchedEvents, readonly TaskEventFrame[]][] = [];
    try {
      this.transaction(() => {
        for (const link of links) {
          try {
            applied.push([link, this.transaction(() => link.apply())]);
          } catch (error) {
            link.failed(error);
          }
        }
      });
    } catch (error) {
      for (const [link] of applied) link.failed(error);
      return;
    }
    for (const [link, events] of applied) link.committed(events);
  }
}

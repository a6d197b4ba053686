import type { TaskEventFrame } from '@kawa/protocol';
import { isFinalStatus } from '@kawa/protocol';

export interface OutboxItem {
  frame: TaskEventFrame;
  onDelivered?: () => void;
  /** Called when the queue had to drop this event to stay bounded. */
  onDropped?: () => void;
}

/**
 * Task events waiting for a link: produced while disconnected, or written to a socket that
 * closed before confirming them. Bounded; when full it drops the oldest state change that is
 * not final (a later one supersedes it), and only then the oldest event of all.
 */
export class Outbox {
  private items: OutboxItem[] = [];

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: OutboxItem): void {
    this.items.push(item);
    if (this.items.length > this.limit) this.dropOne();
  }

  /** Puts unconfirmed events back in front, in their original order. */
  requeue(items: readonly OutboxItem[]): void {
    this.items = [...items, ...this.items];
    while (this.items.length > this.limit) this.dropOne();
  }

  takeAll(): OutboxItem[] {
    const items = this.items;
    this.items = [];
    return items;
  }

  private dropOne(): void {
    let index = this.items.findIndex((item) => !isFinalStatus(item.frame.status));
    if (index === -1) index = 0;
    const [dropped] = this.items.splice(index, 1);
    dropped?.onDropped?.();
  }
}

// Which recoveries the journal keeps: every unfinished one and the newest
// `retain` finished ones, in the order they finished. The live journal folds
// every event through it, and so does a store's quick first pass at start,
// which then reads in full only the recoveries kept (see FileJournalStore.load).
import { FINAL_STATUSES, nextStatus, type EventMeta, type RecoveryStatus } from './events';

export class Retention {
  /** Each kept recovery's status (what the journal's own fold says). */
  private readonly status = new Map<string, RecoveryStatus>();
  /** Recoveries as they finished, oldest first, from `head` on (a queue without shift's copying). */
  private finished: string[] = [];
  private head = 0;

  constructor(
    private readonly retain: number,
    /** Told of each finished recovery pushed out of the window. */
    private readonly onDrop: (id: string) => void = () => {},
  ) {}

  /** Folds one event's status in; a recovery that just finished may push the oldest finished one out. */
  see(e: EventMeta): void {
    const before = this.status.get(e.id);
    const after = nextStatus(before, e);
    if (after === undefined || after === before) return;
    this.status.set(e.id, after);
    const wasFinal = before !== undefined && FINAL_STATUSES.has(before);
    if (!wasFinal && FINAL_STATUSES.has(after)) this.noteFinished(e.id);
  }

  keeps(id: string): boolean {
    return this.status.has(id);
  }

  ids(): IterableIterator<string> {
    return this.status.keys();
  }

  /** Sets a kept recovery's status to what the journal's fold found (undefined: it has none). */
  correct(id: string, status: RecoveryStatus | undefined): void {
    if (status === undefined) this.status.delete(id);
    else this.status.set(id, status);
  }

  private noteFinished(id: string): void {
    this.finished.push(id);
    while (this.finished.length - this.head > this.retain) {
      const old = this.finished[this.head++];
      // Reopened since it finished (a replay): kept, it is not finished now.
      if (FINAL_STATUSES.has(this.status.get(old) ?? 'received')) {
        this.status.delete(old);
        this.onDrop(old);
      }
    }
    if (this.head > 1024 && this.head * 2 > this.finished.length) {
      this.finished = this.finished.slice(this.head);
      this.head = 0;
    }
  }
}

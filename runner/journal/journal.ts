// The journal as the runner uses it: every event goes to the store (durable)
// first, then to the in-memory view and the live listeners.
import { randomUUID } from 'node:crypto';
import type { EventBus } from '../eventBus';
import { JournalClosedError, JournalWriteError } from './errors';
import { applyEvent, FINAL_STATUSES, type JournalEvent, type NewEvent, type Recovery } from './events';
import type { JournalStore } from './store';

export function newRecoveryId(at: number): string {
  // Sortable by time, unique without coordination.
  return `r${at.toString(36)}-${randomUUID().slice(0, 8)}`;
}

export class Journal {
  readonly recoveries = new Map<string, Recovery>();
  /** Finished recoveries, oldest first: beyond `retain` they leave memory (and the log at its next compaction). */
  private readonly finished: string[] = [];
  constructor(
    readonly store: JournalStore,
    private readonly bus: EventBus,
    private readonly now: () => number,
    private readonly retain = 5000,
  ) {}

  private noteFinished(r: Recovery): void {
    this.finished.push(r.id);
    while (this.finished.length > this.retain) {
      const old = this.finished.shift()!;
      if (FINAL_STATUSES.has(this.recoveries.get(old)?.status ?? 'received')) this.recoveries.delete(old);
    }
  }

  /** Folds one event into memory; a recovery that just finished may push the oldest finished one out. */
  private fold(e: JournalEvent): Recovery | undefined {
    const before = this.recoveries.get(e.id);
    const wasFinal = before !== undefined && FINAL_STATUSES.has(before.status);
    const r = applyEvent(before, e);
    if (!r) return undefined;
    this.recoveries.set(e.id, r);
    if (!wasFinal && FINAL_STATUSES.has(r.status)) this.noteFinished(r);
    return r;
  }

  /** Streams the store in; legacy rejected payloads still inline move out to the store's rejected file first. */
  async load(): Promise<Recovery[]> {
    await this.store.load(async (e) => {
      const r = this.fold(e);
      if (r?.status === 'rejected' && r.payload && !r.payloadRef && this.store.keepRejected) {
        const payloadRef = await this.store.keepRejected({ id: r.id, at: r.updatedAt, reason: r.reason ?? '', payload: r.payload });
        applyEvent(r, { id: r.id, at: r.updatedAt, type: 'status', status: 'rejected', reason: r.reason, code: r.errorCode, payloadRef });
      }
    });
    await this.store.attach?.(() => this.snapshot());
    return this.list();
  }

  /** What the journal keeps, oldest first (what a compacted log holds). */
  snapshot(): Recovery[] {
    return [...this.recoveries.values()].sort((a, b) => a.receivedAt - b.receivedAt);
  }

  async record(id: string, event: NewEvent): Promise<Recovery> {
    // After close nothing more is written: a flow still running stops here and resumes at the next start.
    if (this.closing) throw new JournalClosedError();
    const e = { ...event, id, at: this.now() } as JournalEvent;
    const cur = this.recoveries.get(id);
    // A rejected payload goes to its own bounded file before the status that says so.
    if (e.type === 'status' && e.status === 'rejected' && cur?.payload && this.store.keepRejected) {
      e.payloadRef = await this.store.keepRejected({ id, at: e.at, reason: e.reason ?? '', payload: cur.payload });
    }
    await this.store.append(e);
    const r = this.fold(e);
    if (!r) throw new Error(`journal: event ${e.type} for unknown recovery ${id}`);
    this.bus.publish(e);
    return r;
  }

  /**
   * For flows: an event that cannot be written (a full disk) is retried until
   * it can, so the flow pauses where it is instead of acting unjournaled or
   * ending half-recorded. The hook endpoint uses `record` and answers 507.
   */
  async recordPatiently(id: string, event: NewEvent, retryMs = 1000): Promise<Recovery> {
    for (;;) {
      try {
        return await this.record(id, event);
      } catch (e) {
        if (!(e instanceof JournalWriteError) || this.closing) throw e;
        await new Promise((r) => setTimeout(r, retryMs));
      }
    }
  }

  private closing = false;
  /** Commits what was appended (every append already awaited its fdatasync) and closes the store. */
  async close(): Promise<void> {
    this.closing = true;
    await this.store.close();
  }
  get closed(): boolean {
    return this.closing;
  }

  get(id: string): Recovery | undefined {
    return this.recoveries.get(id);
  }

  list(): Recovery[] {
    return [...this.recoveries.values()].sort((a, b) => b.receivedAt - a.receivedAt || (a.id < b.id ? 1 : -1));
  }
}

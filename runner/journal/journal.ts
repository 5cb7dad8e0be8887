// The journal as the runner uses it: every event goes to the store (durable)
// first, then to the in-memory view and the live listeners.
import { randomUUID } from 'node:crypto';
import type { EventBus } from '../eventBus';
import { applyEvent, FINAL_STATUSES, type JournalEvent, type NewEvent, type Recovery } from './events';
import type { JournalStore } from './store';

export function newRecoveryId(at: number): string {
  // Sortable by time, unique without coordination.
  return `r${at.toString(36)}-${randomUUID().slice(0, 8)}`;
}

export class Journal {
  readonly recoveries = new Map<string, Recovery>();
  /** Finished recoveries, oldest first: beyond `retain` they leave memory (the store keeps them until it compacts). */
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

  async load(): Promise<Recovery[]> {
    const all = await this.store.loadAll();
    for (const r of [...all].sort((a, b) => a.receivedAt - b.receivedAt)) {
      this.recoveries.set(r.id, r);
      if (FINAL_STATUSES.has(r.status)) this.noteFinished(r);
    }
    return all;
  }

  async record(id: string, event: NewEvent): Promise<Recovery> {
    const e = { ...event, id, at: this.now() } as JournalEvent;
    await this.store.append(e);
    const r = applyEvent(this.recoveries.get(id), e);
    if (!r) throw new Error(`journal: event ${e.type} for unknown recovery ${id}`);
    this.recoveries.set(id, r);
    if (e.type === 'status' && FINAL_STATUSES.has(e.status)) this.noteFinished(r);
    this.bus.publish(e);
    return r;
  }

  get(id: string): Recovery | undefined {
    return this.recoveries.get(id);
  }

  list(): Recovery[] {
    return [...this.recoveries.values()].sort((a, b) => b.receivedAt - a.receivedAt || (a.id < b.id ? 1 : -1));
  }
}

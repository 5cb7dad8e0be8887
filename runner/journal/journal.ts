// The journal as the runner uses it: every event goes to the store (durable)
// first, then to the in-memory view and the live listeners.
import type { EventBus } from '../eventBus';
import { JournalClosedError, JournalWriteError } from './errors';
import { applyEvent, type JournalEvent, type NewEvent, type Recovery } from './events';
import { Retention } from './retention';
import type { JournalStore, LoadScan } from './store';

export function newRecoveryId(at: number): string {
  // Sortable by time, unique without coordination. The global crypto (Web
  // Crypto, loaded on first use): importing node:crypto costs the drop-in,
  // which names its one recovery itself, a few ms of start (bench startup).
  return `r${at.toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
}

export class Journal {
  readonly recoveries = new Map<string, Recovery>();
  /** Finished recoveries beyond `retain` leave memory (and the log at its next compaction). */
  private readonly retention: Retention;
  /** While a store's first pass runs: told of each recovery retention drops. */
  private onDrop?: (id: string) => void;
  constructor(
    readonly store: JournalStore,
    private readonly bus: EventBus,
    private readonly now: () => number,
    retain = 5000,
  ) {
    this.retention = new Retention(retain, (id) => {
      this.recoveries.delete(id);
      this.onDrop?.(id);
    });
  }

  /** Folds one event into memory; unless `retention` already saw it, a recovery that just finished may push the oldest finished one out. */
  private fold(e: JournalEvent, seen = false): Recovery | undefined {
    const r = applyEvent(this.recoveries.get(e.id), e);
    if (!r) return undefined;
    this.recoveries.set(e.id, r);
    if (!seen) this.retention.see(e);
    return r;
  }

  /**
   * Streams the store in; legacy rejected payloads still inline move out to
   * the store's rejected file first. A store may first run through the log
   * quickly (`scan.see`: ids and statuses only), so that what retention will
   * drop is never parsed; it then applies only the lines `scan.wants`: those
   * of each kept recovery's last incarnation (since it was last received),
   * and of any incarnation that held a rejected payload inline.
   */
  async load(): Promise<Recovery[]> {
    let scanned = false;
    /** Each recovery's incarnation (its line group) while the first pass runs. */
    const groupOf = new Map<string, number>();
    const flags = new GroupFlags();
    let nextGroup = 1;
    // The last line's id and group: a recovery's events mostly follow each other, so most lines need no lookup.
    let lastId: string | undefined;
    let lastGroup: number | undefined;
    this.onDrop = (id) => {
      flags.clear(groupOf.get(id)!, CURRENT);
      groupOf.delete(id);
      if (id === lastId) lastId = undefined;
    };
    const scan: LoadScan = {
      see: (m) => {
        scanned = true;
        if (m.type === 'received' || m.type === 'snapshot') {
          flags.clear(groupOf.get(m.id)!, CURRENT);
          groupOf.set(m.id, nextGroup);
          flags.set(nextGroup++, CURRENT);
          lastId = undefined;
        }
        // Before retention folds it in: the event may push its own recovery out.
        if (m.id !== lastId) {
          lastId = m.id;
          lastGroup = groupOf.get(m.id);
        }
        const group = lastGroup;
        this.retention.see(m);
        if (group === undefined) return 0; // for no recovery: the fold ignores it
        const rejected = m.type === 'status' ? m.status === 'rejected' && !m.payloadRef : m.type === 'snapshot' && m.recovery.status === 'rejected' && !m.recovery.payloadRef;
        if (rejected) flags.set(group, INLINE_REJECTED);
        return group;
      },
      wants: (group) => flags.any(group),
    };
    await this.store.load(async (e) => {
      const r = this.fold(e, scanned);
      if (r?.status === 'rejected' && r.payload && !r.payloadRef && this.store.keepRejected) {
        const payloadRef = await this.store.keepRejected({ id: r.id, at: r.updatedAt, reason: r.reason ?? '', payload: r.payload });
        applyEvent(r, { id: r.id, at: r.updatedAt, type: 'status', status: 'rejected', reason: r.reason, code: r.errorCode, payloadRef });
      }
    }, scan);
    this.onDrop = undefined;
    if (scanned) {
      // Retention decided from the first pass; the events applied are the truth where a line proved unreadable in full.
      for (const id of [...this.recoveries.keys()]) if (!this.retention.keeps(id)) this.recoveries.delete(id);
      for (const id of [...this.retention.ids()]) this.retention.correct(id, this.recoveries.get(id)?.status);
    }
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
    return [...this.recoveries.values()].sort(newestFirst);
  }

  /** list().find(match), without sorting every recovery (the hook's acknowledgement asks this once per event). */
  newest(match: (r: Recovery) => boolean): Recovery | undefined {
    let best: Recovery | undefined;
    for (const r of this.recoveries.values()) if ((!best || newestFirst(r, best) < 0) && match(r)) best = r;
    return best;
  }
}

function newestFirst(a: Recovery, b: Recovery): number {
  return b.receivedAt - a.receivedAt || (a.id < b.id ? 1 : -1);
}

/** A line group's flags while a store's first pass runs: the recovery's current incarnation, or one that held a rejected payload inline. */
const CURRENT = 1, INLINE_REJECTED = 2;

/** Flags by line group: groups are numbered 1, 2, … as the pass meets them, so an array rather than sets. */
class GroupFlags {
  private flags = new Uint8Array(1024);

  set(group: number, flag: number): void {
    if (group >= this.flags.length) {
      const more = new Uint8Array(Math.max(group + 1, this.flags.length * 2));
      more.set(this.flags);
      this.flags = more;
    }
    this.flags[group] |= flag;
  }

  clear(group: number, flag: number): void {
    if (group < this.flags.length) this.flags[group] &= ~flag;
  }

  any(group: number): boolean {
    return group < this.flags.length && this.flags[group] !== 0;
  }
}

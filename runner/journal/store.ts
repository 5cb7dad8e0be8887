// Where journal events go. Two stores: a local append-only file log (the
// default) and OpenNebula documents (shared by front-ends in a Raft setup).
import type { EventMeta, JournalEvent, Recovery } from './events';
import type { RejectedEntry } from './rejectedPayloads';

export interface JournalStore {
  readonly kind: string;
  /** Persists durably before resolving. */
  append(event: JournalEvent): Promise<void>;
  /**
   * Replays what the store holds, oldest first, one event at a time (a
   * recovery may come as one `snapshot` event): the store never holds it all.
   */
  load(apply: (e: JournalEvent) => void | Promise<void>, scan?: LoadScan): Promise<void>;
  /**
   * Stores that compact themselves get the journal's current state to
   * rewrite from (called after load); `compact` forces one now.
   */
  attach?(snapshot: () => Recovery[]): Promise<void>;
  /** Keeps a rejected payload outside the journal; resolves (durable) with where it went. */
  keepRejected?(entry: RejectedEntry): Promise<string>;
  /** Figures for /metrics. */
  stats?(): Record<string, number>;
  close(): Promise<void>;
}

/**
 * A store that can read its events' ids and statuses far more cheaply than
 * the events themselves (a long log) may first `see` every event that way,
 * in order, before applying any: `see` answers the line's group (0: no
 * recovery will need it). It then applies, in the same order, only the
 * events of the groups the journal still `wants` (asked now and then during
 * the pass, so the store can forget the rest, and at its end).
 */
export interface LoadScan {
  see(meta: EventMeta): number;
  wants(group: number): boolean;
}

// Where journal events go. Two stores: a local append-only file log (the
// default) and OpenNebula documents (shared by front-ends in a Raft setup).
import type { JournalEvent, Recovery } from './events';

export interface JournalStore {
  readonly kind: string;
  /** Persists durably before resolving. */
  append(event: JournalEvent): Promise<void>;
  /** Every recovery the store knows, folded from its events. */
  loadAll(): Promise<Recovery[]>;
  close(): Promise<void>;
}

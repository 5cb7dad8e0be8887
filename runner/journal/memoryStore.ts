// The journal store that keeps nothing: apart from fileStore.ts so the
// drop-in does not load the file journal's code.
import type { JournalEvent } from './events';
import type { JournalStore } from './store';

/** For the foreground drop-in and unit tests: nothing persisted. */
export class MemoryJournalStore implements JournalStore {
  readonly kind = 'memory';
  readonly events: JournalEvent[] = [];
  async append(event: JournalEvent): Promise<void> {
    this.events.push(structuredClone(event));
  }
  async load(apply: (e: JournalEvent) => void | Promise<void>): Promise<void> {
    for (const e of this.events) await apply(structuredClone(e));
  }
  async close(): Promise<void> {}
}

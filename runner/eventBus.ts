// In-process fan-out of journal events to live listeners (SSE, metrics).
import type { JournalEvent } from './journal/events';

export type Listener = (e: JournalEvent) => void;

export class EventBus {
  private readonly listeners = new Set<Listener>();
  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  publish(e: JournalEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a broken listener must not break the flow that published
      }
    }
  }
  get size(): number {
    return this.listeners.size;
  }
}

// In-process fan-out of journal events to live listeners (SSE, metrics).
// Each event gets a sequence number, and the newest ones are kept, so a
// client that reconnects (SSE Last-Event-ID) is sent what it missed.
import type { JournalEvent } from './journal/events';

export type Listener = (e: JournalEvent, seq: number) => void;

export class EventBus {
  private readonly listeners = new Set<Listener>();
  private readonly recent: Array<{ seq: number; event: JournalEvent }> = [];
  private seq = 0;
  private epochValue?: string;

  /**
   * Tells this process's sequence numbers from an earlier run's. Made on first
   * use, with the global crypto: the drop-in never asks, and node:crypto costs
   * a few ms of its start (bench startup).
   */
  get epoch(): string {
    return (this.epochValue ??= crypto.randomUUID().slice(0, 8));
  }

  constructor(private readonly keep = 5000) {}

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  publish(e: JournalEvent): void {
    const seq = ++this.seq;
    this.recent.push({ seq, event: e });
    if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
    for (const l of this.listeners) {
      try {
        l(e, seq);
      } catch {
        // a broken listener must not break the flow that published
      }
    }
  }
  /** Events after `seq`, or undefined when some of them are no longer kept. */
  since(seq: number): Array<{ seq: number; event: JournalEvent }> | undefined {
    if (seq > this.seq) return undefined;
    const first = this.recent[0]?.seq ?? this.seq + 1;
    if (seq < first - 1) return undefined;
    return this.recent.filter((r) => r.seq > seq);
  }
  get size(): number {
    return this.listeners.size;
  }
}

// Issue 16 item 4: a hook for a host whose flow has not yet fenced brings its
// flags into that flow, and never starts a second flow beside it, however the
// hook and reconciliation interleave (the data scenarios
// hook-flags-join-reconciled and hook-during-startup-reconciliation show
// the rest through the real daemon).
import { describe, expect, it } from 'vitest';
import { HostState } from '../../model/one';
import { EventBus } from '../../runner/eventBus';
import type { JournalEvent } from '../../runner/journal/events';
import { MemoryJournalStore } from '../../runner/journal/memoryStore';
import { Journal } from '../../runner/journal/journal';
import { fakeOne, host } from '../helpers/fakeOne';
import { hookPayload } from '../helpers/samples';
import { stoppedManager } from '../helpers/stoppedManager';
import { VirtualClock } from '../helpers/virtualClock';

/** Appends in order, as the file log does; the reconciled flow's first event waits until released. */
class HeldStore extends MemoryJournalStore {
  private tail = Promise.resolve();
  release!: () => void;
  private readonly held = new Promise<void>((r) => { this.release = r; });
  override append(e: JournalEvent): Promise<void> {
    const hold = e.type === 'received' && e.trigger === 'reconciled';
    this.tail = this.tail.then(() => (hold ? this.held : undefined)).then(() => super.append(e));
    return this.tail;
  }
}

describe('a hook meeting start-up reconciliation', () => {
  it('a hook arriving while reconciliation journals its flow joins that flow: one flow for the host, the hook\'s flags on it', async () => {
    const clock = new VirtualClock(Date.parse('2026-11-27T10:00:00Z'));
    const store = new HeldStore();
    const journal = new Journal(store, new EventBus(), () => clock.now());
    const one = fakeOne({ hostPoolInfo: async () => [host(1, HostState.ERROR, { name: 'kvm-node-02' })] });
    // Only the admission is under test: no flow runs.
    const manager = stoppedManager(journal, clock, one);
    const reconciling = manager.reconcile();
    await new Promise((r) => setImmediate(r));
    const hook = manager.submit(hookPayload('-r -p 0'));
    store.release();
    const [started, answer] = await Promise.all([reconciling, hook]);
    expect(started).toHaveLength(1);
    expect(answer).toEqual({ status: 'joined', recoveryId: started[0] });
    const flows = journal.list().filter((r) => r.hostId === 1 && r.status !== 'skipped');
    expect(flows.map((r) => r.id)).toEqual(started);
    // The joined hook's flags are the flow's (read when it runs, before fencing).
    expect(flows[0].joinedHook).toBe(hookPayload('-r -p 0'));
  });
});

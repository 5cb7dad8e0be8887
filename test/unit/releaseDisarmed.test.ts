// `oneha arm` and the periodic disarm-expiry check may run interleaved: each
// recovery held by the disarm is released once, and by the first of them
// (before the fix the expiry check could take a recovery `arm` had just freed,
// and the record said "the disarm expiry").
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../runner/eventBus';
import { DISARMED } from '../../runner/flow/manager';
import { MemoryJournalStore } from '../../runner/journal/memoryStore';
import { Journal } from '../../runner/journal/journal';
import { fakeOne } from '../helpers/fakeOne';
import { stoppedManager } from '../helpers/stoppedManager';
import { VirtualClock } from '../helpers/virtualClock';

describe('releasing what a disarm held', () => {
  it('arm and the expiry check interleaved: every held recovery released once, by the first caller', async () => {
    const clock = new VirtualClock(Date.parse('2026-11-27T10:00:00Z'));
    const journal = new Journal(new MemoryJournalStore(), new EventBus(), () => clock.now());
    // Only the release is under test: no flow runs.
    const manager = stoppedManager(journal, clock, fakeOne({}));
    for (const [id, hostId] of [['r1', 1], ['r2', 2]] as const) {
      await journal.record(id, { type: 'received', payload: 'x', trigger: 'hook', hostId });
      await journal.record(id, { type: 'host', hostId, hostName: `node-${hostId}` });
      await journal.record(id, { type: 'status', status: 'held', reason: 'HA is disarmed', code: DISARMED });
    }
    // Not disarmed (any more): both are free to go.
    const [byArm, byExpiry] = await Promise.all([manager.releaseDisarmed('oneha arm (alice)'), manager.releaseDisarmed('the disarm expiry')]);
    expect(byArm.sort()).toEqual(['r1', 'r2']);
    expect(byExpiry).toEqual([]);
    for (const id of ['r1', 'r2']) expect(journal.get(id)!.releasedBy).toBe('oneha arm (alice)');
    // Released and back to received: a later check finds nothing more to release.
    expect(await manager.releaseDisarmed('the disarm expiry')).toEqual([]);
  });
});

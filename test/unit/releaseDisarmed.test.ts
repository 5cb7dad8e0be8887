// `oneha arm` and the periodic disarm-expiry check may run interleaved: each
// recovery held by the disarm is released once, and by the first of them
// (before the fix the expiry check could take a recovery `arm` had just freed,
// and the record said "the disarm expiry").
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noProgress, silentLog } from '../../model/ports';
import { EventBus } from '../../runner/eventBus';
import { DisarmSwitch, MassFailureBrake } from '../../runner/flow/brakes';
import { DISARMED, FlowManager } from '../../runner/flow/manager';
import type { FlowSettings } from '../../runner/flow/recoveryFlow';
import { MemoryJournalStore } from '../../runner/journal/fileStore';
import { Journal } from '../../runner/journal/journal';
import { fakeOne } from '../helpers/fakeOne';
import { VirtualClock } from '../helpers/virtualClock';

const settings: FlowSettings = {
  defaults: { mode: 'migrate', pause: 2, force: false, fencing: true }, inventorySource: 'host-vms',
  vmConcurrency: 1, vmTries: 1, retryDelayMs: 10, stepTries: 1, afterRecovery: 'disabled',
};

describe('releasing what a disarm held', () => {
  it('arm and the expiry check interleaved: every held recovery released once, by the first caller', async () => {
    const clock = new VirtualClock(Date.parse('2026-11-27T10:00:00Z'));
    const journal = new Journal(new MemoryJournalStore(), new EventBus(), () => clock.now());
    const disarm = new DisarmSwitch(mkdtempSync(join(tmpdir(), 'oneha-release-')), () => clock.now());
    const manager = new FlowManager(journal, { one: fakeOne({}), fence: { power: async () => ({ ok: false, error: 'unused', durationMs: 0 }) }, clock, progress: noProgress }, {
      maxFlows: 4, dedupeWindowSeconds: 600, massWindowSeconds: 600, settings, fenceMethods: () => [], logFor: () => silentLog,
    }, new MassFailureBrake({ share: 0.5, count: 0, windowSeconds: 600 }, () => clock.now()), disarm);
    // Only the release is under test: no flow runs.
    manager.stop();
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

// A FlowManager on a virtual clock with no flow running (stopped at once):
// for unit tests of what the manager decides on its journal (admission,
// joins, releases), never of what a flow does.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OneApi } from '../../model/ports';
import { noProgress, silentLog } from '../../model/ports';
import { DisarmSwitch, MassFailureBrake } from '../../runner/flow/brakes';
import { FlowManager } from '../../runner/flow/manager';
import type { FlowSettings } from '../../runner/flow/recoveryFlow';
import type { Journal } from '../../runner/journal/journal';
import type { VirtualClock } from './virtualClock';

const settings: FlowSettings = {
  defaults: { mode: 'migrate', pause: 2, force: false, fencing: true }, inventorySource: 'host-vms',
  vmConcurrency: 1, vmTries: 1, retryDelayMs: 10, stepTries: 1, afterRecovery: 'disabled',
};

export function stoppedManager(journal: Journal, clock: VirtualClock, one: OneApi, disarm = new DisarmSwitch(mkdtempSync(join(tmpdir(), 'oneha-manager-')), () => clock.now())): FlowManager {
  const manager = new FlowManager(journal, { one, fence: { power: async () => ({ ok: false, error: 'unused', durationMs: 0 }) }, clock, progress: noProgress }, {
    maxFlows: 4, dedupeWindowSeconds: 600, massWindowSeconds: 600, settings, fenceMethods: () => [], logFor: () => silentLog,
  }, new MassFailureBrake({ share: 0.5, count: 0, windowSeconds: 600 }, () => clock.now()), disarm);
  manager.stop();
  return manager;
}

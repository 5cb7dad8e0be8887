import { describe, expect, it } from 'vitest';
import { HostState, LcmState, VmState } from '../../model/one';
import type { FencePort } from '../../model/ports';
import { noProgress, silentLog } from '../../model/ports';
import { EventBus } from '../../runner/eventBus';
import { DisarmSwitch, MassFailureBrake } from '../../runner/flow/brakes';
import { runRecoveryFlow, type FlowSettings } from '../../runner/flow/recoveryFlow';
import { MemoryJournalStore } from '../../runner/journal/memoryStore';
import { Journal } from '../../runner/journal/journal';
import { fakeOne, host, vm } from '../helpers/fakeOne';
import { hookPayload } from '../helpers/samples';
import { VirtualClock } from '../helpers/virtualClock';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const settings: FlowSettings = {
  defaults: { mode: 'migrate', pause: 2, force: false, fencing: true }, inventorySource: 'host-vms',
  vmConcurrency: 4, vmTries: 2, retryDelayMs: 10, stepTries: 2, afterRecovery: 'disabled',
};
const powerOffFence = (log: string[]): FencePort => ({
  power: async (_m, action) => {
    log.push(action);
    return { ok: true, power: action === 'status' ? (log.includes('off') ? 'off' : 'on') : 'off', durationMs: 1 };
  },
});
const agent = [{ kind: 'agent' as const, agent: 'fence_ipmilan', options: {} }];

async function newRecovery(payload: string) {
  const clock = new VirtualClock(0);
  const journal = new Journal(new MemoryJournalStore(), new EventBus(), () => clock.now());
  await journal.record('r', { type: 'received', payload, trigger: 'hook' });
  return { clock, journal };
}

describe('recovery flow safety', () => {
  it('a host that leaves ERROR between the wait and fencing is not fenced and no VM is touched', async () => {
    const { clock, journal } = await newRecovery(hookPayload('-m -p 1'));
    let looks = 0;
    const one = fakeOne({ systemConfig: async () => ({}), hostInfo: async () => host(1, ++looks > 7 ? HostState.MONITORED : HostState.ERROR) });
    const fenced: string[] = [];
    const status = await runRecoveryFlow(journal.get('r')!, { one, fence: powerOffFence(fenced), clock, log: silentLog, progress: noProgress }, settings, {
      record: async (e) => void (await journal.record('r', e)), fenceMethods: () => agent, brake: async () => undefined,
    });
    expect(looks).toBe(8); // 7 looks during the 60 s wait (every 10 s), the 8th right before fencing
    expect(status).toBe('came-back');
    expect(fenced).toEqual([]);
    expect(one.calls.filter((c) => /vmAction|vmRecover|hostStatus/.test(c))).toEqual([]);
  });

  it('resuming after fencing: the host is not fenced again and VMs already acted on are not acted on again', async () => {
    const { clock, journal } = await newRecovery(hookPayload('-m -p 0'));
    const vms = [vm(41, VmState.ACTIVE, LcmState.UNKNOWN, 1), vm(44, VmState.POWEROFF, 0, 1)];
    const one = fakeOne({
      hostInfo: async () => host(1, HostState.ERROR, { vms: [41, 44], name: 'kvm-node-02', template: { FENCE_IP: '10.0.100.12' } }),
      vmPoolInfoSet: async () => vms,
      datastorePoolInfo: async () => [{ id: 0, name: 'system', type: 1, tmMad: 'shared', shared: 'YES' as const }],
      vmAction: async (_a, id) => {
        vms.find((v) => v.id === id)!.resched = 1;
        if (id === 44) throw new Error('crash after the call reached oned'); // the runner dies here
        return id;
      },
      hostStatus: async (id) => id,
    });
    const fenced: string[] = [];
    const ports = { one, fence: powerOffFence(fenced), clock, log: silentLog, progress: noProgress };
    const hooks = { record: async (e: never) => void (await journal.record('r', e)), fenceMethods: () => agent, brake: async () => undefined };
    const first = await runRecoveryFlow(journal.get('r')!, ports, settings, hooks);
    expect(first).toBe('degraded'); // VM 44 has no outcome oned confirmed: the recovery does not call itself complete
    expect(fenced).toEqual(['status', 'off', 'status']);
    // "Restart": same journal, step outputs kept; run the unfinished steps again.
    const r = journal.get('r')!;
    r.steps = r.steps.filter((s) => s.status === 'ok' && s.name !== 'recover' && s.name !== 'verify');
    const calls = one.calls.length;
    // Meanwhile the scheduler moved both.
    for (const v of vms) Object.assign(v, { resched: 0, lcmState: v.state === VmState.ACTIVE ? LcmState.RUNNING : 0, history: [...v.history, { seq: 1, hostname: 'host-2', hid: 2, dsId: 0, action: 0 }] });
    const second = await runRecoveryFlow(r, ports, settings, hooks);
    expect(second).toBe('completed');
    expect(fenced).toEqual(['status', 'off', 'status']); // not fenced again
    expect(one.calls.slice(calls).filter((c) => c.startsWith('vmAction'))).toEqual([]); // RESCHED=1 seen, nothing re-issued
    expect(journal.get('r')!.vms.map((v) => [v.vmId, v.outcome])).toEqual([[41, 'done'], [44, 'already-done']]); // 41 settled in the journal: not even looked at
  });
});

describe('brakes', () => {
  const pool = (failed: number) => Array.from({ length: 5 }, (_, i) => host(i, i < failed ? HostState.ERROR : HostState.MONITORED));
  it('mass failure: 3 of 5 HA hosts failed holds; 1 of 5 does not; hosts with HA off do not count', async () => {
    const clock = new VirtualClock(0);
    expect(await new MassFailureBrake({ share: 0.5, count: 0, windowSeconds: 600 }, () => clock.now()).check(fakeOne({ hostPoolInfo: async () => pool(1) }), new Set())).toBeUndefined();
    const brake = new MassFailureBrake({ share: 0.5, count: 0, windowSeconds: 600 }, () => clock.now());
    expect(await brake.check(fakeOne({ hostPoolInfo: async () => pool(3) }), new Set())).toMatch(/mass failure: 3 of 5 HA hosts failed/);
    // Tripped: holds later flows in the window even if the pool looks better.
    expect(await brake.check(fakeOne({ hostPoolInfo: async () => pool(0) }), new Set())).toMatch(/mass failure/);
    // A host failing later in the window reads a reason that names it, not the earlier list.
    expect(await brake.check(fakeOne({ hostPoolInfo: async () => pool(4) }), new Set())).toMatch(/mass failure: 4 of 5 HA hosts failed \(host-0, host-1, host-2, host-3\)/);
    await clock.advance(601_000);
    expect(await brake.check(fakeOne({ hostPoolInfo: async () => pool(0) }), new Set())).toBeUndefined();
    const haOff = pool(3).map((h, i) => (i < 2 ? { ...h, template: { ONEHA_HA: 'NO' } } : h));
    expect(await new MassFailureBrake({ share: 0.5, count: 0, windowSeconds: 1 }, () => 0).check(fakeOne({ hostPoolInfo: async () => haOff }), new Set())).toBeUndefined();
  });
  it('disarm expires by itself', async () => {
    let now = 1000;
    const d = new DisarmSwitch(mkdtempSync(join(tmpdir(), 'oneha-disarm-')), () => now);
    d.disarm(3, 61_000, 'alice', 'BIOS update');
    expect(d.active(3)).toMatchObject({ scope: 'host', by: 'alice' });
    expect(d.active(4)).toBeUndefined();
    now = 61_001;
    expect(d.active(3)).toBeUndefined();
  });
});

// `oneha show <recovery>`: "recovered" is verify's word (running on another
// host), never the count of calls oned accepted; VMs that were moved but do
// not run are listed apart from those never moved (issue 16).
import { describe, expect, it } from 'vitest';
import { renderRecoveries, renderRecovery } from '../../runner/cli/render';
import { EventBus } from '../../runner/eventBus';
import { MemoryJournalStore } from '../../runner/journal/memoryStore';
import { Journal } from '../../runner/journal/journal';
import { recoveryDetail, recoverySummary } from '../../runner/recoveryView';

const T0 = Date.parse('2026-11-27T10:00:00Z');

/** A recovery of host 1 whose three VMs were all accepted by oned: one runs, one is stuck in BOOT_FAILURE, one still moving. */
async function threeAccepted(status: 'running' | 'degraded') {
  const journal = new Journal(new MemoryJournalStore(), new EventBus(), () => T0);
  const id = 'r1';
  await journal.record(id, { type: 'received', payload: '', trigger: 'reconciled', hostId: 1 });
  await journal.record(id, { type: 'host', hostId: 1, hostName: 'kvm-node-02' });
  const action = (vmId: number, vmName: string) => ({ vmId, vmName, state: 'ACTIVE/UNKNOWN', operation: 'resched' as const });
  await journal.record(id, { type: 'step-started', step: 'select', input: {} });
  await journal.record(id, { type: 'step-finished', step: 'select', output: { hostId: 1, hostName: 'kvm-node-02', mode: 'migrate', actions: [action(41, 'web-01'), action(42, 'db-01'), action(43, 'app-01')], skipped: [{ vmId: 44, vmName: 'dev-box', state: 'POWEROFF', reason: 'left alone' }] } });
  for (const [vmId, vmName] of [[41, 'web-01'], [42, 'db-01'], [43, 'app-01']] as const) {
    await journal.record(id, { type: 'vm', outcome: { vmId, vmName, operation: 'resched', outcome: 'done', detail: `resched done: one.vm.action("resched", ${vmId})`, tries: 1 } });
  }
  await journal.record(id, { type: 'vm', outcome: { vmId: 41, verify: { vmId: 41, vmName: 'web-01', operation: 'resched', result: 'running', hostId: 0, hostName: 'kvm-node-01', state: 'ACTIVE/RUNNING', at: T0 + 20_000, afterMs: 20_000, retries: [] } } });
  await journal.record(id, { type: 'vm', outcome: { vmId: 42, verify: { vmId: 42, vmName: 'db-01', operation: 'resched', result: status === 'degraded' ? 'stuck' : 'watching', hostId: 2, hostName: 'kvm-node-03', state: 'ACTIVE/BOOT_FAILURE', reason: 'ACTIVE/BOOT_FAILURE on kvm-node-03', retries: ['one.vm.recover(42, 2) (ACTIVE/BOOT_FAILURE on kvm-node-03)'] } } });
  if (status === 'degraded') await journal.record(id, { type: 'status', status: 'degraded', reason: '2 of 3 VMs not running' });
  return journal.get(id)!;
}

describe('oneha show: recovered means running elsewhere', () => {
  it('three calls accepted, one VM running: "1 recovered", the stuck VM apart with its reason, the third not running yet', async () => {
    const out = renderRecovery(recoveryDetail(await threeAccepted('degraded')), T0 + 60_000);
    expect(out).toMatch(/^VMS \(1 recovered, 1 stuck, 1 not running yet, 0 failed, 1 skipped\)$/m);
    expect(out).toMatch(/^41 +web-01 +ACTIVE\/UNKNOWN +resched +running +kvm-node-01 \(#0\) +20\.0 s +resched done/m);
    expect(out).toMatch(/^42 +db-01 +ACTIVE\/UNKNOWN +resched +stuck +— +— +ACTIVE\/BOOT_FAILURE on kvm-node-03/m);
    // Accepted by oned, never seen by verify: "accepted", not "recovered".
    expect(out).toMatch(/^43 +app-01 +ACTIVE\/UNKNOWN +resched +accepted +— +— /m);
    expect(out).not.toMatch(/^4\d .* recovered /m);
    expect(out).toMatch(/^NOT RUNNING: STUCK AFTER THE CALL \(1\)\n42 \(db-01\): ACTIVE\/BOOT_FAILURE on kvm-node-03$/m);
    expect(out).toMatch(/^NOT RUNNING: NOT MOVED \(1\)\n44 \(dev-box\): left alone$/m);
  });

  it('the list\'s OK column counts VMs running, with STUCK beside it; the API says accepted apart', async () => {
    const r = await threeAccepted('degraded');
    expect(recoverySummary(r).counts).toMatchObject({ recovered: 1, accepted: 3, stuck: 1, failed: 0, skipped: 1, planned: 3 });
    const [header, row] = renderRecoveries([recoverySummary(r)], T0 + 60_000).split('\n');
    expect(header.split(/\s+/).slice(0, 8)).toEqual(['ID', 'HOST', 'STATUS', 'STEP', 'OK', 'STUCK', 'FAIL', 'SKIP']);
    expect(row).toMatch(/^r1 +kvm-node-02 \(1\) +degraded +- +1 +1 +0 +1 /);
  });

  it('MTTR once every VM runs: from the host\'s ERROR to the last VM running, as verify measured it', async () => {
    const r = await threeAccepted('degraded');
    expect(renderRecovery(recoveryDetail(r), T0)).not.toMatch(/^MTTR/m);
    r.steps.push({ name: 'verify', status: 'ok', startedAt: T0, endedAt: T0 + 95_000, input: {}, output: { vms: [], running: 3, stuck: 0, polls: 4, reads: 4, mttrMs: 95_000 } });
    expect(renderRecovery(recoveryDetail(r), T0)).toMatch(/^MTTR +: 1 min 35 s from host ERROR \(oned's time\) to the last VM running$/m);
  });

  it('while verify watches, a VM on its way is "watching", and nothing is counted recovered before it runs', async () => {
    const out = renderRecovery(recoveryDetail(await threeAccepted('running')), T0 + 60_000);
    expect(out).toMatch(/^VMS \(1 recovered, 0 stuck, 2 not running yet, 0 failed, 1 skipped\)$/m);
    expect(out).toMatch(/^42 +db-01 +\S+ +resched +watching /m);
    expect(out).not.toMatch(/STUCK AFTER THE CALL/);
  });
});

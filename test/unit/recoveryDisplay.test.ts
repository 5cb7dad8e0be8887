// How a recovery reads (CLI, runner page, FireEdge pages share these rules):
// a fence step that ran without fencing is never a green "done".
import { describe, expect, it } from 'vitest';
import { confirmDownPhrase, confirmDownTyped, fenceVerdict, recoveryVerdict, stepVerdict, visibleSteps, vmRows, waitsForOperator, type VerifyLike } from '../../model/recoveryDisplay';
import { clockTime, fullTime, when } from '../../model/timeFormat';

const fenceStep = (output: object) => ({ name: 'fence', status: 'ok', output });

describe('recovery display rules', () => {
  it('a fence step is done only when the BMC confirmed OFF', () => {
    expect(stepVerdict(fenceStep({ outcome: 'fenced', verified: true }))).toEqual({ text: 'done', kind: 'success' });
    expect(stepVerdict(fenceStep({ outcome: 'fenced', verified: false }))).toEqual({ text: 'fenced (unverified)', kind: 'warning' });
    expect(stepVerdict(fenceStep({ outcome: 'failed', verified: false }))).toEqual({ text: 'failed', kind: 'error' });
    expect(stepVerdict(fenceStep({ outcome: 'skipped', verified: false }))).toMatchObject({ kind: 'warning' });
    expect(stepVerdict({ name: 'select', status: 'failed' })).toEqual({ text: 'failed', kind: 'error' });
    expect(fenceVerdict({ outcome: 'fenced', verified: false }).note).toMatch(/no BMC confirmed/);
    expect(fenceVerdict({ outcome: 'fenced', verified: false, method: 'operator confirmation' })).toMatchObject({ text: 'CONFIRMED DOWN', kind: 'warning' });
  });

  it('the recovery chip: fence-failed is an error like its banner; completed without a verified fence is a warning', () => {
    expect(recoveryVerdict({ status: 'fence-failed' }).kind).toBe('error');
    expect(recoveryVerdict({ status: 'completed', fence: { outcome: 'fenced', verified: true } })).toEqual({ text: 'COMPLETED', kind: 'success' });
    expect(recoveryVerdict({ status: 'completed', fence: { outcome: 'fenced', verified: false } })).toEqual({ text: 'COMPLETED (FENCE UNVERIFIED)', kind: 'warning' });
  });

  it('a reconciled recovery does not show "Read the hook event"', () => {
    const steps = [{ name: 'decode', status: 'ok' }, { name: 'wait', status: 'ok' }];
    expect(visibleSteps(steps, 'reconciled').map((s) => s.name)).toEqual(['wait']);
    expect(visibleSteps(steps, 'hook').map((s) => s.name)).toEqual(['decode', 'wait']);
  });

  it('held and fence-failed recoveries list the VMs that are down before any plan', () => {
    const rows = vmRows({ status: 'fence-failed', steps: [], vms: [], downVms: [{ vmId: 7, vmName: 'db', state: 'ACTIVE/UNKNOWN' }] });
    expect(rows).toEqual([{ id: 7, name: 'db', state: 'ACTIVE/UNKNOWN', op: '—', outcome: 'down', detail: 'not recovered: the host is not confirmed off', tries: '—', check: '—', runsOn: '—', toRunning: '—' }]);
    expect(vmRows({ status: 'held', steps: [], vms: [], downVms: [{ vmId: 7, vmName: 'db', state: 'POWEROFF' }] })[0].detail).toMatch(/held/);
  });

  it('per VM, verify\'s word: where it runs and after how long, live while it watches, or why it is stuck in oned\'s words', () => {
    const action = (vmId: number) => ({ vmId, vmName: `vm-${vmId}`, state: 'ACTIVE/UNKNOWN', operation: 'migrate' });
    const outcome = (vmId: number, verify?: VerifyLike) => ({ vmId, vmName: `vm-${vmId}`, operation: 'migrate', outcome: 'done', detail: 'one.vm.deploy accepted', tries: 1, verify });
    const rows = vmRows({
      status: 'running', steps: [],
      plan: { mode: 'migrate', actions: [action(1), action(2), action(3), action(4), action(5)], skipped: [] },
      vms: [
        outcome(1, { result: 'running', hostId: 2, hostName: 'kvm-node-03', state: 'ACTIVE/RUNNING', afterMs: 42_500 }),
        outcome(2, { result: 'stuck', hostId: 1, state: 'PENDING', afterMs: 600_000, reason: 'not placed before the deadline', oned: 'Cannot dispatch VM: No hosts enabled to run VMs' }),
        outcome(3, { result: 'watching', state: 'PENDING', oned: 'Cannot dispatch VM: Not enough capacity' }),
        outcome(4, { result: 'watching', state: 'ACTIVE/PROLOG_MIGRATE' }),
      ],
    });
    expect(rows.map((r) => [r.id, r.check, r.runsOn, r.toRunning])).toEqual([
      [1, 'running', 'kvm-node-03 (#2)', '42.5 s'],
      [2, 'stuck', '—', '—'],
      [3, 'watching', '—', '—'],
      [4, 'watching', '—', '—'],
      [5, '—', '—', '—'],
    ]);
    expect(rows[1].detail).toBe('not placed before the deadline — oned: "Cannot dispatch VM: No hosts enabled to run VMs"');
    expect(rows[2].detail).toBe('oned: "Cannot dispatch VM: Not enough capacity"');
    expect(rows[3].detail).toBe('one.vm.deploy accepted');
    expect(rows[4]).toMatchObject({ outcome: 'pending', detail: 'waiting for its turn' });
  });

  it('confirm-down: offered for held and fence-failed recoveries only, behind the host\'s name typed exactly', () => {
    expect(['held', 'fence-failed', 'running', 'completed', 'failed'].filter(waitsForOperator)).toEqual(['held', 'fence-failed']);
    const r = { hostId: 3, hostName: 'kvm-node-04' };
    expect(confirmDownPhrase(r)).toBe('kvm-node-04');
    expect(confirmDownTyped(r, ' kvm-node-04 ')).toBe(true);
    expect(confirmDownTyped(r, 'kvm-node-0')).toBe(false);
    expect(confirmDownTyped(r, 'KVM-NODE-04')).toBe(false);
    expect(confirmDownTyped({ hostId: 3 }, '3')).toBe(true);
    expect(confirmDownTyped({}, '')).toBe(false);
  });

  it('times are 24 h local time', () => {
    const t = new Date(2026, 10, 27, 15, 4, 5).getTime();
    expect(clockTime(t)).toBe('15:04:05');
    expect(fullTime(t)).toBe('2026-11-27 15:04:05');
    expect(when(t, t + 1000)).toBe('15:04:05');
    expect(when(t, t + 3 * 86_400_000)).toBe('27 Nov 15:04');
  });
});

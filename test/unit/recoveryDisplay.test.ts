// How a recovery reads (CLI, runner page, FireEdge pages share these rules):
// a fence step that ran without fencing is never a green "done".
import { describe, expect, it } from 'vitest';
import { fenceVerdict, recoveryVerdict, stepVerdict, visibleSteps, vmRows } from '../../model/recoveryDisplay';
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
    expect(rows).toEqual([{ id: 7, name: 'db', state: 'ACTIVE/UNKNOWN', op: '—', outcome: 'down', detail: 'not recovered: the host is not confirmed off', tries: '—' }]);
    expect(vmRows({ status: 'held', steps: [], vms: [], downVms: [{ vmId: 7, vmName: 'db', state: 'POWEROFF' }] })[0].detail).toMatch(/held/);
  });

  it('times are 24 h local time', () => {
    const t = new Date(2026, 10, 27, 15, 4, 5).getTime();
    expect(clockTime(t)).toBe('15:04:05');
    expect(fullTime(t)).toBe('2026-11-27 15:04:05');
    expect(when(t, t + 1000)).toBe('15:04:05');
    expect(when(t, t + 3 * 86_400_000)).toBe('27 Nov 15:04');
  });
});

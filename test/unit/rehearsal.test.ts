// The rehearsal's own pieces: oned's view with the host failed, the VMs'
// measured start times from journaled recoveries, and the MTTR prediction.
import { describe, expect, it } from 'vitest';
import { HostState, LcmState, VmState } from '../../model/one';
import type { Recovery } from '../../runner/journal/events';
import { DEFAULT_VM_START_SECONDS, measuredStarts, predictMttr } from '../../runner/rehearsal';
import { asIfFailed } from '../../runner/rehearsalOned';
import { fakeOne, host, vm } from '../helpers/fakeOne';

describe('asIfFailed: oned as it would be the moment the host failed', () => {
  const one = fakeOne({
    hostInfo: async (id) => host(id, HostState.MONITORED),
    hostPoolInfo: async () => [host(0, HostState.MONITORED), host(1, HostState.MONITORED)],
    vmPoolInfoSet: async () => [vm(10, VmState.ACTIVE, LcmState.RUNNING, 1), vm(11, VmState.POWEROFF, 0, 1), vm(12, VmState.ACTIVE, LcmState.RUNNING, 0)],
  });
  const view = asIfFailed(one, 1);

  it('shows the host in ERROR and its RUNNING VMs UNKNOWN; everything else as oned has it', async () => {
    expect((await view.hostInfo(1)).state).toBe(HostState.ERROR);
    expect((await view.hostInfo(0)).state).toBe(HostState.MONITORED);
    expect((await view.hostPoolInfo()).map((h) => h.state)).toEqual([HostState.MONITORED, HostState.ERROR]);
    expect((await view.vmPoolInfoSet([10, 11, 12], false)).map((v) => [v.id, v.state, v.lcmState])).toEqual([
      [10, VmState.ACTIVE, LcmState.UNKNOWN], [11, VmState.POWEROFF, 0], [12, VmState.ACTIVE, LcmState.RUNNING],
    ]);
  });

  it('refuses every write before it is sent', async () => {
    await expect(view.vmAction('resched', 10)).rejects.toThrow(/dry run: vmAction was not sent/);
    await expect(view.hostStatus(1, 1)).rejects.toThrow(/not sent/);
    expect(one.calls.filter((c) => /vmAction|hostStatus/.test(c))).toEqual([]);
  });
});

describe('measuredStarts: each VM\'s start time in journaled recoveries', () => {
  const T = 1_000_000;
  const rec = (id: string, at: number, vms: Array<[number, string, number]>, released: Record<string, number>): Recovery => ({
    id, trigger: 'hook', payload: '', receivedAt: at, updatedAt: at, status: 'completed', vms: [], joined: 0,
    steps: [
      { name: 'select', status: 'ok', startedAt: at, endedAt: at, output: { hostId: 1, hostName: 'h', mode: 'migrate', skipped: [], actions: vms.map(([vmId, priority]) => ({ vmId, vmName: `v${vmId}`, state: 'ACTIVE/UNKNOWN', operation: 'resched', priority })) } },
      {
        name: 'recover', status: 'ok', startedAt: at, endedAt: at + 1000, output: {},
        attempts: Object.entries(released).map(([next, t]) => ({ kind: 'tier', phase: 'ready', next, at: t })),
      },
      { name: 'verify', status: 'ok', startedAt: at, endedAt: at, output: { vms: vms.map(([vmId, , runningAt]) => ({ vmId, vmName: `v${vmId}`, operation: 'resched', result: 'running', state: 'ACTIVE/RUNNING', at: runningAt, afterMs: 0, retries: [] })), running: vms.length, stuck: 0, polls: 1, reads: 1 } },
    ],
  });

  it('from its tier\'s start (the carry-out start, or the record that let its tier go) to running; the most recent recovery wins', () => {
    const m = measuredStarts([
      rec('r-old', T, [[10, 'HIGHEST', T + 50_000]], {}),
      rec('r-new', T + 100_000, [[10, 'HIGHEST', T + 112_000], [11, 'MEDIUM', T + 140_000]], { MEDIUM: T + 115_000 }),
    ]);
    expect(m.get(10)).toMatchObject({ seconds: 12, recoveryId: 'r-new' });
    expect(m.get(11)).toMatchObject({ seconds: 25, recoveryId: 'r-new' });
    expect(m.has(12)).toBe(false);
  });
});

describe('predictMttr', () => {
  it('wait + fence + tier after tier, each as long as its slowest VM; only VMs that would be acted on count', () => {
    const m = predictMttr(60, { seconds: 8, source: 'measured: the fencing of recovery r1' }, [
      { priority: 'HIGHEST', startSeconds: 12, outcome: 'dry-run' },
      { priority: 'MEDIUM', startSeconds: 30, outcome: 'dry-run' },
      { priority: 'MEDIUM', startSeconds: DEFAULT_VM_START_SECONDS, outcome: 'dry-run' },
      { priority: 'LOW', startSeconds: 500, outcome: 'locked' },
    ]);
    expect(m.seconds).toBe(60 + 8 + 12 + 60);
    expect(m.parts).toEqual([
      { part: 'wait', seconds: 60, source: 'pause x monitoring interval' },
      { part: 'fence', seconds: 8, source: 'measured: the fencing of recovery r1' },
      { part: 'vms', seconds: 72, source: `2 tiers, each as long as its slowest VM; 2 of 3 VMs' start times measured, the others ${DEFAULT_VM_START_SECONDS} s (default)` },
    ]);
  });
});

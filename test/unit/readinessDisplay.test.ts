// How readiness reads in both consoles (model/readinessDisplay.ts).
import { describe, expect, it } from 'vitest';
import type { ClusterReserve } from '../../model/capacity';
import { mttrText, partVerdict, readyText, reserveWarnings, scoreText, scoreVerdict, wouldText } from '../../model/readinessDisplay';

const cluster = (over: Partial<ClusterReserve>): ClusterReserve => ({
  clusterId: 0, cluster: 'default', hosts: 4, n1: true, shortfall: { cpu: 0, mem: 0 },
  kLargest: { k: 0, hostIds: [], need: { cpu: 0, mem: 0 }, shortfall: { cpu: 0, mem: 0 }, leftDown: 0 }, ...over,
});

describe('readiness display', () => {
  it('a score reads as a percentage coloured green from 90, a warning from 60, red below; HA off is neutral', () => {
    expect([100, 90, 89, 60, 59, 0].map(scoreVerdict)).toEqual(['success', 'success', 'warning', 'warning', 'error', 'error']);
    expect(scoreVerdict(null)).toBe('default');
    expect(scoreText(79)).toBe('79 %');
    expect(scoreText(null)).toBe('HA off');
  });

  it('a part passes, fails or is unknown', () => {
    expect([true, false, null].map((ok) => partVerdict(ok).text)).toEqual(['PASS', 'FAIL', 'UNKNOWN']);
  });

  it('warns for each cluster whose N+1 reserve is gone, with what would stay down, and for no other', () => {
    const w = reserveWarnings([cluster({}), cluster({ clusterId: 100, cluster: 'rack-2', n1: false, shortfall: { cpu: 250, mem: 6 * 1024 * 1024 } })]);
    expect(w).toEqual([{ clusterId: 100, text: 'Cluster rack-2: the N+1 capacity reserve is gone. If its worst host failed now, VMs needing CPU 2.5, MEMORY 6144 MB would stay down (4 hosts take VMs).' }]);
  });

  it('a rehearsal: the MTTR with its parts, and what each planned VM would get', () => {
    expect(mttrText({ seconds: 90, parts: [{ part: 'wait', seconds: 10 }, { part: 'fence', seconds: 20 }, { part: 'vms', seconds: 60 }] })).toBe('90 s: wait 10 s + fence 20 s + vms 60 s');
    expect(wouldText({ outcome: 'dry-run', detail: 'would call one.vm.action(resched, 18)' })).toBe('one.vm.action(resched, 18)');
    expect(wouldText({ outcome: 'locked', detail: 'VM 18 is locked' })).toBe('locked: VM 18 is locked');
    // What lets the next tier start (ONEHA_READY, ONEHA_READY_TIMEOUT); a plan from before tiers has no rule: RUNNING.
    expect(readyText({ ready: { kind: 'RUNNING', timeoutSeconds: 600 } })).toBe('RUNNING (at most 600 s)');
    expect(readyText({ ready: { kind: 'GUEST', timeoutSeconds: 90 } })).toBe('GUEST: RUNNING and READY=YES (at most 90 s)');
    expect(readyText({})).toBe('RUNNING');
  });
});

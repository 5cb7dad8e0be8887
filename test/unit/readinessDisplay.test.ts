// How readiness reads in both consoles (model/readinessDisplay.ts).
import { describe, expect, it } from 'vitest';
import type { ClusterReserve } from '../../model/capacity';
import { partVerdict, reserveWarnings, scoreText, scoreVerdict } from '../../model/readinessDisplay';

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
});

// The mass-failure decision, pure: when many HA hosts fail at once the
// front-end's own network is the likelier culprit, so recoveries are held
// for an operator. The runner's MassFailureBrake adds the memory (how long a
// tripped brake holds) and the oned read.
import { hostHaSettings } from './hostPolicy/haSettings';
import type { Host } from './one';
import { HostState, isHostFailed } from './states';

export interface MassFailureConfig {
  /** Hold when more than this share of HA-enabled hosts are failed (0..1). */
  share: number;
  /** Also hold when at least this many are failed (0 = off). */
  count: number;
  /** Once tripped, the brake holds new flows for this long; failures this recent count too. */
  windowSeconds: number;
}

/**
 * Whether these hosts make a mass failure (`trips`), and the reason to hold
 * a flow: when it trips, or while a brake `tripped` within its window is
 * still holding. `recentFailures`: hosts whose failure reached the runner
 * within the window (they may not all be in ERROR in the pool yet). Worded
 * from the pool as it is now, so each held host reads a reason that includes
 * itself. `fencedRecently`: hosts a recovery fenced within the window; they
 * count while they are not back in service.
 */
export function massFailureVerdict(
  hosts: readonly Host[], recentFailures: ReadonlySet<number>, cfg: MassFailureConfig, tripped = false, fencedRecently: ReadonlySet<number> = new Set(),
): { trips: boolean; reason?: string } {
  // Failed now: in ERROR, reported and not yet handled, or fenced and not back in service (still
  // DISABLED by the recovery). A host that failed earlier and is MONITORED again does not count.
  const armed = hosts.filter((h) => hostHaSettings(h).enabled && (h.state !== HostState.OFFLINE || fencedRecently.has(h.id)));
  const failed = armed.filter((h) => isHostFailed(h.state) || recentFailures.has(h.id) ||
    (fencedRecently.has(h.id) && h.state !== HostState.MONITORED));
  const share = armed.length ? failed.length / armed.length : 0;
  const byShare = share > cfg.share;
  const byCount = cfg.count > 0 && failed.length >= cfg.count;
  const trips = byShare || byCount;
  if (!trips && !tripped) return { trips };
  const why = byShare ? `more than ${Math.round(cfg.share * 100)} %` : byCount ? `at least ${cfg.count}` : `the brake tripped within the last ${cfg.windowSeconds} s`;
  return { trips, reason: `mass failure: ${failed.length} of ${armed.length} HA hosts failed (${failed.map((h) => h.name).join(', ')}), ${why}; held before fencing until an operator releases it` };
}

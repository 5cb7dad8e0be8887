// How readiness and rehearsals read to an operator: a score's text and colour, a part's
// verdict, the warning when a cluster's capacity reserve is gone, and a
// rehearsal's predicted MTTR and plan lines. Shared
// by the runner's page and the FireEdge pages so they never disagree.
import { formatNeed, type ClusterReserve } from './capacity';
import type { Verdict } from './recoveryDisplay';

/** A score at or above SCORE_OK reads green, below SCORE_WARN red, between the two as a warning. */
export const SCORE_OK = 90;
export const SCORE_WARN = 60;

export function scoreText(score: number | null): string {
  return score === null ? 'HA off' : `${score} %`;
}

/** The colour of a score, as Sunstone colours its state badges. HA off is neutral: nothing to be ready for. */
export function scoreVerdict(score: number | null): Verdict {
  if (score === null) return 'default';
  return score >= SCORE_OK ? 'success' : score >= SCORE_WARN ? 'warning' : 'error';
}

/** One part: passes, fails (then its fix is shown), or cannot be checked here (not counted in the score). */
export function partVerdict(ok: boolean | null): { text: string; kind: Verdict } {
  return ok === null ? { text: 'UNKNOWN', kind: 'default' } : ok ? { text: 'PASS', kind: 'success' } : { text: 'FAIL', kind: 'error' };
}

/**
 * One sentence per cluster whose N+1 reserve is gone (some single host's HA
 * VMs would not fit on the others), saying how much would stay down.
 */
export function reserveWarnings(clusters: readonly ClusterReserve[]): Array<{ clusterId: number; text: string }> {
  return clusters.filter((c) => !c.n1).map((c) => ({
    clusterId: c.clusterId,
    text: `Cluster ${c.cluster || c.clusterId}: the N+1 capacity reserve is gone. If its worst host failed now, VMs needing ${formatNeed(c.shortfall)} would stay down (${c.hosts} hosts take VMs).`,
  }));
}

/** What the reserve warning advises (oneha does not enforce the reserve: oned's scheduler owns placement). */
export const RESERVE_ADVICE = 'oned\'s scheduler places VMs, so oneha only warns: free room (fewer or smaller VMs, lower RESERVED_CPU/RESERVED_MEM) or add hosts to the cluster.';

/** How the score is made, under each panel. */
export const SCORE_HINT = 'The score is the weight of the parts that pass over the weight of the parts that can be checked; an UNKNOWN part counts neither way.';

/** A rehearsal's predicted MTTR in one line: the total and its parts (wait, fence, the VMs tier by tier). */
export function mttrText(m: { seconds: number; parts: ReadonlyArray<{ part: string; seconds: number }> }): string {
  return `${m.seconds} s: ${m.parts.map((p) => `${p.part} ${p.seconds} s`).join(' + ')}`;
}

/** What a planned VM would get: the call a real recovery makes, or why it would not act. */
export function wouldText(a: { outcome: string; detail: string }): string {
  return a.outcome === 'dry-run' ? a.detail.replace(/^would call /, '') : `${a.outcome}: ${a.detail}`;
}

/**
 * A planned VM's readiness rule (ONEHA_READY, ONEHA_READY_TIMEOUT): what lets the next tier start,
 * the VM running (and READY = YES from the guest for GUEST), or the timeout. Plans from before tiers: RUNNING.
 */
export function readyText(a: { ready?: { kind: 'RUNNING' | 'GUEST'; timeoutSeconds: number } }): string {
  if (!a.ready) return 'RUNNING';
  return `${a.ready.kind === 'GUEST' ? 'GUEST: RUNNING and READY=YES' : 'RUNNING'} (at most ${a.ready.timeoutSeconds} s)`;
}

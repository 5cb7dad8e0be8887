// How a recovery reads to an operator: step names, the verdict of each step
// (a fence that "finished" without fencing is a failure, one the BMC did not
// confirm is a warning), and one row per VM. Shared by the CLI, the runner's
// page and the FireEdge pages so they never disagree.

import { duration } from './timeFormat';

export type Verdict = 'success' | 'warning' | 'error' | 'info' | 'default';

/** The journal's step names, in flow order, with what each does. */
export const STEP_LABEL: Record<string, string> = {
  decode: 'Read the hook event',
  wait: 'Wait for the host to come back',
  fence: 'Fence the host',
  inventory: 'List the host\'s VMs',
  select: 'Plan each VM',
  recover: 'Recover the VMs',
  verify: 'Verify the VMs run',
  finish: 'Finish',
};

export const OUTCOME_LABEL: Record<string, string> = { done: 'recovered', 'already-done': 'already recovered', 'dry-run': 'dry run', failed: 'failed', skipped: 'skipped', locked: 'locked' };

/** verify's verdict on one VM (live: "watching" until it runs or is stuck). */
export interface VerifyLike { result: string; hostId?: number; hostName?: string; state: string; afterMs?: number; reason?: string; oned?: string }

export interface FenceView { outcome: string; method?: string; evidence?: string; verified: boolean; power?: string; reason?: string }
export interface StepLike { name: string; status: string; output?: unknown; error?: { code: string; message: string } }
export interface RecoveryLike {
  status: string;
  reason?: string;
  steps: StepLike[];
  fence?: FenceView;
  plan?: { mode: string; actions: Array<{ vmId: number; vmName: string; state: string; operation: string }>; skipped: Array<{ vmId: number; vmName: string; state: string; reason: string }> };
  vms: Array<{ vmId: number; vmName: string; operation: string; outcome: string; detail: string; tries: number; verify?: VerifyLike }>;
  /** VMs on the host when it failed, with their state now (held and fence-failed recoveries, before planning). */
  downVms?: Array<{ vmId: number; vmName: string; state: string }>;
}

/** FENCED only when the BMC said OFF; a command that exited 0 is UNVERIFIED. */
export function fenceVerdict(f: FenceView): { text: string; kind: Verdict; note?: string } {
  switch (f.outcome) {
    case 'fenced':
      // confirm-down (functions/fence.ts): a person's word, journaled, not a BMC's.
      if (f.method === 'operator confirmation') return { text: 'CONFIRMED DOWN', kind: 'warning', note: 'An operator confirmed the host is off; no BMC did.' };
      return f.verified ? { text: 'FENCED', kind: 'success' }
        : { text: 'FENCED (UNVERIFIED)', kind: 'warning', note: 'The fence method reported success but no BMC confirmed the host is off.' };
    case 'failed': return { text: 'FAILED', kind: 'error' };
    case 'skipped': return { text: 'NOT FENCED', kind: 'warning', note: f.reason ?? 'fencing is off for this host' };
    default: return { text: f.outcome.toUpperCase(), kind: 'default' };
  }
}

/** A step's chip: its own status, corrected by what the fence step found. */
export function stepVerdict(s: StepLike): { text: string; kind: Verdict } {
  if (s.status === 'running') return { text: 'running', kind: 'info' };
  if (s.status === 'failed') return { text: 'failed', kind: 'error' };
  if (s.name === 'fence' && s.output && typeof s.output === 'object' && 'outcome' in s.output) {
    const v = fenceVerdict(s.output as FenceView);
    if (v.kind !== 'success') return { text: v.text.toLowerCase(), kind: v.kind };
  }
  return { text: 'done', kind: 'success' };
}

/** The recovery's chip. A completed recovery whose fencing nobody verified is a warning, not a success. */
export function recoveryVerdict(r: Pick<RecoveryLike, 'status' | 'fence'>): { text: string; kind: Verdict } {
  const text = r.status.toUpperCase();
  switch (r.status) {
    case 'completed': return r.fence && fenceVerdict(r.fence).kind !== 'success' ? { text: `${text} (FENCE UNVERIFIED)`, kind: 'warning' } : { text, kind: 'success' };
    case 'failed': case 'rejected': case 'fence-failed': return { text, kind: 'error' };
    case 'held': case 'degraded': return { text, kind: 'warning' };
    case 'running': case 'received': return { text, kind: 'info' };
    default: return { text, kind: 'default' };
  }
}

/** Recoveries that wait for an operator: Release and confirm-down are for these only (the runner refuses others). */
export const WAITING_FOR_OPERATOR = ['held', 'fence-failed'] as const;
export const waitsForOperator = (status: string) => (WAITING_FOR_OPERATOR as readonly string[]).includes(status);

/**
 * What an operator types to confirm a host is down (dead BMC): its name as
 * oned has it, so the confirmation is about this host and no other.
 */
export const confirmDownPhrase = (r: { hostName?: string; hostId?: number }) => r.hostName ?? (r.hostId === undefined ? '' : String(r.hostId));
export const confirmDownTyped = (r: { hostName?: string; hostId?: number }, typed: string) => {
  const phrase = confirmDownPhrase(r);
  return phrase !== '' && typed.trim() === phrase;
};

export function outcomeVerdict(outcome: string): Verdict {
  if (outcome === 'running' || outcome === 'recovered' || outcome === 'already recovered' || outcome === 'dry run' || outcome === 'done' || outcome === 'already-done' || outcome === 'dry-run') return 'success';
  if (outcome === 'failed' || outcome === 'down') return 'error';
  if (outcome === 'skipped' || outcome === 'not recovered' || outcome === 'locked' || outcome === 'stuck') return 'warning';
  if (outcome === 'pending' || outcome === 'watching') return 'info';
  return 'default';
}

/** Steps a reconciled or replayed recovery never ran from a hook event are not shown as if it had. */
export function visibleSteps<S extends StepLike>(steps: S[], trigger: string): S[] {
  return trigger === 'hook' ? steps : steps.filter((s) => s.name !== 'decode');
}

export interface VmRow {
  id: number; name: string; state: string; op: string; outcome: string; detail: string; tries: string;
  /** verify's word on the VM: running, done (deleted), stuck, watching, or — when it was not acted on (yet). */
  check: string;
  /** Where verify saw it run ("kvm-node-02 (#1)"), or —. */
  runsOn: string;
  /** From the host's failure (oned's ERROR time) to verify seeing it run, or —. */
  toRunning: string;
}

const VERIFY_LABEL: Record<string, string> = { running: 'running', done: 'done', stuck: 'stuck', watching: 'watching' };

/** The verify columns of one VM; a stuck VM's detail is why, with oned's own words. */
function verifyColumns(v: VerifyLike | undefined, detail: string): Pick<VmRow, 'check' | 'runsOn' | 'toRunning' | 'detail'> {
  if (!v) return { check: '—', runsOn: '—', toRunning: '—', detail };
  const place = v.hostName ? `${v.hostName}${v.hostId === undefined ? '' : ` (#${v.hostId})`}` : v.hostId === undefined ? '—' : `#${v.hostId}`;
  const ended = v.result === 'running' || v.result === 'done';
  // Stuck: why, with oned's own words; while watching, what oned says so far (a SCHED_MESSAGE, a retry).
  const said = [v.reason ?? (v.result === 'stuck' ? `stuck in ${v.state}` : ''), v.oned ? `oned: "${v.oned}"` : ''].filter(Boolean).join(' — ');
  const why = v.result === 'stuck' || (v.result === 'watching' && said) ? said : detail;
  return {
    check: VERIFY_LABEL[v.result] ?? v.result,
    runsOn: v.result === 'running' ? place : '—',
    toRunning: ended && v.afterMs !== undefined ? duration(v.afterMs) : '—',
    detail: why,
  };
}

/** One row per VM: planned ones with their outcome, skipped ones with the reason, and before planning the VMs that are down. */
export function vmRows(d: RecoveryLike): VmRow[] {
  const outcomes = new Map(d.vms.map((v) => [v.vmId, v]));
  const finished = !['running', 'received'].includes(d.status);
  const rows: VmRow[] = [];
  const seen = new Set<number>();
  for (const a of d.plan?.actions ?? []) {
    const o = outcomes.get(a.vmId);
    seen.add(a.vmId);
    rows.push({
      id: a.vmId, name: a.vmName, state: a.state, op: a.operation,
      outcome: o ? OUTCOME_LABEL[o.outcome] ?? o.outcome : finished ? 'not recovered' : 'pending',
      tries: o ? String(o.tries) : '—',
      ...verifyColumns(o?.verify, o?.detail ?? (finished ? d.reason ?? 'the recovery stopped before this VM' : 'waiting for its turn')),
    });
  }
  for (const s of d.plan?.skipped ?? []) {
    seen.add(s.vmId);
    rows.push({ id: s.vmId, name: s.vmName, state: s.state, op: '—', outcome: 'skipped', tries: '—', ...verifyColumns(undefined, s.reason) });
  }
  for (const o of d.vms) if (!seen.has(o.vmId)) rows.push({ id: o.vmId, name: o.vmName, state: '', op: o.operation, outcome: OUTCOME_LABEL[o.outcome] ?? o.outcome, tries: String(o.tries), ...verifyColumns(o.verify, o.detail) });
  if (!d.plan) {
    const why = d.status === 'fence-failed' ? 'not recovered: the host is not confirmed off' : d.status === 'held' ? 'not recovered: the recovery is held' : 'planned once the host is fenced';
    for (const v of d.downVms ?? []) if (!seen.has(v.vmId)) rows.push({ id: v.vmId, name: v.vmName, state: v.state, op: '—', outcome: 'down', tries: '—', ...verifyColumns(undefined, why) });
  }
  return rows;
}

// What the API commands print by default: the runner's JSON as tables and
// blocks an operator reads at a glance (`--json` prints the JSON instead).
import { duration, fullTime, when } from '../../model/timeFormat';
import { fenceVerdict, OUTCOME_LABEL, recoveryVerdict, STEP_LABEL, stepVerdict, visibleSteps, vmRows, type VmRow } from '../../model/recoveryDisplay';
import type { FenceTestResult } from '../fence/fenceTest';
import type { DisarmState } from '../flow/brakes';
import type { runnerStatus } from '../http/systemRoutes';
import type { recoveryDetail, recoverySummary } from '../recoveryView';
import type { readinessNow } from '../http/readinessRoutes';
import type { HostReadiness } from '../readiness';
import { formatNeed, type ClusterReserve } from '../../model/capacity';
import { scoreText } from '../../model/readinessDisplay';
import { section, table } from './table';

export type StatusView = Awaited<ReturnType<typeof runnerStatus>>;
export type SummaryView = ReturnType<typeof recoverySummary>;
export type DetailView = ReturnType<typeof recoveryDetail> & { downVms?: Array<{ vmId: number; vmName: string; state: string }> };

export type ReadinessView = Awaited<ReturnType<typeof readinessNow>>;
export type HostReadinessView = HostReadiness & { cluster?: ClusterReserve; ageSeconds: number; error?: { message: string } };

const mark = (ok: boolean | null) => (ok === null ? '?' : ok ? 'ok' : 'NO');

/** Every host, worst first: its score and the parts that fail. */
export function renderReadiness(r: ReadinessView): string {
  const rows = [...r.hosts].sort((a, b) => (a.score ?? 101) - (b.score ?? 101) || a.hostId - b.hostId);
  const hosts = table(rows, [
    { header: 'id', value: (h) => String(h.hostId), right: true },
    { header: 'host', value: (h) => h.hostName },
    { header: 'score', value: (h) => scoreText(h.score), right: true },
    { header: 'missing', value: (h) => h.parts.filter((p) => p.ok === false).map((p) => p.key).join(', ') || '-', max: 70 },
  ]);
  const clusters = table(r.clusters, [
    { header: 'cluster', value: (c) => c.cluster || String(c.clusterId) },
    { header: 'hosts', value: (c) => String(c.hosts), right: true },
    { header: 'n+1', value: (c) => (c.n1 ? 'ok' : 'NO') },
    { header: 'worst host short by', value: (c) => (c.n1 ? '-' : formatNeed(c.shortfall)) },
    { header: `k largest`, value: (c) => (c.kLargest.k ? `${c.kLargest.k}: ${c.kLargest.leftDown ? `short by ${formatNeed(c.kLargest.shortfall)}` : 'ok'}` : '-') },
  ]);
  return `${hosts}

CAPACITY RESERVE
${clusters}`;
}

/** How old the runner's computation is (it recomputes every readiness.refreshSeconds), and whether the one after it failed. */
const computedText = (r: { ageSeconds: number; error?: { message: string } }) =>
  `${r.ageSeconds} s ago (--refresh for a fresh one)${r.error ? `; the next one failed: ${r.error.message}` : ''}`;

/** One host: each part, whether it passes, what was seen and the fix. */

export function renderHostReadiness(h: HostReadinessView): string {
  const head = section(`HOST ${h.hostId} READINESS`, [['host', h.hostName], ['score', scoreText(h.score)], ['computed', computedText(h)]]);
  const parts = table(h.parts, [
    { header: '', value: (p) => mark(p.ok) },
    { header: 'part', value: (p) => p.label },
    { header: 'weight', value: (p) => String(p.weight), right: true },
    { header: 'seen', value: (p) => p.detail, max: 100 },
  ]);
  const fixes = h.parts.filter((p) => p.ok === false && p.fix).map((p) => `  ${p.label}: ${p.fix}`);
  return `${head}

${parts}${fixes.length ? `

FIX
${fixes.join('\n')}` : ''}`;
}

const hostOf = (r: { hostId?: number; hostName?: string }) => (r.hostId === undefined ? '-' : r.hostName ? `${r.hostName} (${r.hostId})` : String(r.hostId));
const yesNo = (b: boolean) => (b ? 'yes' : 'no');

/** `short`: how ids are printed (their unique start, as git prints commits; whole by default). */
export function renderRecoveries(list: SummaryView[], now = Date.now(), short: (id: string) => string = (id) => id): string {
  if (!list.length) return 'No recovery.';
  return table(list, [
    { header: 'id', value: (r) => short(r.id) },
    { header: 'host', value: hostOf },
    { header: 'status', value: (r) => r.status },
    { header: 'step', value: (r) => r.currentStep ?? '-' },
    // ok: running elsewhere as verify saw them, not calls oned accepted.
    { header: 'ok', value: (r) => String(r.counts.recovered), right: true },
    { header: 'stuck', value: (r) => String(r.counts.stuck), right: true },
    { header: 'fail', value: (r) => String(r.counts.failed), right: true },
    { header: 'skip', value: (r) => String(r.counts.skipped), right: true },
    { header: 'received', value: (r) => when(r.receivedAt, now) },
    { header: 'updated', value: (r) => when(r.updatedAt, now) },
    { header: 'reason', value: (r) => r.reason ?? '', max: 60 },
  ]);
}

export function renderDisarm(d: DisarmState, now = Date.now()): string {
  const rows = [
    ...(d.global ? [{ scope: 'every host', ...d.global }] : []),
    ...Object.entries(d.hosts).map(([id, e]) => ({ scope: `host ${id}`, ...e })),
  ];
  if (!rows.length) return 'HA is armed for every host.';
  return table(rows, [
    { header: 'disarmed', value: (r) => r.scope },
    { header: 'until', value: (r) => when(r.until, now) },
    { header: 'by', value: (r) => r.by },
    { header: 'reason', value: (r) => r.reason || '-', max: 60 },
  ]);
}

/** The runner's last look at oned, with its age (the runner answers status without waiting on oned). */
function onedLine(o: StatusView['oned']): string {
  const seen = o.reachable === undefined ? 'not checked yet' : o.reachable ? `reachable, OpenNebula ${o.version}` : `UNREACHABLE: ${o.error}`;
  const age = o.checkedAgoSeconds === undefined ? '' : ` (${duration(o.checkedAgoSeconds * 1000)} ago)`;
  const checking = o.checkingForSeconds !== undefined && o.checkingForSeconds >= 1 ? `; no answer to the check under way for ${duration(o.checkingForSeconds * 1000)}` : '';
  return `${seen}${age}${checking}`;
}

export function renderStatus(s: StatusView, now = Date.now(), short: (id: string) => string = (id) => id): string {
  const parts = [section('ONEHA RUNNER', [
    ['version', s.version],
    ['uptime', duration(s.uptimeSeconds * 1000)],
    ['leader', s.leader ? 'yes (acts on failures)' : 'no (flows wait for the leader)'],
    ['oned', `${s.oned.endpoint} ${onedLine(s.oned)}`],
    ['journal', s.journal],
    ['flows', `${s.flows.running} running, ${s.flows.queued} queued`],
    ['mass brake', s.massFailureBrake ? 'TRIPPED: new recoveries are held' : 'off'],
    ['demo', s.demo ? 'yes (simulated cloud)' : undefined],
  ])];
  parts.push(`IN PROGRESS\n${s.flows.inProgress.length ? renderRecoveries(s.flows.inProgress, now, short) : 'none'}`);
  parts.push(`WAITING FOR AN OPERATOR\n${s.waitingForOperator.length ? renderRecoveries(s.waitingForOperator, now, short) : 'none'}`);
  parts.push(`DISARMED\n${renderDisarm(s.disarmed, now)}`);
  return parts.join('\n\n');
}

export function renderRecovery(d: DetailView, now = Date.now()): string {
  const verdict = recoveryVerdict(d);
  const parts = [section(`RECOVERY ${d.id}`, [
    ['host', hostOf(d)],
    ['status', verdict.text],
    ['reason', d.reason],
    ['trigger', d.trigger + (d.joined ? ` (+${d.joined} joined)` : '')],
    ['received', fullTime(d.receivedAt)],
    ['updated', fullTime(d.updatedAt)],
    ['mode', d.plan?.mode],
    ['released by', d.releasedBy],
    // Only when every planned VM runs (verify's own rule).
    ['mttr', d.mttrMs === undefined ? undefined : `${duration(d.mttrMs)} from host ERROR (oned's time) to the last VM running`],
  ])];
  const steps = visibleSteps(d.steps, d.trigger);
  parts.push(`STEPS\n${steps.length ? table(steps, [
    { header: 'step', value: (s) => s.name },
    { header: 'status', value: (s) => stepVerdict(s).text },
    { header: 'started', value: (s) => when(s.startedAt, now) },
    { header: 'took', value: (s) => (s.durationMs === undefined ? 'running' : duration(s.durationMs)), right: true },
    { header: 'what', value: (s) => (s.error ? `${s.error.code}: ${s.error.message}` : STEP_LABEL[s.name] ?? ''), max: 80 },
  ]) : 'not started'}`);
  if (d.fence) {
    const f = fenceVerdict(d.fence);
    parts.push(section('FENCING', [
      ['outcome', f.text], ['note', f.note], ['method', d.fence.method], ['verified off', yesNo(d.fence.verified)],
      ['power', d.fence.power?.toUpperCase()], ['evidence', d.fence.evidence], ['reason', d.fence.reason],
    ]));
    if (d.fence.attempts.length) {
      parts.push(table(d.fence.attempts, [
        { header: 'level', value: (a) => String(a.level), right: true },
        { header: 'method', value: (a) => a.method, max: 40 },
        { header: 'action', value: (a) => a.action },
        { header: 'result', value: (a) => (a.ok ? 'ok' : 'FAILED') },
        { header: 'power', value: (a) => a.power ?? '-' },
        { header: 'took', value: (a) => duration(a.durationMs), right: true },
        { header: 'error', value: (a) => a.error ?? '', max: 60 },
      ]));
    }
  }
  const rows = vmRows(d);
  const c = d.counts;
  // "recovered" is verify's word (running on another host, DONE for delete); an accepted call is not yet that.
  const notYet = Math.max(0, c.accepted - c.recovered - c.stuck);
  const tally = [`${c.recovered} recovered`, `${c.stuck} stuck`, ...(notYet ? [`${notYet} not running yet`] : []), `${c.failed} failed`, `${c.skipped} skipped`];
  parts.push(`VMS (${tally.join(', ')})\n${rows.length ? table(rows, [
    { header: 'vm', value: (r) => String(r.id), right: true },
    { header: 'name', value: (r) => r.name, max: 30 },
    { header: 'state', value: (r) => r.state || '-' },
    { header: 'action', value: (r) => r.op },
    { header: 'result', value: vmResult },
    { header: 'runs on', value: (r) => r.runsOn },
    { header: 'after', value: (r) => r.toRunning, right: true },
    { header: 'detail', value: (r) => r.detail, max: 80 },
  ]) : d.plan ? 'The host had no VM to recover.' : 'none listed yet'}`);
  // The table cuts long details; what the operator acts on (the exact onevm command, oned's SCHED_MESSAGE) is shown whole.
  const whole = (n: { vmId: number; vmName: string; reason?: string }) => `${n.vmId} (${n.vmName}): ${rows.find((r) => r.id === n.vmId)?.detail || n.reason || 'no reason recorded'}`;
  const stuck = new Set(rows.filter((r) => r.check === 'stuck').map((r) => r.id));
  const stuckOnes = d.notRecovered.filter((n) => stuck.has(n.vmId));
  const others = d.notRecovered.filter((n) => !stuck.has(n.vmId));
  if (stuckOnes.length) parts.push(`NOT RUNNING: STUCK AFTER THE CALL (${stuckOnes.length})\n${stuckOnes.map(whole).join('\n')}`);
  if (others.length) parts.push(`NOT RUNNING: NOT MOVED (${others.length})\n${others.map(whole).join('\n')}`);
  return parts.join('\n\n');
}

/** A VM's result: verify's word once it looked (running, done, stuck, watching), else the carry-out's (an accepted call is only "accepted"). */
function vmResult(r: VmRow): string {
  if (r.check !== '—') return r.check;
  return r.outcome === OUTCOME_LABEL.done ? 'accepted' : r.outcome;
}

/** A dry run's plan: what a replay would do to each VM, never the payload. */
export function renderDryRun(d: DetailView, from: string | undefined): string {
  const rows = vmRows(d);
  const fence = d.fence ? `fencing: ${fenceVerdict(d.fence).text}${d.fence.power ? `, power ${d.fence.power.toUpperCase()}` : ''}${d.fence.reason ? ` (${d.fence.reason})` : ''}` : 'fencing: not reached';
  return [
    `Dry run of a replay${from ? ` from ${from}` : ''} of host ${hostOf(d)}: nothing was changed.`,
    `outcome: ${d.status}${d.reason ? ` (${d.reason})` : ''}`,
    fence,
    rows.length ? table(rows, [
      { header: 'vm', value: (r) => String(r.id), right: true },
      { header: 'name', value: (r) => r.name, max: 30 },
      { header: 'action', value: (r) => r.op },
      { header: 'would', value: (r) => r.outcome },
      { header: 'detail', value: (r) => r.detail, max: 80 },
    ]) : 'no VM to act on',
  ].join('\n');
}

export function renderFenceTest(r: FenceTestResult, hostLabel: string): string {
  return section(`FENCE TEST OF HOST ${hostLabel}`, [
    ['result', r.reachable ? 'REACHABLE' : 'FAILED'],
    ['power', r.power?.toUpperCase()],
    ['method', r.method],
    ['took', duration(r.durationMs)],
    ['error', r.error],
    ['at', fullTime(r.at)],
  ]);
}

export function renderPowerOn(r: { hostId: number; method?: string; ok?: boolean; power?: string; error?: string; durationMs?: number }, hostLabel: string): string {
  return section(`POWER-ON OF HOST ${hostLabel}`, [
    ['result', r.ok ? 'DONE' : 'FAILED'], ['power', r.power?.toUpperCase()], ['method', r.method],
    ['took', r.durationMs === undefined ? undefined : duration(r.durationMs)], ['error', r.error],
  ]);
}

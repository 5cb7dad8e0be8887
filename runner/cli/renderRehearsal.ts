// `oneha rehearse <host>`: the rehearsal report as onehost-style blocks and
// tables — what a failure now would end as, the wait, each fence level, the
// plan in tier order, every VM left down with why, and the predicted MTTR.
import { readyText, wouldText } from '../../model/readinessDisplay';
import { fullTime } from '../../model/timeFormat';
import type { RehearsalReport } from '../rehearsal';
import type { RehearsalSummary } from '../rehearsalStore';
import { section, table } from './table';

const s = (n: number) => `${n} s`;

export function renderRehearsal(r: RehearsalReport): string {
  const o = r.event.options;
  const blocks = [section(`HOST ${r.hostId} REHEARSAL (nothing was touched)`, [
    ['host', r.hostName],
    ['outcome', `${r.outcome}: ${r.reason}`],
    ['event', `${r.event.flags}${o ? ` (applies: mode ${o.mode}, pause ${o.pause}, fencing ${o.fencing ? 'on' : 'OFF'})` : ''}`],
    ['wait', r.wait && `${s(r.wait.seconds)} (${r.wait.pause} cycles of ${r.wait.intervalSeconds} s, interval from ${r.wait.intervalSource})`],
    ['mttr', r.mttr && `${s(r.mttr.seconds)} predicted: ${r.mttr.parts.map((p) => `${p.part} ${s(p.seconds)}`).join(' + ')}`],
  ])];
  if (r.fence) {
    blocks.push(`FENCE LEVELS (status only)${r.fence.fencing ? '' : ': fencing is off'}\n${r.fence.levels.length ? table(r.fence.levels, [
      { header: 'level', value: (l) => String(l.level), right: true },
      { header: 'method', value: (l) => l.method },
      { header: 'result', value: (l) => l.result + (l.durationMs !== undefined ? ` (${l.durationMs} ms)` : ''), max: 100 },
    ]) : '(none)'}`);
  }
  if (r.plan) {
    blocks.push(`PLAN (${r.plan.mode}, in the order a recovery acts)\n${r.plan.actions.length ? table(r.plan.actions, [
      { header: 'tier', value: (a) => a.priority ?? 'MEDIUM' },
      { header: 'ready', value: (a) => readyText(a) },
      { header: 'id', value: (a) => String(a.vmId), right: true },
      { header: 'vm', value: (a) => a.vmName },
      { header: 'action', value: (a) => a.operation },
      { header: 'would', value: (a) => wouldText(a), max: 70 },
      { header: 'start', value: (a) => `${s(a.startSeconds)}${a.startSource.startsWith('default') ? ' (default)' : ''}`, right: true },
    ]) : '(no VM to act on)'}`);
  }
  if (r.leftDown.length) {
    blocks.push(`LEFT DOWN\n${table(r.leftDown, [
      { header: 'id', value: (v) => String(v.vmId), right: true },
      { header: 'vm', value: (v) => v.vmName },
      { header: 'by', value: (v) => v.by },
      { header: 'reason', value: (v) => v.reason, max: 110 },
    ])}`);
  }
  if (r.mttr) blocks.push(`MTTR\n${table(r.mttr.parts, [
    { header: 'part', value: (p) => p.part },
    { header: 'seconds', value: (p) => String(p.seconds), right: true },
    { header: 'from', value: (p) => p.source, max: 110 },
  ])}`);
  return blocks.join('\n\n');
}

/** `oneha rehearsals <host>`: the host's last rehearsals, newest first. */
export function renderRehearsals(hostLabel: string, rs: RehearsalSummary[]): string {
  if (!rs.length) return `Host ${hostLabel} has not been rehearsed (oneha rehearse ${hostLabel.replace(/ .*/, '')}).`;
  return `REHEARSALS OF HOST ${hostLabel} (newest first)\n${table(rs, [
    { header: 'at', value: (r) => fullTime(r.at) },
    { header: 'trigger', value: (r) => r.trigger },
    { header: 'outcome', value: (r) => r.outcome },
    { header: 'planned', value: (r) => String(r.planned), right: true },
    { header: 'left down', value: (r) => String(r.leftDown), right: true },
    { header: 'mttr', value: (r) => (r.mttrSeconds === undefined ? '—' : s(r.mttrSeconds)), right: true },
    { header: 'reason', value: (r) => r.reason, max: 90 },
  ])}`;
}

// The commands that talk to a running runner over its API: each resolves
// its host or recovery, makes one call and prints a table (or --json).
import type { FenceTestResult } from '../fence/fenceTest';
import type { DisarmState } from '../flow/brakes';
import { STEP_NAMES } from '../../model/steps';
import { HOST_HELP, need, print, type Values } from './args';
import { CliError, EXIT } from './exitCodes';
import { wholeNumber } from './options';
import { ticker } from './progress';
import { renderDisarm, renderDryRun, renderFenceTest, renderPowerOn, renderRecoveries, renderHostReadiness, renderReadiness, renderRecovery, renderStatus, type DetailView, type HostReadinessView, type ReadinessView, type StatusView, type SummaryView } from './render';
import { renderRehearsal, renderRehearsals } from './renderRehearsal';
import type { RehearsalReport } from '../rehearsal';
import type { RehearsalSummary } from '../rehearsalStore';
import { callRunner, recoveryShortIds, resolveHost, resolveRecovery } from './runnerClient';

const recoveryPath = (id: string, rest = '') => `/v1/recoveries/${encodeURIComponent(id)}${rest}`;

export async function status(v: Values): Promise<number> {
  const s = await callRunner<StatusView>('GET', '/v1/status');
  const short = v.json || !(s.flows.inProgress.length + s.waitingForOperator.length) ? undefined : await recoveryShortIds();
  return print(v, s, (x) => renderStatus(x, undefined, short));
}

export async function show(v: Values, p: string[]): Promise<number> {
  const id = await resolveRecovery(need(p[0], 'a recovery id'));
  if (v.step !== undefined) {
    const s = await callRunner<{ fn: string; input: unknown; output: unknown }>('GET', recoveryPath(id, `/steps/${encodeURIComponent(v.step as string)}`));
    // The function to invoke goes to stderr, so stdout stays the JSON itself.
    if (v.input) console.error(`replay with: oneha invoke ${s.fn} --input <file>`);
    console.log(JSON.stringify(v.input ? s.input : v.output ? s.output : s, null, 2));
    return EXIT.ok;
  }
  return print(v, await callRunner<DetailView>('GET', recoveryPath(id)), (d) => renderRecovery(d));
}

/** release and confirm-down: one POST on a held or fence-failed recovery. */
export async function letGo(v: Values, p: string[], how: 'release' | 'confirm-down'): Promise<number> {
  const id = await resolveRecovery(need(p[0], 'a recovery id'));
  const body = how === 'confirm-down' ? { reason: need(v.reason as string | undefined, '--reason TEXT') } : undefined;
  return print(v, await callRunner<SummaryView>('POST', recoveryPath(id, `/${how}`), body),
    (r) => (how === 'release' ? `Recovery ${r.id} released: ${r.status}.` : `Recovery ${r.id}: host confirmed down, released: ${r.status}.`));
}

export async function powerOn(v: Values, p: string[]): Promise<number> {
  const host = await resolveHost(need(p[0], HOST_HELP));
  const r = await callRunner<Parameters<typeof renderPowerOn>[0]>('POST', `/v1/hosts/${host.id}/power-on`);
  return print(v, r, (x) => renderPowerOn(x, `${host.name} (${host.id})`), r.ok === false ? EXIT.failed : EXIT.ok);
}

export async function fenceTest(v: Values, p: string[]): Promise<number> {
  const host = await resolveHost(need(p[0], HOST_HELP));
  const label = `${host.name} (${host.id})`;
  // Through the runner: the same agent, retries and time budget as the console's test.
  const tick = ticker((ms) => `  testing the fence device of host ${label}: ${Math.round(ms / 1000)} s`);
  let r: FenceTestResult;
  try {
    r = await callRunner<FenceTestResult>('POST', `/v1/hosts/${host.id}/fence-test`);
  } finally {
    tick.stop();
  }
  return print(v, r, (x) => renderFenceTest(x, label), r.reachable ? EXIT.ok : EXIT.failed);
}

export async function readiness(v: Values, p: string[]): Promise<number> {
  const fresh = v.refresh ? '?refresh=1' : '';
  if (p[0] === undefined) return print(v, await callRunner<ReadinessView>('GET', `/v1/readiness${fresh}`), (x) => renderReadiness(x));
  const host = await resolveHost(p[0]);
  return print(v, await callRunner<HostReadinessView>('GET', `/v1/hosts/${host.id}/readiness${fresh}`), (x) => renderHostReadiness(x));
}

export async function rehearse(v: Values, p: string[]): Promise<number> {
  const host = await resolveHost(need(p[0], HOST_HELP));
  const tick = ticker((ms) => `  rehearsing the failure of host ${host.name} (${host.id}): ${Math.round(ms / 1000)} s`);
  let r: RehearsalReport;
  try {
    r = await callRunner<RehearsalReport>('POST', `/v1/hosts/${host.id}/rehearse`);
  } finally {
    tick.stop();
  }
  // A failure now would not bring every VM back: the same exit as a recovery that did not.
  return print(v, r, renderRehearsal, r.outcome === 'completed' ? EXIT.ok : EXIT.failed);
}

export async function rehearsals(v: Values, p: string[]): Promise<number> {
  const host = await resolveHost(need(p[0], HOST_HELP));
  const r = await callRunner<{ hostId: number; rehearsals: RehearsalSummary[] }>('GET', `/v1/hosts/${host.id}/rehearsals`);
  return print(v, r, (x) => renderRehearsals(`${host.id} (${host.name})`, x.rehearsals));
}

export async function recoveries(v: Values): Promise<number> {
  const q = new URLSearchParams();
  if (v.host !== undefined) q.set('host', String((await resolveHost(String(v.host))).id));
  if (v.status !== undefined) q.set('status', String(v.status));
  q.set('limit', String(wholeNumber(v.limit, 'limit', 1) ?? 50));
  const r = await callRunner<{ total: number; recoveries: SummaryView[] }>('GET', `/v1/recoveries?${q}`);
  const short = v.json || !r.recoveries.length ? undefined : await recoveryShortIds();
  return print(v, r, (x) => renderRecoveries(x.recoveries, undefined, short) + (x.total > x.recoveries.length ? `\n(${x.recoveries.length} of ${x.total}; --limit shows more)` : ''));
}

export async function replay(v: Values, p: string[]): Promise<number> {
  const from = v.from as string | undefined;
  if (from !== undefined && !(STEP_NAMES as readonly string[]).includes(from)) throw new CliError(EXIT.badInput, `--from takes a step name (${STEP_NAMES.join(', ')}), not "${from}"`);
  const id = await resolveRecovery(need(p[0], 'a recovery id'));
  const dryRun = !!v['dry-run'];
  const r = await callRunner<{ status: string; recoveryId?: string; recovery?: DetailView }>('POST', recoveryPath(id, '/replay'), { from, dryRun });
  if (dryRun && !v.json && r.recovery) {
    // The dry run's scratch recovery, read like any other (never the raw payload).
    const { recoveryDetail } = await import('../recoveryView');
    console.log(renderDryRun(recoveryDetail(r.recovery as never) as DetailView, from));
    return EXIT.ok;
  }
  return print(v, r, (x) => (x.status === 'joined' ? `A recovery of this host is already running: ${x.recoveryId} (oneha show ${x.recoveryId}).` : `Replay started as recovery ${x.recoveryId} (oneha show ${x.recoveryId}).`));
}

export async function disarm(v: Values): Promise<number> {
  const minutes = wholeNumber(need(v.minutes as string | undefined, '--minutes M (HA re-arms itself after M minutes)'), 'minutes', 1)!;
  const host = v.host === undefined ? undefined : await resolveHost(String(v.host));
  const r = await callRunner<DisarmState>('POST', '/v1/disarm', { hostId: host?.id, minutes, reason: (v.reason as string | undefined) ?? '' });
  return print(v, r, (d) => `HA disarmed for ${host ? `host ${host.name} (${host.id})` : 'every host'} for ${minutes} min.\n${renderDisarm(d)}`);
}

export async function arm(v: Values): Promise<number> {
  if (v.all && v.host !== undefined) throw new CliError(EXIT.badInput, 'give --host or --all, not both');
  const host = v.host === undefined ? undefined : await resolveHost(String(v.host));
  let r = await callRunner<DisarmState>('POST', '/v1/arm', { hostId: host?.id });
  if (v.all) for (const id of Object.keys(r.hosts)) r = await callRunner<DisarmState>('POST', '/v1/arm', { hostId: Number(id) });
  return print(v, r, (d) => {
    const left = Object.keys(d.hosts);
    const what = host ? `host ${host.name} (${host.id})` : v.all ? 'every host' : 'the global switch';
    const rest = left.length && !v.all ? `\nStill disarmed: ${left.map((id) => `host ${id}`).join(', ')} (oneha arm --host <host>, or oneha arm --all).` : '';
    return `HA armed for ${what}.${rest}\n${renderDisarm(d)}`;
  });
}

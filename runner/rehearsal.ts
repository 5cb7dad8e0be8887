// "What if it died now": the whole recovery chain for a healthy host, run as
// the dry-run flow (runRecoveryFlow with dryRun, as `replay --dry-run`) on a
// view of oned in which this host has just failed (rehearsalOned.ts), so it
// is the very code a real failure runs, touching nothing:
//   decode   a synthetic hook event: the host's XML in ERROR and the hook's flags (the runner's defaults);
//   wait     reads the monitoring interval and takes its last look, not the wait itself (reported: pause x interval);
//   fence    status only, level by level (a command level is not run: "would run ...");
//   inventory, select (tiers, ONEHA_HA = NO, the capacity estimate), carry-out dry run (locks, states re-read).
// The answer is the plan in tier order, every reason a VM would be left
// down, and a predicted MTTR from the wait, the measured fence time and the
// VMs' measured start times in journaled recoveries. The last report per
// host is kept (rehearsalStore.ts); it is not a recovery.
import * as z from '../model/zod';
import type { VmOutcome } from '../functions/carryOut';
import type { FenceResult } from '../functions/fence';
import { PlanCapacitySchema, PlannedActionSchema, SkippedVmSchema, tiersOf, type RecoveryPlan } from '../functions/select';
import type { HostFailure } from '../functions/decode';
import type { VerifyResult } from '../functions/verify';
import type { WaitResult } from '../functions/wait';
import { describeError, StepError } from '../model/errors';
import { describeMethod, type FenceMethod } from '../model/fence';
import { formatHookFlags, HookOptionsSchema } from '../model/hookOptions';
import { effectiveOptions, hostHaSettings } from '../model/hostPolicy/haSettings';
import { HostState, isHostFailed, type Host } from '../model/one';
import { noProgress, type FencePort, type Log } from '../model/ports';
import { DEFAULT_PRIORITY } from '../model/vmPolicy';
import type { RunnerContext } from './context';
import { EventBus } from './eventBus';
import { runFenceTest } from './fence/fenceTest';
import { runRecoveryFlow } from './flow/recoveryFlow';
import { FINAL_STATUSES, finishedOutput, type Recovery } from './journal/events';
import { RecoveryStatusSchema } from './journal/eventSchemas';
import { MemoryJournalStore } from './journal/memoryStore';
import { Journal } from './journal/journal';
import { asIfFailed } from './rehearsalOned';
import { rehearsalsFor } from './rehearsalStore';

/** A VM's start time where no journaled recovery measured it: a stated guess, shown as such. */
export const DEFAULT_VM_START_SECONDS = 60;

const Seconds = z.number().check(z.nonnegative());

export const RehearsalReportSchema = z.object({
  hostId: z.number().check(z.int()),
  hostName: z.string(),
  /** When it ran (ms since the epoch) and how long it took. */
  at: z.number(),
  durationMs: z.number(),
  trigger: z.enum(['operator', 'scheduled']),
  /** What a real failure now would end as (the dry-run flow's status) and why; `held` when a brake would stop it first. */
  outcome: z.union([RecoveryStatusSchema, z.literal('held')]),
  reason: z.string(),
  /** The synthetic hook event: the flags it carried and the options that apply (the host's own settings over them). */
  event: z.object({ flags: z.string(), options: z.optional(HookOptionsSchema) }),
  wait: z.optional(z.object({ pause: z.number().check(z.int()), intervalSeconds: z.number(), intervalSource: z.string(), seconds: Seconds })),
  fence: z.optional(z.object({
    fencing: z.boolean(),
    /** fenced-able ("dry-run"), failed (a real run would stop at fence-failed), skipped (fencing off). */
    outcome: z.string(),
    levels: z.array(z.object({ level: z.number().check(z.int()), method: z.string(), result: z.string(), ok: z.nullable(z.boolean()), durationMs: z.optional(z.number()) })),
    reason: z.optional(z.string()),
  })),
  plan: z.optional(z.object({
    mode: z.string(),
    /** In the order a real recovery acts: HIGHEST tier first, by VM id within a tier. */
    actions: z.array(z.extend(PlannedActionSchema, {
      outcome: z.string().check(z.describe('the carry-out dry run: dry-run (would act), locked, failed, already-done, skipped')),
      detail: z.string(),
      startSeconds: Seconds,
      startSource: z.string().check(z.describe('a journaled recovery that measured it, or the default')),
    })),
    /** select's reasons: VMs that ran on the host and are not recovered. */
    skipped: z.array(SkippedVmSchema),
    capacity: z.optional(PlanCapacitySchema),
  })),
  /**
   * Every VM a real failure now would leave down, with why: select's, the carry-out's and the capacity
   * estimate's reasons; or, where the recovery would stop before acting (fencing would fail, HA is off),
   * every VM on the host with that reason (`stopped`).
   */
  leftDown: z.array(z.object({ vmId: z.number().check(z.int()), vmName: z.string(), reason: z.string(), by: z.enum(['select', 'carry-out', 'capacity', 'stopped']) })),
  mttr: z.optional(z.object({
    seconds: Seconds,
    parts: z.array(z.object({ part: z.enum(['wait', 'fence', 'vms']), seconds: Seconds, source: z.string() })),
  })),
  /** What the chain logged, in order (the rehearsal's timeline). */
  log: z.array(z.object({ level: z.enum(['info', 'warn', 'error']), msg: z.string() })),
});
export type RehearsalReport = z.infer<typeof RehearsalReportSchema>;

type RehearsalContext = Pick<RunnerContext, 'one' | 'fence' | 'fenceMethods' | 'settings' | 'clock' | 'log' | 'journal' | 'config' | 'disarm'>;

/** Rehearses one host and keeps the report (the last per host). A failed or recovering host is refused: its real recovery is the answer. */
export async function rehearse(ctx: RehearsalContext, hostId: number, trigger: RehearsalReport['trigger'] = 'operator'): Promise<RehearsalReport> {
  const started = ctx.clock.now();
  const xml = await ctx.one.call<string>('one.host.info', hostId);
  const host = await ctx.one.hostInfo(hostId);
  if (isHostFailed(host.state)) throw new StepError('host-failed', `host ${host.name} (${hostId}) is in ERROR now: its real recovery is the answer (oneha recoveries --host ${hostId})`, undefined, 'conflict');
  const active = ctx.journal.list().find((r) => r.hostId === hostId && !FINAL_STATUSES.has(r.status));
  if (active) throw new StepError('recovery-active', `recovery ${active.id} of host ${host.name} is ${active.status}: rehearse it once it has ended`, undefined, 'conflict');

  const flags = formatHookFlags(ctx.settings.defaults);
  // The hook's stdin as oned would send it: the host's own XML, in ERROR.
  const payload = `${Buffer.from(xml.replace(/<STATE>\d+<\/STATE>/, `<STATE>${HostState.ERROR}</STATE>`)).toString('base64')} ${flags}`;
  const log = collectingLog();
  // The event is dated as early as a time can be: the wait's deadline (its start + pause x interval) has
  // passed, on any clock, so the wait only reads the interval and takes its last look; how long a real
  // one waits is reported instead.
  let now = () => Number.MIN_SAFE_INTEGER;
  const scratch = new Journal(new MemoryJournalStore(), new EventBus(), () => now());
  await scratch.record('rehearsal', { type: 'received', payload, trigger: 'manual', hostId });
  now = () => ctx.clock.now();
  const statusOnly = statusOnlyPort(ctx.fence);
  await runRecoveryFlow(scratch.get('rehearsal')!, {
    one: asIfFailed(ctx.one, hostId), fence: statusOnly, clock: ctx.clock, log: log.log, progress: noProgress,
  }, { ...ctx.settings, dryRun: true }, {
    record: async (e) => void (await scratch.record('rehearsal', e)),
    fenceMethods: ctx.fenceMethods,
    // Brakes are looked at below without tripping them: a rehearsal is not a failure.
    brake: async () => undefined,
  });
  const rec = scratch.get('rehearsal')!;
  const report = await reportOf(ctx, rec, host, flags, statusOnly, log.lines, trigger, started);
  await rehearsalsFor(ctx).keep(report);
  ctx.log.info(`rehearsal of host ${host.id} (${host.name}): ${report.outcome}${report.mttr ? `, predicted MTTR ${report.mttr.seconds} s` : ''}; ${report.leftDown.length} VMs would be left down`, { hostId: host.id });
  return report;
}

/**
 * The scheduled rehearsal (config rehearsal.intervalSeconds): every HA host
 * that is healthy and has no recovery under way, one after the other (a few
 * oned reads and a BMC status read each). A host that cannot be rehearsed is
 * logged and the others go on.
 */
export async function rehearseAll(ctx: RehearsalContext): Promise<number> {
  let n = 0;
  for (const h of await ctx.one.hostPoolInfo()) {
    if (!hostHaSettings(h).enabled || isHostFailed(h.state)) continue;
    if (ctx.journal.list().some((r) => r.hostId === h.id && !FINAL_STATUSES.has(r.status))) continue;
    try {
      await rehearse(ctx, h.id, 'scheduled');
      n++;
    } catch (e) {
      ctx.log.warn(`scheduled rehearsal of host ${h.id} (${h.name}): ${describeError(e)}`, { hostId: h.id });
    }
  }
  return n;
}

async function reportOf(
  ctx: RehearsalContext, rec: Recovery, host: Host, flags: string, statusOnly: FencePort,
  lines: RehearsalReport['log'], trigger: RehearsalReport['trigger'], started: number,
): Promise<RehearsalReport> {
  const decoded = finishedOutput<HostFailure>(rec, 'decode');
  const waited = finishedOutput<WaitResult>(rec, 'wait');
  const fenced = finishedOutput<FenceResult>(rec, 'fence');
  const plan = finishedOutput<RecoveryPlan>(rec, 'select');
  const outcomes = new Map((finishedOutput<{ outcomes: VmOutcome[] }>(rec, 'recover')?.outcomes ?? []).map((o) => [o.vmId, o]));
  const waitInput = rec.steps.find((s) => s.name === 'wait')?.input as { pause: number } | undefined;
  const fenceInput = rec.steps.find((s) => s.name === 'fence')?.input as { methods: FenceMethod[]; fencing: boolean } | undefined;
  const effective = decoded && effectiveOptions(ctx.settings.defaults, decoded.options, host);

  const wait = waited && waitInput ? {
    pause: waitInput.pause, intervalSeconds: waited.intervalSeconds, intervalSource: waited.intervalSource,
    seconds: waited.result === 'skipped' ? 0 : waitInput.pause * waited.intervalSeconds,
  } : undefined;
  const fence = fenced && fenceInput ? { fencing: fenceInput.fencing, outcome: fenced.outcome, reason: fenced.reason, levels: await levelsOf(ctx, host, fenceInput.methods, fenced, statusOnly) } : undefined;

  const history = measuredStarts(ctx.journal.list());
  const actions = (plan?.actions ?? []).map((a) => {
    const o = outcomes.get(a.vmId);
    const m = history.get(a.vmId);
    return {
      ...a, outcome: o?.outcome ?? 'not carried out', detail: o?.detail ?? '',
      startSeconds: m ? m.seconds : DEFAULT_VM_START_SECONDS,
      startSource: m ? `measured in recovery ${m.recoveryId}` : `default (no journaled recovery of VM ${a.vmId})`,
    };
  });
  const leftDown: RehearsalReport['leftDown'] = [
    ...(plan?.skipped ?? []).filter((s) => s.code !== 'elsewhere').map((s) => ({ vmId: s.vmId, vmName: s.vmName, reason: s.reason, by: 'select' as const })),
    ...actions.filter((a) => a.outcome !== 'dry-run' && a.outcome !== 'already-done').map((a) => ({ vmId: a.vmId, vmName: a.vmName, reason: `${a.outcome}: ${a.detail}`, by: 'carry-out' as const })),
    ...(plan?.capacity?.wontFit ?? []).map((w) => ({ vmId: w.vmId, vmName: w.vmName, reason: `may not fit: ${w.reason}`, by: 'capacity' as const })),
  ];
  // No plan: the recovery would stop before acting, and every VM on the host stays where it is.
  if (!plan && rec.status !== 'completed') {
    const vms = host.vms.length ? await ctx.one.vmPoolInfoSet(host.vms, false) : [];
    for (const v of vms.sort((a, b) => a.id - b.id)) leftDown.push({ vmId: v.id, vmName: v.name, reason: `the recovery would stop before acting (${rec.status}): ${rec.reason ?? ''}`, by: 'stopped' });
  }
  const disarmed = ctx.disarm.active(host.id);
  const outcome = disarmed && rec.status !== 'skipped' ? 'held' as const : rec.status;
  const reason = disarmed && rec.status !== 'skipped'
    ? `HA is disarmed (${disarmed.scope === 'global' ? 'every host' : 'this host'}) until ${new Date(disarmed.until).toISOString()} by ${disarmed.by}: a failure now would be held for an operator; then: ${rec.reason ?? ''}`
    : rec.reason ?? '';
  const recovers = !!plan && (outcome === 'completed' || outcome === 'degraded');
  return {
    hostId: host.id, hostName: host.name, at: started, durationMs: ctx.clock.now() - started, trigger, outcome, reason,
    event: { flags, ...(effective ? { options: effective } : {}) },
    ...(wait ? { wait } : {}), ...(fence ? { fence } : {}),
    ...(plan ? { plan: { mode: plan.mode, actions, skipped: plan.skipped, ...(plan.capacity ? { capacity: plan.capacity } : {}) } } : {}),
    leftDown,
    ...(recovers && wait && fence ? { mttr: predictMttr(wait.seconds, fenceTime(ctx, host.id, fence.fencing), actions) } : {}),
    log: lines,
  };
}

/** Each fence level: what the dry-run fence asked it, else its own status-only test; a command is never run. */
async function levelsOf(ctx: RehearsalContext, host: Host, methods: FenceMethod[], fenced: FenceResult, statusOnly: FencePort): Promise<NonNullable<RehearsalReport['fence']>['levels']> {
  const out: NonNullable<RehearsalReport['fence']>['levels'] = [];
  for (const [i, m] of methods.entries()) {
    const level = i + 1;
    const method = describeMethod(m);
    if (m.kind === 'command') {
      out.push({ level, method, ok: null, result: `would run ${method} (not run: it would fence the host)` });
      continue;
    }
    const asked = fenced.attempts.find((a) => a.level === level);
    const t = asked
      ? { reachable: asked.ok && !!asked.power, power: asked.power, error: asked.error, durationMs: asked.durationMs }
      : await runFenceTest(host, [m], statusOnly, ctx.clock);
    out.push({
      level, method, ok: t.reachable, durationMs: t.durationMs,
      result: t.reachable ? `status: power ${t.power?.toUpperCase()}` : `status failed: ${t.error ?? 'no power state reported'}`,
    });
  }
  return out;
}

/** The fence port with every action but status refused before it reaches a BMC. */
function statusOnlyPort(fence: FencePort): FencePort {
  return { power: (m, a, h) => (a === 'status' ? fence.power(m, a, h) : Promise.reject(new Error(`rehearsal: ${a} not sent`))) };
}

/**
 * How long fencing this host takes: the last fencing of it in the journal
 * (measured), else the configured agent timeout for an off and a status
 * check (an upper bound, without retries).
 */
function fenceTime(ctx: RehearsalContext, hostId: number, fencing: boolean): { seconds: number; source: string } {
  if (!fencing) return { seconds: 0, source: 'fencing is off for this host' };
  for (const r of [...ctx.journal.list()].reverse()) {
    if (r.hostId !== hostId || r.confirmedDown) continue;
    const s = [...r.steps].reverse().find((x) => x.name === 'fence' && x.status === 'ok' && (x.output as FenceResult | undefined)?.outcome === 'fenced');
    if (s?.endedAt !== undefined) return { seconds: round((s.endedAt - s.startedAt) / 1000), source: `measured: the fencing of recovery ${r.id}` };
  }
  return { seconds: round((2 * ctx.config.fence.timeoutMs) / 1000), source: 'upper bound: an off and a status check at fence.timeoutMs each (no fencing of this host journaled)' };
}

/**
 * Each VM's most recent measured start: from its tier's start in a
 * journaled recovery (the carry-out step's start, or the tier record that
 * let its tier go) to verify seeing it run.
 */
export function measuredStarts(recoveries: readonly Recovery[]): Map<number, { seconds: number; recoveryId: string }> {
  const out = new Map<number, { seconds: number; recoveryId: string; at: number }>();
  for (const r of recoveries) {
    const step = [...r.steps].reverse().find((s) => s.name === 'recover' && s.status === 'ok');
    if (!step) continue;
    const released = new Map<string, number>();
    for (const a of step.attempts ?? []) {
      if (a.kind === 'tier' && (a.phase === 'ready' || a.phase === 'timeout') && typeof a.next === 'string' && typeof a.at === 'number') released.set(a.next, a.at);
    }
    const plan = finishedOutput<RecoveryPlan>(r, 'select');
    const priority = new Map((plan?.actions ?? []).map((a) => [a.vmId, a.priority ?? DEFAULT_PRIORITY]));
    for (const v of finishedOutput<VerifyResult>(r, 'verify')?.vms ?? []) {
      if (v.result !== 'running') continue;
      const from = released.get(priority.get(v.vmId) ?? DEFAULT_PRIORITY) ?? step.startedAt;
      const seen = out.get(v.vmId);
      if (!seen || seen.at < v.at) out.set(v.vmId, { seconds: round(Math.max(0, v.at - from) / 1000), recoveryId: r.id, at: v.at });
    }
  }
  return out;
}

/** Wait, then fencing, then tier after tier: each tier as long as its slowest VM (the next one starts when it runs). */
export function predictMttr(waitSeconds: number, fence: { seconds: number; source: string }, actions: ReadonlyArray<{ priority?: string; startSeconds: number; outcome: string }>): NonNullable<RehearsalReport['mttr']> {
  const acting = actions.filter((a) => a.outcome === 'dry-run') as Array<{ priority?: (typeof DEFAULT_PRIORITY); startSeconds: number; outcome: string }>;
  const tiers = tiersOf(acting);
  const vms = round(tiers.reduce((t, g) => t + Math.max(...g.map((a) => a.startSeconds)), 0));
  const measured = acting.filter((a) => a.startSeconds !== DEFAULT_VM_START_SECONDS).length;
  const parts = [
    { part: 'wait' as const, seconds: waitSeconds, source: 'pause x monitoring interval' },
    { part: 'fence' as const, ...fence },
    { part: 'vms' as const, seconds: vms, source: `${tiers.length} tier${tiers.length === 1 ? '' : 's'}, each as long as its slowest VM; ${measured} of ${acting.length} VMs' start times measured, the others ${DEFAULT_VM_START_SECONDS} s (default)` },
  ];
  return { seconds: round(parts.reduce((t, p) => t + p.seconds, 0)), parts };
}

const round = (s: number) => Math.round(s * 10) / 10;

/** A log that keeps the chain's lines for the report instead of writing them as if a host had failed. */
function collectingLog(): { log: Log; lines: RehearsalReport['log'] } {
  const lines: RehearsalReport['log'] = [];
  const at = (level: 'info' | 'warn' | 'error') => (msg: string) => void lines.push({ level, msg });
  return { log: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

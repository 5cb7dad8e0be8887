// Readiness kept ready to read. Computing it takes the whole cloud (three pool
// reads, 50,000 VMs in a big one) plus oned's hooks and clock, so it is
// computed in the background on the runner's clock (readiness.refreshSeconds)
// and every GET /v1/readiness, the console's column and the Prometheus gauges
// answer the last result with its age: a hosts page never waits on it, and no
// request reads oned per host. A caller may ask for a fresh one (?refresh=1,
// `oneha readiness --refresh`): concurrent refreshes share one computation.
//
// Non-administrators read as themselves (oned's ACLs decide what they see):
// their answers are computed for their session on request and kept as long.
import { chunks } from '../model/chunks';
import { describeError } from '../model/errors';
import type { Vm } from '../model/one';
import type { RunnerContext } from './context';
import type { OneClient } from './one/client';
import { probeFor } from './hookProbe';
import { hookFact, isProbeHook, poolReadiness, RUNNER_HOOK, type CloudFact, type HookSeen } from './readiness';
import { lastRehearsal } from './rehearsalStore';

/** The reads one computation makes: the small ones at once, then the VM pool. */
export const READINESS_READS = [
  'one.hostpool.info', 'one.vmpool.infoset (the hosts\' VMs, extended, 64 a call, one call after the other)', 'one.datastorepool.info',
  'one.hookpool.info', 'one.hook.info (oneha\'s hooks)', 'one.hook.update (the probe hook\'s nonce, at most once a probeIntervalSeconds)',
  'one.system.version (its Date header)',
] as const;

async function compute(ctx: RunnerContext, one: OneClient) {
  // The hooks (and the probe's wait for its test event) run beside the other reads, not before them.
  const hookRead = readHooks(ctx, one);
  const [hosts, datastores, clock] = await Promise.all([one.hostPoolInfo(), one.datastorePoolInfo(), measureClock(one)]);
  // The big one last, alone: oned builds a 50,000-VM reply for seconds, and the small reads would wait behind it (past their deadline).
  const vms = await readVms(ctx, one, hosts);
  const hook = await hookRead;
  const secrets = new Set(ctx.secrets.describe().filter((d) => d.passwordSet).map((d) => d.ref));
  const cfg = ctx.config.readiness;
  const result = poolReadiness({
    hosts, vms, datastores, now: ctx.clock.now(), defaults: ctx.config.defaults,
    fenceMethods: ctx.fenceMethods,
    credentialsSet: (h, m) => m.kind !== 'agent' || ctx.secrets.refsForHost(h.id, m.secretRef).some((r) => secrets.has(r)),
    lastFenceTest: (id) => ctx.fenceTests.get(id),
    fenceTestMaxAgeMs: cfg.fenceTestMaxAgeHours * 3_600_000,
    unlockLocked: ctx.config.verify.unlockLocked,
    reserveK: cfg.reserveK,
    hook,
    ...clock,
    maxClockSkewMs: cfg.maxClockSkewSeconds * 1000,
    lastRehearsal: (id) => lastRehearsal(ctx, id),
    rehearsalMaxAgeMs: cfg.rehearsalMaxAgeHours * 3_600_000,
  });
  return { ...result, reads: READINESS_READS, at: ctx.clock.now() };
}

/**
 * The runner's own reads take the VMs the hosts list, one infoset chunk after
 * the other: a 2,000-VM extended pool parsed at once is ~70 MiB of the runner's
 * RSS that V8 keeps after it is garbage (bench runner-memory). A user's
 * session reads the pool oned's ACLs filter for it, as before.
 */
async function readVms(ctx: RunnerContext, one: OneClient, hosts: readonly { vms: readonly number[] }[]): Promise<Vm[]> {
  if (one !== ctx.one) return one.vmPoolInfoExtended(-2, -1, -1, -1);
  const out: Vm[] = [];
  for (const ids of chunks([...new Set(hosts.flatMap((h) => h.vms))], READINESS_VM_CHUNK)) out.push(...await one.vmPoolInfoSet(ids, true));
  return out;
}
const READINESS_VM_CHUNK = 64;

/**
 * oned's HOST ERROR hooks with their execution records and the probe, judged
 * (hookFact); unknown when the pool cannot be read. Only the runner's own
 * computation sends a probe (a user's session cannot update hooks); every
 * computation judges the last one.
 */
async function readHooks(ctx: RunnerContext, one: OneClient): Promise<CloudFact> {
  // The journal holds every hook event oned delivered: one is proof oned's hook reaches this runner.
  const lastEventAt = ctx.journal.list().filter((r) => r.trigger === 'hook').reduce((t, r) => Math.max(t, r.receivedAt), 0) || undefined;
  try {
    const pool = await one.hookPoolInfo();
    // oned answers non-administrators an empty pool, not an error: nothing can be told from it.
    if (!pool.length && one !== ctx.one) return hookFact(undefined, lastEventAt, 'oned shows hooks to administrators only');
    const probeHook = pool.find(isProbeHook);
    const cfg = ctx.config.readiness;
    const probe = probeFor(ctx, ctx.clock);
    if (probeHook && one === ctx.one) {
      await probe.run(one, probeHook.id, { minIntervalMs: cfg.probeIntervalSeconds * 1000, timeoutMs: cfg.probeTimeoutSeconds * 1000 }, ctx.stopping);
    }
    const seen: HookSeen[] = await Promise.all(pool.map(async (h) => {
      // Only oneha's own hooks need their log (one.hook.info); the pool has no HOOKLOG. Read after the probe's wait.
      const mine = (h.type === 'state' && RUNNER_HOOK.test(h.template.COMMAND ?? '')) || h === probeHook;
      return mine ? one.hookInfo(h.id) : h;
    }));
    const facts = probe.facts();
    return hookFact(seen, lastEventAt, undefined, {
      hook: probeHook && seen.find((h) => h.id === probeHook.id), sent: facts.sent, returned: facts.returned, unanswered: facts.unanswered,
      now: ctx.clock.now(), timeoutMs: cfg.probeTimeoutSeconds * 1000,
    });
  } catch (e) {
    return hookFact(undefined, lastEventAt, describeError(e));
  }
}

/** Front-end minus oned, from the Date header of one reply: to the second, so the middle of that second, ± half the round trip. */
async function measureClock(one: OneClient): Promise<{ clockSkewMs?: number; clockUncertaintyMs?: number; clockNote?: string }> {
  try {
    const { date, sentAt, receivedAt } = await one.onedDate();
    if (date === undefined) return { clockNote: 'oned\'s reply had no Date header' };
    const halfTrip = (receivedAt - sentAt) / 2;
    return { clockSkewMs: Math.round(sentAt + halfTrip - (date + 500)), clockUncertaintyMs: Math.round(500 + halfTrip) };
  } catch (e) {
    return { clockNote: describeError(e) };
  }
}

export type ReadinessResult = Awaited<ReturnType<typeof compute>>;
/** What an answer adds to the computation: how old it is, and the computation after it that failed (oned down). */
export interface AnswerMeta {
  ageSeconds: number;
  error?: { message: string; at: number };
}

interface Entry {
  last?: ReadinessResult;
  pending?: Promise<ReadinessResult>;
  /** The last refresh that failed, after `last` (oned down): shown with the older answer. */
  error?: { message: string; at: number };
}

export class ReadinessService {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ctx: RunnerContext) {}

  private get maxAgeMs() {
    return this.ctx.config.readiness.refreshSeconds * 1000;
  }

  /**
   * The last result for `session` (undefined: the runner's own) with its age.
   * Computes only when there is none yet or `fresh` is asked; an old one is
   * answered at once and refreshed in the background.
   */
  async get(session?: string, fresh = false): Promise<ReadinessResult & AnswerMeta> {
    const { result, ...meta } = await this.answer(session, fresh);
    return { ...result, ...meta };
  }

  /** As get, with the computation as it is kept (the same object until the next one: the route serialises it once). */
  async answer(session?: string, fresh = false): Promise<{ result: ReadinessResult } & AnswerMeta> {
    const key = session ?? '';
    const now = this.ctx.clock.now();
    for (const [k, e] of this.entries) if (k && !e.pending && e.last && now - e.last.at > 2 * this.maxAgeMs) this.entries.delete(k);
    const e = this.entries.get(key) ?? this.entries.set(key, {}).get(key)!;
    // A fresh answer comes from a computation begun after the request: one already under way may have read oned before it.
    if (fresh && e.pending) await e.pending.catch(() => undefined);
    if (fresh || !e.last) await this.refresh(session);
    else if (now - e.last.at >= this.maxAgeMs) void this.refresh(session).catch(() => undefined);
    const last = e.last!;
    return { result: last, ageSeconds: Math.max(0, Math.floor((this.ctx.clock.now() - last.at) / 1000)), ...(e.error && e.error.at > last.at ? { error: e.error } : {}) };
  }

  /** One computation per session at a time; the runner's own result feeds the gauges. */
  refresh(session?: string): Promise<ReadinessResult> {
    const key = session ?? '';
    const e = this.entries.get(key) ?? this.entries.set(key, {}).get(key)!;
    e.pending ??= compute(this.ctx, session ? this.ctx.one.as(session) : this.ctx.one).then((r) => {
      e.last = r;
      if (!session) this.ctx.metrics.readiness = { at: r.at, hosts: r.hosts.map((h) => ({ hostId: h.hostId, hostName: h.hostName, score: h.score })), clusters: r.clusters };
      return r;
    }, (err: unknown) => {
      if (!session) this.ctx.metrics.readinessRefreshErrors++;
      e.error = { message: describeError(err), at: this.ctx.clock.now() };
      throw err;
    }).finally(() => {
      e.pending = undefined;
    });
    return e.pending;
  }
}

const services = new WeakMap<RunnerContext, ReadinessService>();
export function readinessFor(ctx: RunnerContext): ReadinessService {
  let s = services.get(ctx);
  if (!s) services.set(ctx, (s = new ReadinessService(ctx)));
  return s;
}

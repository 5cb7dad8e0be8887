// fence: make sure a failed host is powered off before its VMs start
// elsewhere. Safety rule: only a power state the BMC reports as OFF counts
// (or an operator's command that exits 0, flagged unverified); a guessed or
// assumed success never does, because a VM must never run twice.
import * as z from '../model/zod';
import { PositiveInt } from '../model/numbers';
import { defineFunction } from './define';
import { HostSchema, type Host } from '../model/one';
import { describeMethod, FenceMethodSchema, PowerActionSchema, type FenceMethod, type PowerAction, type PowerAnswer } from '../model/fence';
import type { Clock, FencePort, Log, Progress } from '../model/ports';

const PowerSchema = z.enum(['on', 'off']);

export const FenceAttemptSchema = z.object({
  /** describeMethod() of the method used. */
  method: z.string(),
  /** 1-based position of the method in the host's list (fence level). */
  level: PositiveInt,
  action: PowerActionSchema,
  ok: z.boolean(),
  power: z.optional(PowerSchema),
  error: z.optional(z.string()),
  durationMs: z.number(),
  /** Clock time when the attempt started. */
  at: z.number(),
  /** A command run again because the runner stopped while its first run was in flight (at most once). */
  rerun: z.optional(z.boolean()),
  /** Journaled as started, never answered: the runner stopped during it (an earlier run of this fencing). */
  interrupted: z.optional(z.boolean()),
});
export type FenceAttempt = z.infer<typeof FenceAttemptSchema>;

/**
 * What the fence step journals around each attempt (Progress.commit): a
 * `started` record, durable before the agent or command runs, then the
 * `ended` attempt. A started record without its ended one was in flight when
 * the runner stopped.
 */
export const FenceAttemptRecordSchema = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('started'), method: z.string(), level: PositiveInt, action: PowerActionSchema, at: z.number(), rerun: z.optional(z.boolean()) }),
  z.extend(FenceAttemptSchema, { phase: z.literal('ended') }),
]);
export type FenceAttemptRecord = z.infer<typeof FenceAttemptRecordSchema>;

export const FenceResultSchema = z.object({
  outcome: z.enum(['fenced', 'skipped', 'failed', 'dry-run']),
  /** The method that fenced the host (or answered the dry run). */
  method: z.optional(z.string()),
  evidence: z.optional(z.string()),
  /** True only when the BMC itself reported OFF after (or before) fencing. */
  verified: z.boolean(),
  /** Last power state a BMC reported. */
  power: z.optional(PowerSchema),
  reason: z.optional(z.string()),
  attempts: z.array(FenceAttemptSchema),
});
export type FenceResult = z.infer<typeof FenceResultSchema>;

export const FenceInputSchema = z.object({
  host: HostSchema,
  /** Fence levels in order; the first that verifiably fences wins. */
  methods: z.array(FenceMethodSchema),
  /** false = fencing disabled (host_error.rb -u / --no-fencing). */
  fencing: z.boolean(),
  /** Read power state only; never changes it. */
  dryRun: z._default(z.boolean(), false),
  /** An operator confirmed the host is off (a dead BMC, oVirt's "Confirm host has been rebooted"): no agent runs. */
  confirmedDown: z.optional(z.object({ by: z.string(), reason: z.string(), at: z.number() })),
  /**
   * What earlier runs of this same fencing journaled before the runner
   * stopped (oldest first). A command level that ended is not run again; one
   * that was in flight is run again once for that stop, marked as a re-run,
   * up to MAX_INTERRUPTED_RUNS runs in all. Agent levels start with a power
   * status whatever came before.
   */
  earlier: z._default(z.array(FenceAttemptRecordSchema), []),
});
export type FenceInput = z.infer<typeof FenceInputSchema>;

/**
 * A fence command cut short by a stop of the runner runs again once per stop,
 * up to this many runs in all: a command that keeps being cut short (or keeps
 * bringing the runner down) then waits for an operator instead.
 */
export const MAX_INTERRUPTED_RUNS = 3;

type FencePorts = { fence: FencePort; log: Log; clock: Clock; progress: Progress };

export function noFencingReason(host: Pick<Host, 'id' | 'name'>): string {
  return `no fencing configured for host ${host.name} (${host.id}): set ONEHA_FENCE_AGENT and FENCE_IP, or a fence command`;
}

/** An agent needs an address: its own `ip` option or the host's FENCE_IP. */
export function agentAddress(method: FenceMethod, host: Host): string | undefined {
  if (method.kind !== 'agent') return undefined;
  const ip = method.options.ip ?? host.template.FENCE_IP;
  return ip && ip.trim() !== '' ? ip : undefined;
}

/** Runs one power action and records it; a port that throws counts as a failed attempt. */
async function attempt(
  ports: FencePorts,
  attempts: FenceAttempt[],
  host: Host,
  method: FenceMethod,
  level: number,
  action: PowerAction,
  rerun = false,
): Promise<PowerAnswer> {
  const at = ports.clock.now();
  const flag = rerun ? { rerun: true } : {};
  // On record before it starts: after a crash the resumed step knows this attempt was in flight.
  await ports.progress.commit?.({ phase: 'started', method: describeMethod(method), level, action, at, ...flag } satisfies FenceAttemptRecord);
  let answer: PowerAnswer;
  try {
    answer = await ports.fence.power(method, action, host);
  } catch (e) {
    answer = { ok: false, error: `fence port failed: ${e instanceof Error ? e.message : String(e)}`, durationMs: ports.clock.now() - at };
  }
  const rec: FenceAttempt = {
    method: describeMethod(method),
    level,
    action,
    ok: answer.ok,
    ...(answer.power ? { power: answer.power } : {}),
    ...(answer.error ? { error: answer.error } : {}),
    durationMs: answer.durationMs,
    at,
    ...flag,
  };
  attempts.push(rec);
  await ports.progress.commit?.({ phase: 'ended', ...rec } satisfies FenceAttemptRecord);
  // "fenceLevel": a log line's own "level" is its severity.
  const { level: fenceLevel, ...rest } = rec;
  const fields = { hostId: host.id, fenceLevel, ...rest };
  if (answer.ok) ports.log.info(`fence ${action} ${rec.method}: ${answer.power ?? 'ok'}`, fields);
  else ports.log.warn(`fence ${action} ${rec.method} failed: ${answer.error ?? 'no reason given'}`, fields);
  return answer;
}

async function dryRun(input: FenceInput, ports: FencePorts): Promise<FenceResult> {
  const { host, methods } = input;
  const attempts: FenceAttempt[] = [];
  const reasons: string[] = [];
  for (const [i, method] of methods.entries()) {
    const name = describeMethod(method);
    if (method.kind === 'command') {
      reasons.push(`level ${i + 1} ${name}: a command method cannot report power state`);
      continue;
    }
    if (!agentAddress(method, host)) {
      reasons.push(`level ${i + 1} ${name}: no FENCE_IP on host ${host.name} (${host.id}) and no ip option`);
      continue;
    }
    const a = await attempt(ports, attempts, host, method, i + 1, 'status');
    if (a.ok && a.power) return { outcome: 'dry-run', method: name, power: a.power, verified: false, evidence: `status reported ${a.power.toUpperCase()}`, attempts };
    reasons.push(`level ${i + 1} ${name}: ${a.error ?? 'no power state reported'}`);
  }
  const reason = reasons.join('; ') || noFencingReason(host);
  // No level can even report power, and no command would be run: a real run would end fence-failed, so the dry run says so.
  if (!methods.some((m) => m.kind === 'command')) {
    return { outcome: 'failed', verified: false, reason: `dry run: fencing would fail: host ${host.name} (${host.id}) cannot be confirmed fenced: ${reason}`, attempts };
  }
  return { outcome: 'dry-run', verified: false, reason: `${reason}; a real run would run the fence command (its exit status cannot be predicted)`, attempts };
}

/** Earlier runs' records as attempts: each started one with its ended one, or marked interrupted. */
function pairEarlier(records: FenceAttemptRecord[]): Array<{ attempt: FenceAttempt }> {
  const out: Array<{ attempt: FenceAttempt }> = [];
  for (const r of records) {
    if (r.phase === 'started') {
      out.push({ attempt: { method: r.method, level: r.level, action: r.action, at: r.at, ok: false, error: 'no answer: the runner stopped during this attempt', durationMs: 0, interrupted: true, ...(r.rerun ? { rerun: true } : {}) } });
      continue;
    }
    const { phase: _, ...ended } = r;
    const i = out.findIndex((e) => e.attempt.interrupted && e.attempt.at === ended.at && e.attempt.level === ended.level && e.attempt.action === ended.action);
    if (i >= 0) out[i] = { attempt: ended }; else out.push({ attempt: ended });
  }
  return out;
}

export async function runFence(input: FenceInput, ports: FencePorts): Promise<FenceResult> {
  const { host, methods } = input;
  if (!input.fencing) {
    ports.log.warn(`fencing is disabled for host ${host.name} (${host.id}): its VMs will be recovered without powering it off`, { hostId: host.id });
    return { outcome: 'skipped', verified: false, reason: 'fencing disabled (-u / --no-fencing)', attempts: [] };
  }
  const confirmed = input.confirmedDown;
  if (confirmed) {
    // Not verified by a BMC: the evidence is a person's, journaled with who, why and when (with what ran before it).
    return {
      outcome: 'fenced', method: 'operator confirmation', verified: false, attempts: pairEarlier(input.earlier).map((e) => e.attempt),
      evidence: `confirmed by ${confirmed.by} at ${new Date(confirmed.at).toISOString()}: ${confirmed.reason}`,
    };
  }
  if (methods.length === 0) {
    const reason = noFencingReason(host);
    ports.log.error(reason, { hostId: host.id });
    return { outcome: 'failed', verified: false, reason, attempts: [] };
  }
  if (input.dryRun) return dryRun(input, ports);

  const earlier = pairEarlier(input.earlier);
  // The evidence holds every attempt of this fencing, those of runs cut short by a crash first.
  const attempts: FenceAttempt[] = earlier.map((e) => e.attempt);
  const reasons: string[] = [];
  let lastPower: 'on' | 'off' | undefined;
  for (const [i, method] of methods.entries()) {
    const level = i + 1;
    const name = describeMethod(method);
    if (method.kind === 'command') {
      // An operator's fence_host.sh: its exit status is all it can tell, and running it has effects
      // (it may power-cycle the host), so a stop of the runner costs at most one more run.
      const before = earlier.filter((e) => e.attempt.level === level && e.attempt.method === name && e.attempt.action === 'off');
      const answered = before.find((e) => !e.attempt.interrupted)?.attempt;
      if (answered?.ok) {
        return { outcome: 'fenced', method: name, evidence: 'command exited 0 before the runner stopped; not run again (unverified: a command cannot report power state)', verified: false, attempts };
      }
      if (answered) {
        reasons.push(`level ${level} ${name}: ${answered.error ?? 'command failed'} (before the runner stopped; not run again)`);
        continue;
      }
      // Every run before was cut short by a stop of the runner (none answered): one more run for that stop.
      const cut = before.length;
      if (cut >= MAX_INTERRUPTED_RUNS) {
        reasons.push(`level ${level} ${name}: the runner stopped during each of its ${cut} runs; not run again (confirm the host is off, or release to fence afresh)`);
        continue;
      }
      const rerun = cut > 0;
      if (rerun) ports.log.warn(`fence off ${name}: the runner stopped while it ran (${cut === 1 ? 'once' : `${cut} times`}); running it once more`, { hostId: host.id, fenceLevel: level });
      const off = await attempt(ports, attempts, host, method, level, 'off', rerun);
      if (off.ok) {
        const how = rerun ? `command exited 0 on a re-run (the runner stopped during ${cut === 1 ? 'its first run' : `each of its ${cut} earlier runs`})` : 'command exited 0';
        return { outcome: 'fenced', method: name, evidence: `${how} (unverified: a command cannot report power state)`, verified: false, attempts };
      }
      reasons.push(`level ${level} ${name}: ${off.error ?? 'command failed'}`);
      continue;
    }
    if (!agentAddress(method, host)) {
      reasons.push(`level ${level} ${name}: no FENCE_IP on host ${host.name} (${host.id}) and no ip option`);
      continue;
    }
    // Status first: a host that is already off needs no off (and an
    // unreachable BMC fails fast, before anything is sent).
    const before = await attempt(ports, attempts, host, method, level, 'status');
    if (!before.ok || !before.power) {
      reasons.push(`level ${level} ${name}: ${before.error ?? 'no power state reported'}`);
      continue;
    }
    lastPower = before.power;
    if (before.power === 'off') {
      return { outcome: 'fenced', method: name, evidence: `already off (${name} status reported OFF)`, verified: true, power: 'off', attempts };
    }
    const off = await attempt(ports, attempts, host, method, level, 'off');
    // Check again whatever off answered: an agent can report a timeout for
    // a host that did go off, and "success" alone is never taken on trust.
    const after = await attempt(ports, attempts, host, method, level, 'status');
    if (after.ok && after.power) lastPower = after.power;
    if (after.ok && after.power === 'off') {
      return { outcome: 'fenced', method: name, evidence: `powered off by ${name}; status verified OFF`, verified: true, power: 'off', attempts };
    }
    const why = !off.ok ? off.error ?? 'off failed' : after.ok ? `host still reports ${String(after.power).toUpperCase()} after off` : `status after off failed: ${after.error ?? 'no answer'}`;
    reasons.push(`level ${level} ${name}: ${why}`);
  }
  const reason = `host ${host.name} (${host.id}) is not confirmed fenced: ${reasons.join('; ')}`;
  ports.log.error(reason, { hostId: host.id });
  return { outcome: 'failed', verified: false, ...(lastPower ? { power: lastPower } : {}), reason, attempts };
}

export const fence = defineFunction({
  name: 'fence',
  description: 'Power the failed host off through its fence levels (status, off, status); only a verified OFF (or a fence command exiting 0) counts.',
  effectful: true,
  ports: ['fence', 'log', 'clock', 'progress'],
  input: FenceInputSchema,
  output: FenceResultSchema,
  run: (input, ports) => runFence(input, ports),
  // Each level already retries inside; the flow never repeats a fencing blindly.
  retry: false,
  // A failed fencing is never reused: once an operator releases the recovery, fencing runs again.
  reusable: (out) => out.outcome !== 'failed',
});

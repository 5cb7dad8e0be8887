// What migrate, recreate and delete share: act on each planned VM with
// bounded concurrency, one VM's failure never stopping the others, and
// never issuing an action whose effect is already visible (so a resumed
// flow does not act twice).
import * as z from '../model/zod';
import { Int, NonNegativeInt, Positive } from '../model/numbers';
import { lastHistory, LcmState, VmState, vmStateName, type Vm } from '../model/one';
import { describeError } from '../model/errors';
import { retry, type RetryPolicy } from '../model/retry';
import type { Ports } from '../model/ports';
import { OperationSchema, PlannedActionSchema, reschedRefusal, tiersOf, type Operation, type PlannedAction } from './select';
import { waitForTier } from './tierGate';
import { chunks } from '../model/chunks';

export const CarryOutInput = z.object({
  hostId: NonNegativeInt,
  actions: z.array(PlannedActionSchema),
  concurrency: z._default(z.number().check(z.int(), z.gte(1), z.lte(256)), 8),
  /** Tries per VM for transient errors (oned busy, electing, unreachable). */
  tries: z._default(z.number().check(z.int(), z.gte(1), z.lte(10)), 3),
  /** More tries for transient errors until this time (ms since the epoch): oned down for a while does not fail the VMs. */
  retryUntil: z.optional(z.number()),
  retryDelayMs: z._default(NonNegativeInt, 1000),
  dryRun: z._default(z.boolean(), false),
  /** Locked VMs: unlock, act, lock again at the same level; otherwise they are left with the unlock command. */
  unlockLocked: z.optional(z.boolean()),
  /** How often a tier's VMs are read while the next tier waits for them (ONEHA_PRIORITY). */
  tierPollSeconds: z.optional(Positive),
});

export const VmOutcomeSchema = z.object({
  vmId: Int,
  vmName: z.string(),
  operation: OperationSchema,
  outcome: z.enum(['done', 'already-done', 'skipped', 'locked', 'failed', 'dry-run']),
  detail: z.string(),
  tries: Int,
});
export type VmOutcome = z.infer<typeof VmOutcomeSchema>;

export const CarryOutOutput = z.object({
  outcomes: z.array(VmOutcomeSchema),
  done: Int,
  alreadyDone: Int,
  failed: Int,
  skipped: Int,
  locked: z._default(Int, 0),
});
export type CarryOutResult = z.infer<typeof CarryOutOutput>;

/** The oned call for each operation (OpenNebula XML-RPC reference). */
export function issue(one: Ports['one'], op: Operation, vmId: number): Promise<number> {
  switch (op) {
    case 'resched': return one.vmAction('resched', vmId);
    case 'recreate': return one.vmRecover(vmId, 4);
    case 'delete': return one.vmRecover(vmId, 3);
  }
}

export const CALL_TEXT: Record<Operation, (id: number) => string> = {
  resched: (id) => `one.vm.action("resched", ${id})`,
  recreate: (id) => `one.vm.recover(${id}, 4)`,
  delete: (id) => `one.vm.recover(${id}, 3)`,
};

const LOCK_NAMES: Record<number, string> = { 1: 'USE', 2: 'MANAGE', 3: 'ADMIN', 4: 'ALL' };
export const lockName = (level: number) => LOCK_NAMES[level] ?? `level ${level}`;
/** What an operator runs to lift a VM's lock. */
export const unlockHint = (vmId: number) => `onevm unlock ${vmId}`;

/**
 * Acts on a locked VM the way an operator allowed it: unlock, act, lock
 * again at the same level, whatever the action did. Returns what to journal.
 */
export async function actUnlocked(one: Ports['one'], vmId: number, level: number, act: () => Promise<unknown>): Promise<string> {
  await one.vmUnlock(vmId);
  let failure: unknown;
  try {
    await act();
  } catch (e) {
    failure = e;
  }
  const relock = await one.vmLock(vmId, level).then(() => '',
    (e: unknown) => `; locking it again failed (${describeError(e)}): run "onevm lock ${vmId} --${lockName(level).toLowerCase()}"`);
  if (failure) throw failure;
  return ` (unlocked, then locked again at ${lockName(level)}${relock})`;
}

/** Transient errors are tried again within `tries`, and beyond while the recovery's deadline for transient faults (`retryUntil`) has not passed. */
function persistent(input: { tries: number; retryDelayMs: number; retryUntil?: number }, clock: Ports['clock'], onRetry?: RetryPolicy['onRetry']): RetryPolicy {
  return {
    tries: input.tries, delayMs: input.retryDelayMs, backoff: 'linear', maxDelayMs: 16_000, onRetry,
    until: input.retryUntil === undefined ? undefined : { at: input.retryUntil, now: () => clock.now() },
  };
}

/** VMs per fresh-read call before acting. */
export const RECHECK_CHUNK = 64;

type Verdict = { act: true } | { act: false; outcome: 'already-done' | 'skipped' | 'locked' | 'failed'; detail: string };

/** Looks at the VM as oned has it now and decides whether the action is still needed. */
export function verdictFor(op: Operation, hostId: number, vm: Vm | undefined): Verdict {
  if (!vm) {
    return op === 'delete'
      ? { act: false, outcome: 'already-done', detail: 'the VM no longer exists' }
      : { act: false, outcome: 'failed', detail: 'the VM was not found in oned' };
  }
  const last = lastHistory(vm);
  const state = vmStateName(vm.state, vm.lcmState);
  if (vm.state === VmState.DONE) {
    return op === 'delete'
      ? { act: false, outcome: 'already-done', detail: 'the VM is already DONE' }
      : { act: false, outcome: 'failed', detail: 'the VM is DONE and cannot be recovered' };
  }
  if (last && last.hid !== hostId) return { act: false, outcome: 'already-done', detail: `the VM is already on host ${last.hostname} (${last.hid}), ${state}` };
  switch (op) {
    case 'resched': {
      if (vm.resched === 1) return { act: false, outcome: 'already-done', detail: 'resched already requested (RESCHED=1)' };
      if (vm.state === VmState.ACTIVE && vm.lcmState === LcmState.PROLOG_MIGRATE_UNKNOWN) {
        return { act: false, outcome: 'already-done', detail: 'the VM is already being moved (PROLOG_MIGRATE_UNKNOWN)' };
      }
      const refusal = reschedRefusal(vm);
      return refusal ? { act: false, outcome: 'skipped', detail: `now ${state}: ${refusal}` } : { act: true };
    }
    case 'recreate':
      if (vm.state === VmState.PENDING || (vm.state === VmState.ACTIVE && vm.lcmState === LcmState.CLEANUP_RESUBMIT)) {
        return { act: false, outcome: 'already-done', detail: `recreate already under way (${state})` };
      }
      return { act: true };
    case 'delete':
      if (vm.state === VmState.ACTIVE && vm.lcmState === LcmState.CLEANUP_DELETE) {
        return { act: false, outcome: 'already-done', detail: 'delete already under way (CLEANUP_DELETE)' };
      }
      return { act: true };
  }
}

export async function carryOut(
  input: z.output<typeof CarryOutInput>,
  { one, clock, log, progress }: Pick<Ports, 'one' | 'clock' | 'log' | 'progress'>,
): Promise<CarryOutResult> {
  const { hostId, actions } = input;
  // A fresh read of every VM before acting (never act on a stale view), in
  // chunks requested together: the first actions start as soon as the first
  // small chunk is in, instead of after one big reply has been parsed. Each
  // tier is read when its turn comes, not before the tiers above it ran.
  const fresh = new Map<number, Promise<Vm | undefined | Error>>();
  const readFresh = (group: readonly PlannedAction[]) => {
    for (const part of chunks(group, RECHECK_CHUNK)) {
      const ids = part.map((a) => a.vmId);
      // A failed read is kept as a value: it fails those VMs, never the whole step.
      const chunk = retry(persistent(input, clock), () => one.vmPoolInfoSet(ids, false), clock)
        .then((vms) => new Map(vms.map((v) => [v.id, v])), (e: unknown) => (e instanceof Error ? e : new Error(String(e))));
      for (const id of ids) fresh.set(id, chunk.then((m) => (m instanceof Error ? m : m.get(id))));
    }
  };
  const outcomes: VmOutcome[] = new Array(actions.length);

  const handle = async (a: PlannedAction): Promise<VmOutcome> => {
    const base = { vmId: a.vmId, vmName: a.vmName, operation: a.operation };
    const current = await fresh.get(a.vmId);
    if (current instanceof Error) return { ...base, outcome: 'failed', detail: `could not re-read the VM before acting: ${describeError(current)}`, tries: 0 };
    const verdict = verdictFor(a.operation, hostId, current);
    if (!verdict.act) return { ...base, outcome: verdict.outcome, detail: verdict.detail, tries: 0 };
    const lock = current?.lock;
    if (lock !== undefined && !input.unlockLocked) {
      return { ...base, outcome: 'locked', detail: `the VM is locked (${lockName(lock)}): oned refuses ${CALL_TEXT[a.operation](a.vmId)}; run "${unlockHint(a.vmId)}" and recover it again, or allow oneha to unlock (verify.unlockLocked)`, tries: 0 };
    }
    if (input.dryRun) return { ...base, outcome: 'dry-run', detail: `would call ${CALL_TEXT[a.operation](a.vmId)}${lock !== undefined ? ' after unlocking it' : ''}`, tries: 0 };
    let tries = 0;
    try {
      const act = () => issue(one, a.operation, a.vmId);
      const how = await retry(persistent(input, clock, (e) => log.warn(`VM ${a.vmId}: ${describeError(e)}; trying again`, { hostId, vmId: a.vmId })),
        async (attempt) => {
          tries = attempt;
          if (attempt > 1) {
            // The call may have reached oned before its answer was lost: look again before acting again.
            const now = verdictFor(a.operation, hostId, (await one.vmPoolInfoSet([a.vmId], false)).find((v) => v.id === a.vmId));
            if (!now.act) return now;
          }
          return lock !== undefined ? await actUnlocked(one, a.vmId, lock, act) : (await act(), '');
        }, clock);
      if (typeof how !== 'string') return { ...base, outcome: how.outcome, detail: how.detail, tries };
      return { ...base, outcome: 'done', detail: CALL_TEXT[a.operation](a.vmId) + how, tries };
    } catch (e) {
      return { ...base, outcome: 'failed', detail: `${CALL_TEXT[a.operation](a.vmId)} failed: ${describeError(e)}`, tries };
    }
  };

  const indexOf = new Map(actions.map((a, i) => [a, i]));
  const actOn = async (group: readonly PlannedAction[]) => {
    readFresh(group);
    let next = 0;
    const worker = async () => {
      while (next < group.length) {
        const a = group[next++];
        const o = await handle(a);
        outcomes[indexOf.get(a)!] = o;
        log[o.outcome === 'failed' ? 'error' : 'info'](`VM ${o.vmId} (${o.vmName}): ${o.operation} ${o.outcome}: ${o.detail}`, { hostId, vmId: o.vmId });
        progress.emit({ kind: 'vm', hostId, ...o });
      }
    };
    await Promise.all(Array.from({ length: Math.min(input.concurrency, group.length) }, worker));
  };
  // One tier (the usual case) or a dry run: everything at once. Otherwise tier by tier.
  const tiers = input.dryRun ? [actions] : tiersOf(actions);
  for (const [t, group] of tiers.entries()) {
    if (t > 0) {
      const above = tiers[t - 1];
      const acted = above.filter((a) => ['done', 'already-done'].includes(outcomes[indexOf.get(a)!]?.outcome ?? ''));
      const name = (g: readonly PlannedAction[]) => g[0].priority ?? 'MEDIUM';
      if (acted.length) await waitForTier(hostId, { tier: name(above), next: name(group), acted, pollSeconds: input.tierPollSeconds ?? 5 }, { one, clock, log, progress });
    }
    await actOn(group);
  }
  const count = (k: VmOutcome['outcome']) => outcomes.filter((o) => o.outcome === k).length;
  return { outcomes, done: count('done') + count('dry-run'), alreadyDone: count('already-done'), failed: count('failed'), skipped: count('skipped'), locked: count('locked') };
}

/** migrate, recreate and delete are this, each bound to its one operation; `recover` takes each action's own. */
export function carryOutFunction<N extends string>(name: N, operation: Operation | undefined, description: string) {
  return {
    name,
    description,
    effectful: true,
    ports: ['one', 'clock', 'log', 'progress'] as const,
    input: CarryOutInput.check(z.refine((i) => operation === undefined || i.actions.every((a) => a.operation === operation), {
      message: `${name} carries out "${operation}" actions only`,
      path: ['actions'],
    })),
    output: CarryOutOutput,
    run: (input: z.output<typeof CarryOutInput>, ports: Pick<Ports, 'one' | 'clock' | 'log' | 'progress'>) => carryOut(input, ports),
  };
}

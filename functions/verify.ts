// verify: a recovery is done when its VMs run, not when oned accepted the
// calls. Watches every VM acted on with bulk reads (one.vmpool.infoset, 64
// VMs a call, all chunks of a poll at once) until each runs on another host
// (is DONE, for delete), is stuck (a *_FAILURE state, back to UNKNOWN,
// locked, gone), or the deadline passes. On the way it converges within
// bounds: a VM in a *_FAILURE state is retried (one.vm.recover retry), then
// re-created where the operator allowed it; a VM whose resched was dropped
// gets it again. Every such call is decided on this poll's fresh read, so
// nothing is acted on twice by accident.
import * as z from '../model/zod';
import { Int, NonNegativeInt, Positive } from '../model/numbers';
import { defineFunction } from './define';
import { isVmFailureState, lastHistory, LcmState, VmState, vmStateName, type Vm } from '../model/one';
import { actUnlocked, CALL_TEXT, issue, lockName, unlockHint } from './carryOut';
import { describeError, OneError, OneErrorCode } from '../model/errors';
import type { Ports } from '../model/ports';
import { DEFAULT_LADDER, LadderSchema, type Ladder } from '../model/ladder';
import { OperationSchema, type Operation } from './select';
import { chunks } from '../model/chunks';

/** VMs per one.vmpool.infoset call (the same chunk the carry-out step re-reads with). */
export const VERIFY_CHUNK = 64;

export const VerifyVmSchema = z.object({ vmId: Int, vmName: z.string(), operation: OperationSchema });


export const VerifyInput = z.object({
  hostId: NonNegativeInt,
  /** When oned put the host in ERROR (ms since the epoch): times to running and MTTR count from here. */
  failedAt: z.optional(z.number()),
  vms: z.array(VerifyVmSchema),
  pollSeconds: z._default(Positive, 5),
  /** Absolute (ms since the epoch), so a resumed verify keeps the recovery's deadline. */
  deadlineAt: z.number(),
  /** The ladder for a VM whose operation has none of its own in `ladders`. */
  ladder: z._default(LadderSchema, DEFAULT_LADDER),
  /** Per operation (the flow resolves verify.perMode and the host's own): a recreated VM may be allowed what a rescheduled one is not. */
  ladders: z.optional(z.object({ resched: z.optional(LadderSchema), recreate: z.optional(LadderSchema) })),
  /** Locked VMs: unlock, act, lock again at the same level (journaled); otherwise they are reported with the unlock command. */
  unlockLocked: z._default(z.boolean(), false),
});

export const VmVerdictSchema = z.object({
  vmId: Int,
  vmName: z.string(),
  operation: OperationSchema,
  result: z.enum(['running', 'done', 'stuck']),
  /** Where it runs now (running), or where it is stuck. */
  hostId: z.optional(Int),
  hostName: z.optional(z.string()),
  state: z.string(),
  /** When verify saw the end state (ms since the epoch), and how long after the host failed. */
  at: z.number(),
  afterMs: z.number(),
  /** Why it is stuck, in oneha's words. */
  reason: z.optional(z.string()),
  /** oned's own text (SCHED_MESSAGE, an error reply). */
  oned: z.optional(z.string()),
  /** The calls the ladder made for this VM, in order. */
  retries: z.array(z.string()),
});
export type VmVerdict = z.infer<typeof VmVerdictSchema>;

export const VerifyOutput = z.object({
  vms: z.array(VmVerdictSchema),
  running: Int,
  stuck: Int,
  /** Host ERROR (failedAt) to the last VM running; absent when some VM is stuck or failedAt is unknown. */
  mttrMs: z.optional(z.number()),
  polls: Int,
  reads: Int,
});
export type VerifyResult = z.infer<typeof VerifyOutput>;

/** Where a VM is on its way, as one poll sees it. */
export type Progress =
  | { phase: 'arrived'; hostId: number; hostName: string; state: string }
  | { phase: 'moving'; state: string; oned?: string }
  | { phase: 'failed'; state: string; reason: string; hostId?: number; hostName?: string; retry?: 'recover-retry' | 'again' };

/** Pure: what one fresh read of the VM says about its recovery from `hostId`. */
export function progressOf(op: Operation, hostId: number, vm: Vm | undefined): Progress {
  if (!vm) {
    return op === 'delete' ? { phase: 'arrived', hostId: -1, hostName: '', state: 'DONE' }
      : { phase: 'failed', state: 'gone', reason: 'the VM no longer exists in oned' };
  }
  const state = vmStateName(vm.state, vm.lcmState);
  const last = lastHistory(vm);
  const where = last ? { hostId: last.hid, hostName: last.hostname } : {};
  if (op === 'delete') {
    return vm.state === VmState.DONE ? { phase: 'arrived', hostId: -1, hostName: '', state } : { phase: 'moving', state };
  }
  if (vm.state === VmState.DONE) return { phase: 'failed', state, reason: 'the VM is DONE', ...where };
  const elsewhere = !!last && last.hid !== hostId;
  if (isVmFailureState(vm.state, vm.lcmState)) {
    return { phase: 'failed', state, reason: `${state}${last ? ` on ${last.hostname}` : ''}`, ...where, retry: vm.state === VmState.ACTIVE ? 'recover-retry' : undefined };
  }
  if (elsewhere) {
    if (vm.state === VmState.ACTIVE && vm.lcmState === LcmState.RUNNING) return { phase: 'arrived', hostId: last.hid, hostName: last.hostname, state };
    // A VM that was powered off or suspended is recovered when it sits, in that state, on a live host.
    if (vm.state === VmState.POWEROFF || vm.state === VmState.SUSPENDED || vm.state === VmState.UNDEPLOYED) {
      return { phase: 'arrived', hostId: last.hid, hostName: last.hostname, state };
    }
    if (vm.state === VmState.ACTIVE && vm.lcmState === LcmState.UNKNOWN) {
      // oned writes the resched's new history record before its life-cycle manager leaves
      // UNKNOWN (PROLOG_MIGRATE_UNKNOWN clears RESCHED): seen on a real oned for up to seconds
      // under load. Only a VM that ran there and went UNKNOWN again (RESCHED cleared) failed.
      if (vm.resched === 1) return { phase: 'moving', state };
      return { phase: 'failed', state, reason: `UNKNOWN again, now on ${last.hostname}`, ...where };
    }
    return { phase: 'moving', state };
  }
  // Still on the failed host (or nowhere yet).
  if (vm.state === VmState.ACTIVE && vm.lcmState === LcmState.UNKNOWN && vm.resched === 0 && op === 'resched') {
    return { phase: 'failed', state, reason: 'back to UNKNOWN on the failed host without RESCHED: the resched was dropped', ...where, retry: 'again' };
  }
  if (vm.state === VmState.ACTIVE && vm.lcmState === LcmState.UNKNOWN && op === 'recreate') {
    return { phase: 'failed', state, reason: 'still UNKNOWN on the failed host: the recreate did not happen', ...where, retry: 'again' };
  }
  return { phase: 'moving', state, oned: vm.schedMessage };
}

type Rung = { kind: 'retry' | 'recreate'; op: Operation | 'recover-retry'; call: string };

interface Watch {
  vm: z.infer<typeof VerifyVmSchema>;
  last?: Progress;
  lastVm?: Vm;
  readError?: string;
  tries: number;
  recreated: boolean;
  notBefore: number;
  calls: string[];
}

export async function verifyVms(
  input: z.output<typeof VerifyInput>,
  { one, clock, log, progress }: Pick<Ports, 'one' | 'clock' | 'log' | 'progress'>,
): Promise<VerifyResult> {
  const started = clock.now();
  const since = input.failedAt ?? started;
  const pending = new Map<number, Watch>(input.vms.map((vm) => [vm.vmId, { vm, tries: 0, recreated: false, notBefore: 0, calls: [] }]));
  const verdicts = new Map<number, VmVerdict>();
  let polls = 0;
  let reads = 0;

  const settle = (w: Watch, result: VmVerdict['result'], at: number, extra: Partial<VmVerdict>) => {
    const v: VmVerdict = { ...w.vm, result, state: extra.state ?? 'unknown', at, afterMs: Math.max(0, at - since), retries: w.calls, ...extra };
    verdicts.set(w.vm.vmId, v);
    pending.delete(w.vm.vmId);
    const text = result === 'stuck' ? `stuck: ${v.reason}` : `${v.state}${v.hostName ? ` on ${v.hostName}` : ''} after ${(v.afterMs / 1000).toFixed(1)} s`;
    log[result === 'stuck' ? 'warn' : 'info'](`VM ${v.vmId} (${v.vmName}) ${text}`, { hostId: input.hostId, vmId: v.vmId });
    progress.emit({ kind: 'verify', hostId: input.hostId, vmId: v.vmId, verify: v });
  };

  const ladderOf = (w: Watch): Ladder => (w.vm.operation === 'delete' ? undefined : input.ladders?.[w.vm.operation]) ?? input.ladder;

  /** The next rung of the ladder for a VM seen failed, or undefined when none is left (or allowed). */
  const nextRung = (w: Watch, p: Extract<Progress, { phase: 'failed' }>): Rung | undefined => {
    const id = w.vm.vmId;
    const ladder = ladderOf(w);
    if (p.retry === 'again' && w.tries < Math.max(1, ladder.retries)) {
      return w.vm.operation === 'recreate' ? { kind: 'retry', op: 'recreate', call: CALL_TEXT.recreate(id) } : { kind: 'retry', op: 'resched', call: CALL_TEXT.resched(id) };
    }
    if (p.retry === 'recover-retry') {
      if (w.tries < ladder.retries) return { kind: 'retry', op: 'recover-retry', call: `one.vm.recover(${id}, 2)` };
      if (ladder.recreate && !w.recreated) return { kind: 'recreate', op: 'recreate', call: CALL_TEXT.recreate(id) };
    }
    return undefined;
  };

  for (;;) {
    const now = clock.now();
    if (pending.size) {
      polls++;
      const ids = [...pending.keys()];
      const calls = chunks(ids, VERIFY_CHUNK);
      reads += calls.length;
      // A failed read (oned down, busy) only delays: the VMs are looked at again next poll.
      const answers = await Promise.all(calls.map((c) => one.vmPoolInfoSet(c, false).then(
        (vms) => ({ ids: c, vms: new Map(vms.map((v) => [v.id, v])) }),
        (e: unknown) => ({ ids: c, error: describeError(e) }))));
      const seenAt = clock.now();
      for (const a of answers) {
        if ('error' in a) {
          log.warn(`reading ${a.ids.length} VMs failed: ${a.error}; looking again next poll`, { hostId: input.hostId });
          for (const id of a.ids) pending.get(id)!.readError = a.error;
          continue;
        }
        for (const id of a.ids) {
          const w = pending.get(id)!;
          w.readError = undefined;
          const vm = a.vms.get(id);
          const p = progressOf(w.vm.operation, input.hostId, vm);
          const changed = JSON.stringify(p) !== JSON.stringify(w.last);
          w.last = p;
          w.lastVm = vm;
          if (p.phase === 'arrived') {
            settle(w, w.vm.operation === 'delete' ? 'done' : 'running', seenAt, p.hostId >= 0 ? { hostId: p.hostId, hostName: p.hostName, state: p.state } : { state: p.state });
            continue;
          }
          if (changed) progress.emit({ kind: 'verify', hostId: input.hostId, vmId: id, verify: { ...w.vm, result: 'watching', state: p.state, oned: p.phase === 'moving' ? p.oned : undefined, reason: p.phase === 'failed' ? p.reason : undefined, retries: w.calls } });
          if (p.phase !== 'failed') continue;
          const rung = nextRung(w, p);
          if (!rung) {
            settle(w, 'stuck', seenAt, { state: p.state, hostId: p.hostId, hostName: p.hostName, reason: p.reason });
            continue;
          }
          if (vm?.lock !== undefined && !input.unlockLocked) {
            settle(w, 'stuck', seenAt, { state: p.state, hostId: p.hostId, hostName: p.hostName, reason: `${p.reason}; locked (${lockName(vm.lock)}), so not retried: ${unlockHint(id)}` });
            continue;
          }
          if (seenAt < w.notBefore) continue;
          try {
            const run = () => (rung.op === 'recover-retry' ? one.vmRecover(id, 2) : issue(one, rung.op, id));
            const how = vm?.lock !== undefined ? await actUnlocked(one, id, vm.lock, run) : (await run(), '');
            if (rung.kind === 'recreate') w.recreated = true;
            else w.tries++;
            w.calls.push(`${rung.call}${how} (${p.reason})`);
            w.notBefore = seenAt + ladderOf(w).backoffSeconds * 1000 * 2 ** (w.calls.length - 1);
            log.info(`VM ${id} (${w.vm.vmName}): ${p.reason}; ${rung.call}${how}`, { hostId: input.hostId, vmId: id });
            progress.emit({ kind: 'verify', hostId: input.hostId, vmId: id, verify: { ...w.vm, result: 'watching', state: p.state, reason: p.reason, retries: w.calls } });
          } catch (e) {
            // A transient refusal is tried again next poll; any other ends this VM's ladder.
            if (e instanceof OneError && e.transient && e.code !== OneErrorCode.LOCKED) {
              log.warn(`VM ${id}: ${rung.call} failed: ${describeError(e)}; trying again next poll`, { hostId: input.hostId, vmId: id });
              continue;
            }
            const locked = e instanceof OneError && e.code === OneErrorCode.LOCKED;
            settle(w, 'stuck', seenAt, {
              state: p.state, hostId: p.hostId, hostName: p.hostName, oned: describeError(e),
              reason: `${p.reason}; ${rung.call} was refused${locked ? `: the VM is locked (${unlockHint(id)})` : ''}`,
            });
          }
        }
      }
    }
    if (!pending.size) break;
    const after = clock.now();
    if (after >= input.deadlineAt) {
      for (const w of [...pending.values()]) {
        const p = w.last;
        const state = p?.state ?? 'not read';
        const oned = p?.phase === 'moving' ? p.oned : undefined;
        const why = w.readError && !p ? `oned could not be read before the deadline (${w.readError})`
          : oned ? `not placed by the scheduler before the deadline (still ${state})`
          : `not running by the deadline (still ${state})`;
        settle(w, 'stuck', after, { state, oned: oned ?? w.readError, reason: why });
      }
      break;
    }
    await clock.sleep(Math.min(input.pollSeconds * 1000, input.deadlineAt - after));
  }

  const vms = input.vms.map((v) => verdicts.get(v.vmId)!);
  const ok = vms.filter((v) => v.result !== 'stuck');
  const stuck = vms.length - ok.length;
  const last = ok.length ? Math.max(...ok.map((v) => v.at)) : undefined;
  return {
    vms, running: ok.length, stuck, polls, reads,
    mttrMs: stuck === 0 && last !== undefined && input.failedAt !== undefined ? Math.max(0, last - input.failedAt) : undefined,
  };
}

export const verify = defineFunction({
  name: 'verify',
  description: 'Watch every VM acted on (one.vmpool.infoset, 64 a call) until it runs elsewhere, is stuck, or the deadline passes; retry stuck VMs along the ladder.',
  effectful: true,
  ports: ['one', 'clock', 'log', 'progress'],
  input: VerifyInput.check(z.refine((i) => new Set(i.vms.map((v) => v.vmId)).size === i.vms.length, { message: 'each VM once', path: ['vms'] })),
  output: VerifyOutput,
  run: (input, ports) => verifyVms(input, ports),
});

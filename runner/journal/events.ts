// The journal is a log of events per recovery; a recovery's state is the
// fold of its events. Events are written (and fsync'd) before the next step
// starts, so a crash at any point leaves enough to resume without acting twice.
import * as z from '../../model/zod';
import { WAITING_FOR_OPERATOR } from '../../model/recoveryDisplay';
import { STEP_NAMES, type StepName } from '../../model/steps';

export const StepNameSchema = z.enum(STEP_NAMES);
export type { StepName };

export const RecoveryStatusSchema = z.enum([
  'received', // journaled, not started
  'rejected', // the payload was malformed; kept so nothing received is lost
  'running',
  'held', // mass-failure brake or disarmed: waits for an operator
  'fence-failed', // stopped before any VM was touched; waits for an operator
  'came-back', // the host returned during the wait
  'completed', // every planned VM runs elsewhere (verified)
  'degraded', // ended, but some planned VMs do not run: each named with why
  'failed',
  'skipped', // HA is off for the host, or the runner is not the leader
]);
export type RecoveryStatus = z.infer<typeof RecoveryStatusSchema>;

export const TriggerSchema = z.enum(['hook', 'reconciled', 'manual', 'replay']);

const base = { id: z.string(), at: z.number() };

export const StepRecordSchema = z.object({
  name: StepNameSchema,
  status: z.enum(['running', 'ok', 'failed']),
  startedAt: z.number(),
  endedAt: z.optional(z.number()),
  /** The function run, when it is not the step's name (see step-started). */
  fn: z.optional(z.string()),
  input: z.optional(z.unknown()),
  output: z.optional(z.unknown()),
  error: z.optional(z.object({ code: z.string(), message: z.string() })),
  /** Records the step journaled while it ran (Progress.commit): fence attempts, each before it started and once it ended. */
  attempts: z.optional(z.array(z.record(z.string(), z.unknown()))),
});
export type StepRecord = z.infer<typeof StepRecordSchema>;

/** A recovery's state: the fold of its events (and what a compacted log keeps per recovery). */
export const RecoverySchema = z.object({
  id: z.string(),
  trigger: TriggerSchema,
  payload: z.string(),
  /** Where a rejected payload went (the rejected-payload file), so memory and the compacted log need not hold it. */
  payloadRef: z.optional(z.string()),
  receivedAt: z.number(),
  updatedAt: z.number(),
  hostId: z.optional(z.number().check(z.int())),
  hostName: z.optional(z.string()),
  status: RecoveryStatusSchema,
  reason: z.optional(z.string()),
  /** Machine-readable cause of a failure (a step error code or oned's error name). */
  errorCode: z.optional(z.string()),
  steps: z.array(StepRecordSchema),
  vms: z.array(z.record(z.string(), z.unknown())),
  /** Further events for the same host that joined this recovery. */
  joined: z.number().check(z.int()),
  /** The last hook payload that joined before fencing: its flags apply to this recovery. */
  joinedHook: z.optional(z.string()),
  /** An operator's recorded confirmation that the host is off (a dead BMC): the fencing evidence. */
  confirmedDown: z.optional(z.object({ by: z.string(), reason: z.string(), at: z.number() })),
  releasedBy: z.optional(z.string()),
  /** When an operator last released it: a failed fencing that ended before this is fenced afresh, one after it is not. */
  releasedAt: z.optional(z.number()),
  force: z.optional(z.boolean()),
});
export type Recovery = z.infer<typeof RecoverySchema>;

export const JournalEventSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('received'), payload: z.string(), trigger: TriggerSchema, hostId: z.optional(z.number().check(z.int())), force: z.optional(z.boolean()) }),
  z.object({ ...base, type: z.literal('host'), hostId: z.number().check(z.int()), hostName: z.string() }),
  // `fn`: the function the step ran (the step's name unless it differs: recover runs migrate, recreate or delete), with exactly `input`.
  z.object({ ...base, type: z.literal('step-started'), step: StepNameSchema, fn: z.optional(z.string()), input: z.unknown() }),
  z.object({ ...base, type: z.literal('step-finished'), step: StepNameSchema, output: z.unknown() }),
  z.object({ ...base, type: z.literal('step-failed'), step: StepNameSchema, error: z.object({ code: z.string(), message: z.string() }) }),
  z.object({ ...base, type: z.literal('vm'), outcome: z.record(z.string(), z.unknown()) }),
  // A record of a running step, durable before the effect it announces starts (a fence attempt).
  z.object({ ...base, type: z.literal('attempt'), step: StepNameSchema, attempt: z.record(z.string(), z.unknown()) }),
  z.object({ ...base, type: z.literal('status'), status: RecoveryStatusSchema, reason: z.optional(z.string()), code: z.optional(z.string()), payloadRef: z.optional(z.string()) }),
  z.object({ ...base, type: z.literal('joined'), payload: z.string(), trigger: TriggerSchema }),
  z.object({ ...base, type: z.literal('released'), by: z.string() }),
  z.object({ ...base, type: z.literal('confirmed-down'), by: z.string(), reason: z.string() }),
  // Written by compaction: the whole folded state in one line, instead of the events it came from.
  z.object({ ...base, type: z.literal('snapshot'), recovery: RecoverySchema }),
]);
export type JournalEvent = z.infer<typeof JournalEventSchema>;
type Without<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
export type NewEvent = Without<Exclude<JournalEvent, { type: 'snapshot' }>, 'id' | 'at'>;

/** Characters of a rejected payload kept in memory and in the compacted log (the rest is in payloadRef). */
export const REJECTED_PREVIEW_CHARS = 4096;

/**
 * The fields of an event that decide its recovery's status: what a store's
 * quick first pass reads of each line at start (see nextStatus).
 */
export type EventMeta = { id: string } & (
  | { type: 'status'; status: RecoveryStatus; payloadRef?: string }
  | { type: 'snapshot'; recovery: { status: RecoveryStatus; payloadRef?: string } }
  | { type: Exclude<JournalEvent['type'], 'status' | 'snapshot'> }
);

/** A recovery's status after an event (undefined: the event is for no recovery and changes nothing). The one status rule: applyEvent and the journal's retention both use it. */
export function nextStatus(before: RecoveryStatus | undefined, e: EventMeta): RecoveryStatus | undefined {
  if (e.type === 'snapshot') return e.recovery.status;
  if (e.type === 'received') return 'received';
  if (before === undefined) return undefined;
  if (e.type === 'status') return e.status;
  if (e.type === 'step-started' && (before === 'received' || before === 'held')) return 'running';
  return before;
}

export function applyEvent(r: Recovery | undefined, e: JournalEvent): Recovery | undefined {
  const status = nextStatus(r?.status, e);
  if (e.type === 'snapshot') return e.recovery;
  if (e.type === 'received') {
    return {
      id: e.id, trigger: e.trigger, payload: e.payload, receivedAt: e.at, updatedAt: e.at, hostId: e.hostId,
      status: 'received', steps: [], vms: [], joined: 0, force: e.force,
    };
  }
  if (!r || status === undefined) return undefined;
  r.updatedAt = e.at;
  switch (e.type) {
    case 'host': r.hostId = e.hostId; r.hostName = e.hostName; break;
    case 'step-started':
      r.steps.push({ name: e.step, ...(e.fn ? { fn: e.fn } : {}), status: 'running', startedAt: e.at, input: e.input });
      break;
    case 'step-finished': {
      const s = lastRunning(r, e.step);
      if (s) Object.assign(s, { status: 'ok', endedAt: e.at, output: e.output });
      break;
    }
    case 'step-failed': {
      const s = lastRunning(r, e.step);
      if (s) Object.assign(s, { status: 'failed', endedAt: e.at, error: e.error });
      break;
    }
    case 'vm': {
      // Merged: the carry-out outcome and verify's verdict of one VM are one record.
      const i = r.vms.findIndex((v) => v.vmId === e.outcome.vmId);
      if (i >= 0) r.vms[i] = { ...r.vms[i], ...e.outcome }; else r.vms.push(e.outcome);
      break;
    }
    case 'attempt': {
      const s = lastRunning(r, e.step);
      if (s) s.attempts = [...(s.attempts ?? []), e.attempt];
      break;
    }
    case 'status':
      r.reason = e.reason; r.errorCode = e.code;
      if (e.payloadRef) {
        // The whole payload is in the rejected file; memory keeps only enough to show.
        r.payloadRef = e.payloadRef;
        // A copy, not a slice: V8's slice would keep the whole payload alive behind the preview.
        if (r.payload.length > REJECTED_PREVIEW_CHARS) r.payload = Buffer.from(r.payload.slice(0, REJECTED_PREVIEW_CHARS)).toString();
      }
      break;
    case 'joined':
      r.joined++;
      if (e.trigger !== 'reconciled' && e.payload && !r.steps.some((s) => s.name === 'fence' && s.status === 'ok')) r.joinedHook = e.payload;
      break;
    case 'released': r.releasedBy = e.by; r.releasedAt = e.at; break;
    case 'confirmed-down': r.confirmedDown = { by: e.by, reason: e.reason, at: e.at }; break;
  }
  r.status = status;
  return r;
}

function lastRunning(r: Recovery, step: StepName): StepRecord | undefined {
  for (let i = r.steps.length - 1; i >= 0; i--) if (r.steps[i].name === step && r.steps[i].status === 'running') return r.steps[i];
  return undefined;
}

export const FINAL_STATUSES: ReadonlySet<RecoveryStatus> = new Set(['rejected', 'came-back', 'completed', 'degraded', 'failed', 'skipped']);
/** Statuses that wait for an operator: not resumed by a restart. */
export const WAITING_STATUSES: ReadonlySet<RecoveryStatus> = new Set<RecoveryStatus>(WAITING_FOR_OPERATOR);

/**
 * What runs of `step` that never ended journaled (Progress.commit), oldest
 * first: the runs since the step last finished or failed, each cut short by a
 * crash or a stop. A resumed step reads them to know what was in flight.
 */
export function interruptedAttempts(r: Recovery, step: StepName): Record<string, unknown>[] {
  const runs: StepRecord[] = [];
  for (let i = r.steps.length - 1; i >= 0; i--) {
    const s = r.steps[i];
    if (s.name !== step) continue;
    if (s.status !== 'running') break;
    runs.unshift(s);
  }
  return runs.flatMap((s) => s.attempts ?? []);
}

/** The last successful output of a step, for resuming. */
export function finishedOutput<T>(r: Recovery, step: StepName): T | undefined {
  for (let i = r.steps.length - 1; i >= 0; i--) {
    const s = r.steps[i];
    if (s.name === step && s.status === 'ok') return s.output as T;
  }
  return undefined;
}

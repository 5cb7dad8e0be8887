// The journal events' schemas and the types inferred from them
// (events.ts folds the events; the file store, the line scanner and the API
// parse with these).
import * as z from '../../model/zod';
import { Int } from '../../model/numbers';
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
  hostId: z.optional(Int),
  hostName: z.optional(z.string()),
  status: RecoveryStatusSchema,
  reason: z.optional(z.string()),
  /** Machine-readable cause of a failure (a step error code or oned's error name). */
  errorCode: z.optional(z.string()),
  steps: z.array(StepRecordSchema),
  vms: z.array(z.record(z.string(), z.unknown())),
  /** Further events for the same host that joined this recovery. */
  joined: Int,
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
  z.object({ ...base, type: z.literal('received'), payload: z.string(), trigger: TriggerSchema, hostId: z.optional(Int), force: z.optional(z.boolean()) }),
  z.object({ ...base, type: z.literal('host'), hostId: Int, hostName: z.string() }),
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

// The journal is a log of events per recovery; a recovery's state is the
// fold of its events. Events are written (and fsync'd) before the next step
// starts, so a crash at any point leaves enough to resume without acting twice.
// The events' schemas are in eventSchemas.ts: the stores and the API parse
// with them, while the drop-in folds its events without building them.
import { WAITING_FOR_OPERATOR } from '../../model/recoveryDisplay';
import type { JournalEvent, Recovery, RecoveryStatus, StepName, StepRecord } from './eventSchemas';

export type { JournalEvent, Recovery, RecoveryStatus, StepName, StepRecord } from './eventSchemas';

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

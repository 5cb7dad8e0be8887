// What the API and the admin console show of a recovery: the step timeline,
// each VM's outcome, the fencing evidence, and a reason for every VM that
// was not recovered.
import type { VmOutcome } from '../functions/carryOut';
import type { FenceResult } from '../functions/fence';
import type { RecoveryPlan } from '../functions/select';
import type { VerifyResult, VmVerdict } from '../functions/verify';
import { finishedOutput, type Recovery } from './journal/events';

/** A VM's journaled record: the carry-out outcome, then verify's verdict (live while it watches). */
export type VmRecord = VmOutcome & { verify?: Omit<VmVerdict, 'result' | 'at' | 'afterMs'> & { result: VmVerdict['result'] | 'watching'; at?: number; afterMs?: number } };

export function recoverySummary(r: Recovery) {
  // recovered: verify saw the VM run on another host (DONE, for delete), the only "recovered" oneha reports;
  // accepted: oned accepted the carry-out call (resched, recover, terminate), which proves nothing yet;
  // stuck: verify gave up on it (why is in its record).
  const counts = { recovered: 0, accepted: 0, stuck: 0, failed: 0, skipped: 0, planned: 0 };
  const plan = finishedOutput<RecoveryPlan>(r, 'select');
  for (const v of r.vms as unknown as VmRecord[]) {
    if (v.outcome === 'done' || v.outcome === 'already-done' || v.outcome === 'dry-run') counts.accepted++;
    else if (v.outcome === 'failed') counts.failed++;
    else counts.skipped++;
    if (v.verify?.result === 'running' || v.verify?.result === 'done') counts.recovered++;
    else if (v.verify?.result === 'stuck') counts.stuck++;
  }
  const verified = finishedOutput<VerifyResult>(r, 'verify');
  if (plan) {
    counts.skipped += plan.skipped.length;
    counts.planned = plan.actions.length;
  }
  const current = [...r.steps].reverse().find((s) => s.status === 'running')?.name;
  return {
    id: r.id, status: r.status, reason: r.reason, trigger: r.trigger, hostId: r.hostId, hostName: r.hostName || undefined,
    receivedAt: r.receivedAt, updatedAt: r.updatedAt, currentStep: current, joined: r.joined, releasedBy: r.releasedBy, counts,
    /** Host ERROR (oned's time) to the last VM running; only when every planned VM runs. */
    mttrMs: verified?.mttrMs,
  };
}

export function recoveryDetail(r: Recovery) {
  const plan = finishedOutput<RecoveryPlan>(r, 'select');
  const fence = finishedOutput<FenceResult>(r, 'fence');
  const vms = r.vms as unknown as VmRecord[];
  const notRecovered = [
    ...(plan?.skipped ?? []).map((s) => ({ vmId: s.vmId, vmName: s.vmName, reason: s.reason })),
    ...vms.filter((v) => v.outcome === 'failed' || v.outcome === 'skipped' || v.outcome === 'locked').map((v) => ({ vmId: v.vmId, vmName: v.vmName, reason: v.detail })),
    ...vms.filter((v) => v.verify?.result === 'stuck').map((v) => ({ vmId: v.vmId, vmName: v.vmName, reason: v.verify!.reason ?? v.verify!.state })),
  ];
  return {
    ...recoverySummary(r),
    payload: r.payload,
    // A rejected payload is whole in this file (journal directory); `payload` may be its beginning only.
    payloadRef: r.payloadRef,
    steps: r.steps.map((s) => ({
      name: s.name, status: s.status, startedAt: s.startedAt, endedAt: s.endedAt,
      durationMs: s.endedAt !== undefined ? s.endedAt - s.startedAt : undefined,
      input: s.name === 'fence' ? redactFenceInput(s.input) : s.input, output: s.output, error: s.error,
    })),
    fence,
    plan: plan ? { mode: plan.mode, actions: plan.actions, skipped: plan.skipped } : undefined,
    vms,
    notRecovered,
  };
}

/** The fence step's input carries the host and methods; methods hold no secrets, but keep the view small. */
function redactFenceInput(input: unknown) {
  const i = input as { host?: { id: number; name: string }; methods?: unknown[]; fencing?: boolean } | undefined;
  return i?.host ? { hostId: i.host.id, hostName: i.host.name, methods: i.methods, fencing: i.fencing } : input;
}

// Prometheus text exposition of what the journal says happened.
import type { JournalEvent } from './journal/events';
import type { Journal } from './journal/journal';

const STEP_BUCKETS = [0.05, 0.25, 1, 5, 15, 60, 300, 900];
/** Host ERROR to running: seconds to tens of minutes. */
const RUNNING_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1800];

class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private n = 0;
  constructor(private readonly buckets: number[]) {
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.buckets.forEach((le, i) => { if (v <= le) this.counts[i]++; });
    this.sum += v;
    this.n++;
  }
  render(L: string[], name: string): void {
    this.buckets.forEach((le, i) => L.push(`${name}_bucket{le="${le}"} ${this.counts[i]}`));
    L.push(`${name}_bucket{le="+Inf"} ${this.n}`, `${name}_sum ${this.sum.toFixed(3)}`, `${name}_count ${this.n}`);
  }
}

const STORE_HELP: Record<string, string> = {
  journal_bytes: 'Size of the journal log now.',
  journal_compactions_total: 'Journal compactions (at start, by size or by age).',
  journal_quarantined_lines_total: 'Torn or unreadable journal lines moved to quarantine.jsonl.',
  journal_write_errors_total: 'Journal writes that failed (nothing of them was acknowledged).',
  rejected_payloads_kept_total: 'Rejected hook payloads written to rejected.jsonl.',
  rejected_payload_bytes_total: 'Bytes of rejected hook payloads written.',
  rejected_rotations_total: 'Rotations of rejected.jsonl to rejected.1.jsonl.',
};

export class Metrics {
  private readonly flows = new Map<string, number>();
  private readonly stepSum = new Map<string, number>();
  private readonly stepCount = new Map<string, number>();
  private readonly stepBuckets = new Map<string, number[]>();
  private readonly vms = new Map<string, number>();
  private fenceAttempts = 0;
  private fenceFailures = 0;
  private holds = 0;
  private recoverySecondsSum = 0;
  private recoverySecondsCount = 0;
  private recoverySecondsMax = 0;
  private readonly stepStart = new Map<string, number>();
  private readonly mttr = new Histogram(RUNNING_BUCKETS);
  private readonly vmToRunning = new Histogram(RUNNING_BUCKETS);
  private readonly vmsVerified = new Map<string, number>();
  hooksReceived = 0;
  hooksRejected = 0;
  /** The last readiness computed for the runner's session (runner/readinessService.ts, on its timer): rendered as gauges. */
  readiness?: { at: number; hosts: Array<{ hostId: number; hostName: string; score: number | null }>; clusters: Array<{ clusterId: number; n1: boolean; shortfall: { cpu: number; mem: number } }> };
  readinessRefreshErrors = 0;

  constructor(private readonly journal: Journal) {}

  private countVms(outcome: string, n: number) {
    if (n) this.vms.set(outcome, (this.vms.get(outcome) ?? 0) + n);
  }

  observe(e: JournalEvent): void {
    switch (e.type) {
      case 'received': if (e.trigger === 'hook') this.hooksReceived++; break;
      case 'step-started': this.stepStart.set(`${e.id}:${e.step}`, e.at); break;
      case 'step-finished':
      case 'step-failed': {
        const started = this.stepStart.get(`${e.id}:${e.step}`);
        this.stepStart.delete(`${e.id}:${e.step}`);
        if (started !== undefined) {
          const s = (e.at - started) / 1000;
          this.stepSum.set(e.step, (this.stepSum.get(e.step) ?? 0) + s);
          this.stepCount.set(e.step, (this.stepCount.get(e.step) ?? 0) + 1);
          const b = this.stepBuckets.get(e.step) ?? STEP_BUCKETS.map(() => 0);
          STEP_BUCKETS.forEach((le, i) => { if (s <= le) b[i]++; });
          this.stepBuckets.set(e.step, b);
        }
        if (e.step === 'fence' && e.type === 'step-finished') {
          const out = e.output as { outcome?: string; attempts?: { ok: boolean }[] };
          this.fenceAttempts += out.attempts?.length ?? 0;
          if (out.outcome === 'failed') this.fenceFailures++;
        }
        if (e.step === 'fence' && e.type === 'step-failed') this.fenceFailures++;
        if (e.step === 'verify' && e.type === 'step-finished') {
          const mttrMs = (e.output as { mttrMs?: number }).mttrMs;
          if (mttrMs !== undefined) this.mttr.observe(mttrMs / 1000);
        }
        // VMs the plan leaves alone (with a reason) never reach the recover step: count them here.
        if (e.step === 'select' && e.type === 'step-finished') this.countVms('skipped', (e.output as { skipped?: unknown[] }).skipped?.length ?? 0);
        break;
      }
      case 'vm': {
        if (e.outcome.kind === 'verify') {
          const v = e.outcome.verify as { result: string; afterMs?: number };
          if (v.result === 'watching') break;
          this.vmsVerified.set(v.result, (this.vmsVerified.get(v.result) ?? 0) + 1);
          if (v.result === 'running' && v.afterMs !== undefined) this.vmToRunning.observe(v.afterMs / 1000);
          break;
        }
        const o = String(e.outcome.outcome);
        // "accepted": oned took the call; only verify says a VM is recovered (oneha_vms_verified_total).
        this.countVms(o === 'done' || o === 'already-done' ? 'accepted' : o, 1);
        break;
      }
      case 'status': {
        if (e.status === 'running' || e.status === 'received') break;
        if (e.status === 'rejected') this.hooksRejected++;
        if (e.status === 'held') this.holds++;
        this.flows.set(e.status, (this.flows.get(e.status) ?? 0) + 1);
        const r = this.journal.get(e.id);
        if (e.status === 'completed' && r) {
          const s = (e.at - r.receivedAt) / 1000;
          this.recoverySecondsSum += s;
          this.recoverySecondsCount++;
          this.recoverySecondsMax = Math.max(this.recoverySecondsMax, s);
        }
        break;
      }
    }
  }

  render(extra: { running: number; queued: number; leader: boolean; massBrakeTripped: boolean }): string {
    const L: string[] = [];
    const metric = (name: string, type: string, help: string) => L.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    metric('oneha_hook_events_total', 'counter', 'Host-error hook events received.');
    L.push(`oneha_hook_events_total ${this.hooksReceived}`);
    metric('oneha_hook_events_rejected_total', 'counter', 'Hook events rejected as malformed (kept in the journal).');
    L.push(`oneha_hook_events_rejected_total ${this.hooksRejected}`);
    metric('oneha_flows_total', 'counter', 'Recovery flows by the status they reached.');
    for (const [k, v] of [...this.flows].sort()) L.push(`oneha_flows_total{outcome="${k}"} ${v}`);
    metric('oneha_flows_running', 'gauge', 'Flows running now.');
    L.push(`oneha_flows_running ${extra.running}`);
    metric('oneha_flows_queued', 'gauge', 'Flows waiting for a slot.');
    L.push(`oneha_flows_queued ${extra.queued}`);
    metric('oneha_flows_held_total', 'counter', 'Flows held before fencing (mass-failure brake).');
    L.push(`oneha_flows_held_total ${this.holds}`);
    metric('oneha_mass_failure_brake', 'gauge', '1 while the mass-failure brake holds new flows.');
    L.push(`oneha_mass_failure_brake ${extra.massBrakeTripped ? 1 : 0}`);
    metric('oneha_leader', 'gauge', '1 when the local oned is the Raft leader or solo.');
    L.push(`oneha_leader ${extra.leader ? 1 : 0}`);
    metric('oneha_step_duration_seconds', 'histogram', 'Duration of each recovery step.');
    for (const [step, count] of [...this.stepCount].sort()) {
      const b = this.stepBuckets.get(step)!;
      STEP_BUCKETS.forEach((le, i) => L.push(`oneha_step_duration_seconds_bucket{step="${step}",le="${le}"} ${b[i]}`));
      L.push(`oneha_step_duration_seconds_bucket{step="${step}",le="+Inf"} ${count}`);
      L.push(`oneha_step_duration_seconds_sum{step="${step}"} ${this.stepSum.get(step)!.toFixed(3)}`);
      L.push(`oneha_step_duration_seconds_count{step="${step}"} ${count}`);
    }
    metric('oneha_fence_attempts_total', 'counter', 'Fence agent actions attempted.');
    L.push(`oneha_fence_attempts_total ${this.fenceAttempts}`);
    metric('oneha_fence_failures_total', 'counter', 'Fencing that did not end in a verified power-off.');
    L.push(`oneha_fence_failures_total ${this.fenceFailures}`);
    metric('oneha_vms_total', 'counter', 'VMs by carry-out outcome: accepted (oned took the call; running elsewhere is oneha_vms_verified_total), skipped, locked, failed.');
    for (const k of ['accepted', 'skipped', 'locked', 'failed']) L.push(`oneha_vms_total{outcome="${k}"} ${this.vms.get(k) ?? 0}`);
    metric('oneha_vms_verified_total', 'counter', 'VMs by what verify saw: running elsewhere, done (deleted), stuck.');
    for (const k of ['running', 'done', 'stuck']) L.push(`oneha_vms_verified_total{result="${k}"} ${this.vmsVerified.get(k) ?? 0}`);
    metric('oneha_mttr_seconds', 'histogram', 'Host ERROR (oned\'s time) to the last VM of the recovery running, for recoveries whose VMs all run.');
    this.mttr.render(L, 'oneha_mttr_seconds');
    metric('oneha_vm_time_to_running_seconds', 'histogram', 'Host ERROR to each recovered VM seen running on another host.');
    this.vmToRunning.render(L, 'oneha_vm_time_to_running_seconds');
    metric('oneha_recovery_seconds', 'summary', 'Time from the hook event to the last VM recovered.');
    L.push(`oneha_recovery_seconds_sum ${this.recoverySecondsSum.toFixed(3)}`, `oneha_recovery_seconds_count ${this.recoverySecondsCount}`);
    metric('oneha_recovery_seconds_max', 'gauge', 'Longest time from event to last VM recovered.');
    L.push(`oneha_recovery_seconds_max ${this.recoverySecondsMax.toFixed(3)}`);
    metric('oneha_readiness_refresh_errors_total', 'counter', 'Readiness computations that failed (oned did not answer); the gauges keep the last result.');
    L.push(`oneha_readiness_refresh_errors_total ${this.readinessRefreshErrors}`);
    if (this.readiness) {
      metric('oneha_readiness_computed_timestamp_seconds', 'gauge', 'When the readiness gauges were computed (time() minus this is their age).');
      L.push(`oneha_readiness_computed_timestamp_seconds ${(this.readiness.at / 1000).toFixed(3)}`);
      metric('oneha_host_readiness_score', 'gauge', 'Readiness of each HA host, 0-100 (computed every readiness.refreshSeconds).');
      for (const h of this.readiness.hosts) if (h.score !== null) L.push(`oneha_host_readiness_score{host_id="${h.hostId}",host="${promLabel(h.hostName)}"} ${h.score}`);
      metric('oneha_cluster_reserve_ok', 'gauge', '1 when the HA VMs of any single host of the cluster fit on its other enabled hosts (N+1).');
      for (const c of this.readiness.clusters) L.push(`oneha_cluster_reserve_ok{cluster_id="${c.clusterId}"} ${c.n1 ? 1 : 0}`);
      metric('oneha_cluster_reserve_shortfall_memory_bytes', 'gauge', 'Memory the largest single-host failure of the cluster would leave without a place.');
      for (const c of this.readiness.clusters) L.push(`oneha_cluster_reserve_shortfall_memory_bytes{cluster_id="${c.clusterId}"} ${c.shortfall.mem * 1024}`);
    }
    for (const [name, value] of Object.entries(this.journal.store.stats?.() ?? {})) {
      metric(`oneha_${name}`, name.endsWith('_total') ? 'counter' : 'gauge', STORE_HELP[name] ?? name);
      L.push(`oneha_${name} ${value}`);
    }
    return L.join('\n') + '\n';
  }
}

/** A Prometheus label value: backslash, double quote and newline escaped. */
const promLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

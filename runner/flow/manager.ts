// Turns hook events into recovery flows: one flow per host at a time, many
// hosts in parallel (bounded), duplicates joined, held flows released by an
// operator, unfinished flows resumed at start, and hosts in ERROR without a
// flow found by reconciliation.
import { createHash } from 'node:crypto';
import { decodeHookPayload } from '../../functions/decode';
import { StepError } from '../../model/errors';
import { isHostFailed, type Host } from '../../model/one';
import type { FenceMethod } from '../../model/fence';
import { describeError } from '../../model/errors';
import { noProgress, type Log, type Ports } from '../../model/ports';
import { FINAL_STATUSES, finishedOutput, WAITING_STATUSES, type NewEvent, type Recovery, type StepName } from '../journal/events';
import { MemoryJournalStore } from '../journal/memoryStore';
import { JournalClosedError } from '../journal/errors';
import { Journal } from '../journal/journal';
import { EventBus } from '../eventBus';
import { readOnly } from '../one/readOnly';
import { newRecoveryId } from '../journal/journal';
import { hostHaSettings } from '../../model/hostPolicy/haSettings';
import type { DisarmSwitch, MassFailureBrake } from './brakes';
import { errorSince, runRecoveryFlow, STEP_ORDER, type FlowSettings } from './recoveryFlow';

export interface ManagerOptions {
  maxFlows: number;
  /** A replay of the same event within this window returns the earlier recovery. */
  dedupeWindowSeconds: number;
  /** Failures received this recently count toward the mass-failure brake. */
  massWindowSeconds: number;
  settings: FlowSettings;
  fenceMethods(host: Host): FenceMethod[];
  /** A logger carrying recoveryId/hostId on every line. */
  logFor(fields: { recoveryId: string; hostId?: number }): Log;
}

/** The code of a recovery held because HA was disarmed. */
export const DISARMED = 'disarmed';

export type SubmitResult =
  | { status: 'accepted' | 'joined' | 'duplicate'; recoveryId: string }
  | { status: 'rejected'; recoveryId: string; code: string; message: string };

const payloadKey = (p: string) => createHash('sha256').update(p.trim()).digest('hex');

export class FlowManager {
  private readonly running = new Map<string, Promise<void>>();
  private readonly queue: string[] = [];
  /** hostId -> recovery id of its active (not final) flow. */
  private readonly activeByHost = new Map<number, string>();
  private readonly lastHealthy = new Map<number, number>();
  /** Held-by-disarm recoveries being released now (by `arm` or the expiry check), so neither releases one twice. */
  private readonly releasingDisarmed = new Set<string>();
  /** recovery id -> its running flow's listeners for hooks that join it (their flags may change the flow's wait). */
  private readonly joinListeners = new Map<string, Set<(payload: string) => void>>();
  private leader = true;
  private stopped = false;

  constructor(
    private readonly journal: Journal,
    private readonly ports: Omit<Ports, 'log'>,
    private readonly opts: ManagerOptions,
    private readonly massFailure: MassFailureBrake,
    private readonly disarm: DisarmSwitch,
  ) {}

  get now(): number {
    return this.ports.clock.now();
  }

  /** The hook endpoint: journal first, then validate, then start or join. */
  async submit(payload: string, trigger: 'hook' | 'manual' = 'hook', force = false): Promise<SubmitResult> {
    const at = this.now;
    const id = newRecoveryId(at);
    await this.journal.record(id, { type: 'received', payload, trigger, force: force || undefined });
    return this.admitReceived(id, payload, trigger, at, force);
  }

  /** Decodes a journaled event and starts, joins or drops it (submit, and orphans found at start). */
  private async admitReceived(id: string, payload: string, trigger: 'hook' | 'manual', at: number, force: boolean): Promise<SubmitResult> {
    let host: Host;
    try {
      host = decodeHookPayload(payload).host;
    } catch (e) {
      const code = e instanceof StepError ? e.code : 'bad-payload';
      const message = describeError(e);
      await this.journal.record(id, { type: 'status', status: 'rejected', reason: message });
      return { status: 'rejected', recoveryId: id, code, message };
    }
    const hostId = host.id;
    // From here to claiming the host nothing awaits, so concurrent events cannot both start a flow.
    const active = this.activeByHost.get(hostId);
    const earlier = active || force ? undefined : this.recentSameEvent(id, host, payload, at);
    if (!active && !earlier) this.activeByHost.set(hostId, id);
    if (active) {
      await this.journal.record(active, { type: 'joined', payload, trigger });
      for (const listener of this.joinListeners.get(active) ?? []) listener(payload);
      await this.journal.record(id, { type: 'status', status: 'skipped', reason: `joined recovery ${active}, already under way for host ${hostId}` });
      return { status: 'joined', recoveryId: active };
    }
    if (earlier) {
      await this.journal.record(id, { type: 'status', status: 'skipped', reason: `duplicate of recovery ${earlier.id}` });
      return { status: 'duplicate', recoveryId: earlier.id };
    }
    // The 202 waits for one fdatasync only (the received event's): the host is known again from the
    // payload should a crash lose this event (admitOrphans), and the host is claimed above already.
    void this.journal.recordPatiently(id, { type: 'host', hostId, hostName: '' }).then(
      () => this.enqueue(id, hostId),
      (e) => this.opts.logFor({ recoveryId: id, hostId }).warn(`not started: ${describeError(e)}; resumes from the journal at the next start`),
    );
    return { status: 'accepted', recoveryId: id };
  }

  /** Keeps a request that could not even be read as a payload (e.g. bad JSON). */
  async recordRejected(raw: string, message: string): Promise<string> {
    const id = newRecoveryId(this.now);
    await this.journal.record(id, { type: 'received', payload: raw, trigger: 'hook' });
    await this.journal.record(id, { type: 'status', status: 'rejected', reason: message });
    return id;
  }

  /**
   * A recovery of the same failure within the replay window: the very same
   * event (same payload), or any recovery of the host that started after the
   * host went into ERROR (e.g. reconciliation got there before a late hook).
   */
  private recentSameEvent(id: string, host: Host, payload: string, at: number): Recovery | undefined {
    const key = payloadKey(payload);
    const since = at - this.opts.dedupeWindowSeconds * 1000;
    // The payload's host as decoded by the caller: decoding it again cost as much as the rest of the acknowledgement.
    const failedAt = errorSince(host);
    return this.journal.newest((r) => r.id !== id && r.hostId === host.id && r.receivedAt >= since &&
      !['rejected', 'skipped', 'received'].includes(r.status) &&
      ((r.trigger !== 'reconciled' && payloadKey(r.payload) === key) || (failedAt !== undefined && r.receivedAt >= failedAt)));
  }

  private enqueue(id: string, hostId: number): void {
    this.activeByHost.set(hostId, id);
    this.queue.push(id);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.leader && this.running.size < this.opts.maxFlows && this.queue.length) {
      const id = this.queue.shift()!;
      const p = this.runOne(id).finally(() => {
        this.running.delete(id);
        this.pump();
      });
      this.running.set(id, p);
    }
  }

  private async runOne(id: string): Promise<void> {
    const rec = this.journal.get(id);
    if (!rec) return;
    const log = this.opts.logFor({ recoveryId: id, hostId: rec.hostId });
    const ports: Ports = {
      ...this.ports,
      log,
      progress: noProgress,
    };
    try {
      await runRecoveryFlow(rec, ports, this.opts.settings, {
        // A full disk pauses the flow at its next event instead of failing it half-recorded.
        record: async (e) => void (await this.journal.recordPatiently(id, e)),
        fenceMethods: this.opts.fenceMethods,
        brake: (host) => this.brake(host),
        onJoin: (listener) => {
          const set = this.joinListeners.get(id) ?? new Set();
          this.joinListeners.set(id, set.add(listener));
          return () => {
            set.delete(listener);
            if (!set.size) this.joinListeners.delete(id);
          };
        },
      });
    } catch (e) {
      if (e instanceof JournalClosedError) {
        log.info('stopped with the runner; resumes from the journal at the next start');
        return;
      }
      log.error(`flow crashed: ${describeError(e)}`);
      await this.journal.record(id, { type: 'status', status: 'failed', reason: describeError(e) }).catch(() => {});
    } finally {
      const r = this.journal.get(id);
      if (r?.hostId !== undefined && this.activeByHost.get(r.hostId) === id && (FINAL_STATUSES.has(r.status) || WAITING_STATUSES.has(r.status))) {
        // A held or fence-failed flow keeps its host: new events join it until an operator acts.
        if (FINAL_STATUSES.has(r.status)) this.activeByHost.delete(r.hostId);
      }
    }
  }

  /**
   * `arm`, or a disarm that expired: the recoveries held because HA was
   * disarmed go on by themselves, for every host no longer disarmed.
   */
  async releaseDisarmed(by: string): Promise<string[]> {
    // Claimed before the first await: `arm` and the periodic expiry check can
    // run interleaved, and each held recovery is released once, by the first.
    const claimed = this.journal.list().filter((r) => r.status === 'held' && r.errorCode === DISARMED && r.hostId !== undefined &&
      !this.disarm.active(r.hostId) && !this.releasingDisarmed.has(r.id)).map((r) => r.id);
    for (const id of claimed) this.releasingDisarmed.add(id);
    try {
      for (const id of claimed) await this.release(id, by);
    } finally {
      for (const id of claimed) this.releasingDisarmed.delete(id);
    }
    return claimed;
  }

  private async brake(host: Host): Promise<{ action: 'hold' | 'skip'; reason: string; code?: string } | undefined> {
    const off = this.disarm.active(host.id);
    if (off) {
      // Held, not skipped: `arm` or the expiry releases it (releaseDisarmed).
      return {
        action: 'hold', code: DISARMED,
        reason: `HA is disarmed ${off.scope === 'global' ? 'for every host' : `for host ${host.name}`} until ${new Date(off.until).toISOString()} by ${off.by}${off.reason ? ` (${off.reason})` : ''}; held until then (or oneha arm)`,
      };
    }
    const windowStart = this.now - 1000 * this.opts.massWindowSeconds;
    const inWindow = [...this.journal.recoveries.values()].filter((r) => r.hostId !== undefined && r.receivedAt >= windowStart && r.status !== 'rejected' &&
      r.status !== 'came-back' && !r.reason?.startsWith('joined') && !r.reason?.startsWith('duplicate'));
    // Failed now, not failed once: a finished recovery's host counts only while fenced and not back (the pool says).
    const active = new Set(inWindow.filter((r) => !FINAL_STATUSES.has(r.status)).map((r) => r.hostId!));
    const fenced = new Set(inWindow.filter((r) => FINAL_STATUSES.has(r.status) && finishedOutput<{ outcome?: string }>(r, 'fence')?.outcome === 'fenced').map((r) => r.hostId!));
    const reason = await this.massFailure.check(this.ports.one, active, fenced);
    return reason ? { action: 'hold', reason } : undefined;
  }

  /**
   * An operator confirms a fence-failed or held recovery's host is off (its
   * BMC is dead): journaled with who, why and when; the recovery goes on with
   * that as its fencing evidence.
   */
  async confirmDown(id: string, by: string, reason: string): Promise<Recovery> {
    const r = this.journal.get(id);
    if (!r) throw new StepError('not-found', `no recovery ${id}`, undefined, 'not-found');
    if (!WAITING_STATUSES.has(r.status)) throw new StepError('not-held', `recovery ${id} is ${r.status}: confirm-down is for a fence-failed or held recovery`, undefined, 'conflict');
    await this.journal.record(id, { type: 'confirmed-down', by, reason });
    this.opts.logFor({ recoveryId: id, hostId: r.hostId }).warn(`host ${r.hostName ?? r.hostId} confirmed down by ${by}: ${reason}`);
    return this.release(id, by);
  }

  /** An operator lets a held (or fence-failed) recovery go on. */
  async release(id: string, by: string): Promise<Recovery> {
    const r = this.journal.get(id);
    if (!r) throw new StepError('not-found', `no recovery ${id}`, undefined, 'not-found');
    if (!WAITING_STATUSES.has(r.status)) throw new StepError('not-held', `recovery ${id} is ${r.status}, not held`, undefined, 'conflict');
    // A fence-failed recovery fences again when it runs: a failed fencing is never reused.
    await this.journal.record(id, { type: 'released', by });
    await this.journal.record(id, { type: 'status', status: 'received', reason: `released by ${by}` });
    if (r.hostId !== undefined) this.enqueue(id, r.hostId);
    return this.journal.get(id)!;
  }

  /**
   * Re-runs a journaled recovery as a new one (e.g. after fixing a BMC).
   * `from`: the steps before it are taken from the journal, not run again.
   * `dryRun`: nothing is changed and nothing is journaled; the result is returned.
   */
  async replay(id: string, by: string, opts: { from?: StepName; dryRun?: boolean } = {}): Promise<SubmitResult | { status: 'dry-run'; recovery: Recovery }> {
    const r = this.journal.get(id);
    if (!r) throw new StepError('not-found', `no recovery ${id}`, undefined, 'not-found');
    if (r.hostId === undefined || r.hostId < 0) throw new StepError('not-replayable', `recovery ${id} has no host (status ${r.status})`, undefined, 'conflict');
    const order = STEP_ORDER;
    const carried = opts.from ? order.slice(0, order.indexOf(opts.from)) : [];
    for (const step of carried) {
      if (finishedOutput(r, step) === undefined && step !== 'finish') {
        throw new StepError('missing-step', `recovery ${id} has no finished ${step} step to replay from ${opts.from}`, undefined, 'conflict');
      }
    }
    const copySteps = async (rec: (e: NewEvent) => Promise<void>) => {
      for (const step of carried) {
        const output = finishedOutput(r, step);
        if (output === undefined) continue;
        await rec({ type: 'step-started', step, input: { replayedFrom: id } });
        await rec({ type: 'step-finished', step, output });
      }
    };
    const trigger = r.trigger === 'reconciled' ? 'reconciled' : 'replay';
    if (opts.dryRun) {
      const scratch = new Journal(new MemoryJournalStore(), new EventBus(), () => this.now);
      const sid = `dry-${id}`;
      await scratch.record(sid, { type: 'received', payload: r.payload, trigger, hostId: r.hostId, force: true });
      await copySteps((e) => scratch.record(sid, e).then(() => {}));
      const log = this.opts.logFor({ recoveryId: sid, hostId: r.hostId });
      log.info(`dry-run replay of ${id}${opts.from ? ` from ${opts.from}` : ''} requested by ${by}`);
      await runRecoveryFlow(scratch.get(sid)!, { ...this.ports, one: readOnly(this.ports.one), log, progress: noProgress },
        { ...this.opts.settings, dryRun: true }, {
          record: async (e) => void (await scratch.record(sid, e)),
          fenceMethods: this.opts.fenceMethods,
          brake: async () => undefined,
        });
      return { status: 'dry-run', recovery: scratch.get(sid)! };
    }
    const active = this.activeByHost.get(r.hostId);
    // The recovery being replayed is the one waiting for an operator (held, fence-failed): the replay replaces it.
    const replaces = active === r.id && WAITING_STATUSES.has(r.status);
    if (active !== undefined && !replaces) return { status: 'joined', recoveryId: active };
    const nid = newRecoveryId(this.now);
    if (replaces) {
      await this.journal.record(r.id, { type: 'status', status: 'skipped', reason: `replayed as ${nid} by ${by}` });
      this.activeByHost.delete(r.hostId);
    }
    await this.journal.record(nid, { type: 'received', payload: r.payload, trigger, hostId: r.hostId, force: true });
    await this.journal.record(nid, { type: 'host', hostId: r.hostId, hostName: r.hostName ?? '' });
    await copySteps((e) => this.journal.record(nid, e).then(() => {}));
    // An operator asked for it: the brakes were already weighed by a person.
    await this.journal.record(nid, { type: 'released', by });
    this.opts.logFor({ recoveryId: nid, hostId: r.hostId }).info(`replay of ${id}${opts.from ? ` from ${opts.from}` : ''} requested by ${by}`);
    this.enqueue(nid, r.hostId);
    return { status: 'accepted', recoveryId: nid };
  }

  /** At start: resume every unfinished flow from its last finished step. */
  resumeAll(): number {
    let n = 0;
    for (const r of this.journal.list().reverse()) {
      if (r.hostId === undefined || r.hostId < 0) continue;
      if (FINAL_STATUSES.has(r.status)) continue;
      if (WAITING_STATUSES.has(r.status)) {
        this.activeByHost.set(r.hostId, r.id);
        continue;
      }
      if (this.activeByHost.has(r.hostId)) continue;
      this.enqueue(r.id, r.hostId);
      n++;
    }
    return n;
  }

  /**
   * At start, after resumeAll (their flows may be joined): an event journaled
   * but not yet decoded when the runner stopped (`received`, no host) is
   * decoded from its journaled payload now, as submit would have.
   */
  async admitOrphans(): Promise<SubmitResult[]> {
    const out: SubmitResult[] = [];
    for (const r of this.journal.list().reverse()) {
      if (r.status !== 'received' || r.hostId !== undefined || (r.trigger !== 'hook' && r.trigger !== 'manual')) continue;
      const admitted = await this.admitReceived(r.id, r.payload, r.trigger, r.receivedAt, !!r.force);
      this.opts.logFor({ recoveryId: r.id }).warn(`event journaled but not decoded before the last stop: ${admitted.status} now`);
      out.push(admitted);
    }
    return out;
  }

  /** Finds HA hosts in ERROR that no flow covers, and starts one for each. */
  async reconcile(): Promise<string[]> {
    if (!this.leader) return [];
    const pool = await this.ports.one.hostPoolInfo();
    const started: string[] = [];
    for (const h of pool) {
      if (!isHostFailed(h.state)) {
        this.lastHealthy.set(h.id, this.now);
        continue;
      }
      if (!hostHaSettings(h).enabled || this.activeByHost.has(h.id)) continue;
      // The failure episode as oned records it (the ERROR message's time, kept in oned, so it survives
      // restarts and leader changes); the last healthy reading only where oned gives no time.
      const episode = errorSince(h);
      // oned's time has whole seconds: a recovery received in that second is for this episode.
      const since = episode !== undefined ? episode - 1000 : this.lastHealthy.get(h.id) ?? -Infinity;
      const covered = this.journal.list().some((r) => r.hostId === h.id && r.receivedAt >= since && r.status !== 'rejected');
      if (covered) continue;
      const id = newRecoveryId(this.now);
      // Claimed before the journal writes, as a hook's flow is (admitReceived): a hook arriving meanwhile
      // joins this flow instead of starting a second one for the same host.
      this.activeByHost.set(h.id, id);
      try {
        await this.journal.record(id, { type: 'received', payload: '', trigger: 'reconciled', hostId: h.id });
        await this.journal.record(id, { type: 'host', hostId: h.id, hostName: h.name });
      } catch (e) {
        if (this.activeByHost.get(h.id) === id) this.activeByHost.delete(h.id);
        throw e;
      }
      this.enqueue(id, h.id);
      started.push(id);
    }
    return started;
  }

  setLeader(leader: boolean): void {
    const was = this.leader;
    this.leader = leader;
    if (leader && !was) this.pump();
  }
  get isLeader(): boolean {
    return this.leader;
  }

  inProgress(): Recovery[] {
    return [...this.running.keys()].map((id) => this.journal.get(id)!).filter(Boolean);
  }
  get queued(): number {
    return this.queue.length;
  }
  get runningCount(): number {
    return this.running.size;
  }

  /** Resolves when no flow is running or queued (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.race(this.running.values());
  }

  stop(): void {
    this.stopped = true;
  }
}

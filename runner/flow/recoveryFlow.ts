// The recovery flow for one host failure, straight-line over the flow engine
// (engine.ts): decode -> wait -> (last look, brakes) -> fence -> inventory ->
// select -> migrate|recreate|delete -> verify -> finish. Every step is a
// function run with run(fn, input): its exact input and its output are
// journaled before the next starts; a resumed flow skips the steps that
// finished and repeats no side effect (fence looks at power first; carrying
// out re-reads every VM before acting). The flow itself does no I/O.
import type { VmOutcome } from '../../functions/carryOut';
import { decode, decodeHookPayload } from '../../functions/decode';
import type { FenceAttemptRecord, FenceResult } from '../../functions/fence';
import type { VerifyResult } from '../../functions/verify';
import { classify, describeError } from '../../model/errors';
import type { FenceMethod } from '../../model/fence';
import type { HookOptions } from '../../model/hookOptions';
import { effectiveOptions, hostHaSettings } from '../../model/hostPolicy/haSettings';
import { DEFAULT_LADDER, describeLadder, ladderFor, LADDER_MODES, type Ladder, type PerModeLadder } from '../../model/ladder';
import type { Host } from '../../model/one';
import type { Ports } from '../../model/ports';
import { finishedOutput, interruptedAttempts, type NewEvent, type Recovery, type RecoveryStatus, type StepName } from '../journal/events';
import { STEP_NAMES } from '../../model/steps';
import { flowEngine } from './engine';
import { loadedSteps, loadSteps } from './steps';

const OPERATION_OF = { migrate: 'resched', recreate: 'recreate', delete: 'delete' } as const;
const MODE_OF = { resched: 'migrate', recreate: 'recreate', delete: 'delete' } as const;

export interface FlowSettings {
  defaults: HookOptions;
  configuredInterval?: { seconds: number; source: 'config' | 'monitord.conf' };
  pollSeconds?: number;
  inventorySource: 'host-vms' | 'pool';
  vmConcurrency: number;
  vmTries: number;
  retryDelayMs: number;
  /** Tries for a step that failed on a transient oned error (busy, down, slow); more while the deadline allows. */
  stepTries: number;
  /**
   * Transient oned errors (down, busy, electing) never end a recovery before
   * this many seconds from the start of its run: every oned call of the flow
   * is tried again, with backoff, until then.
   */
  transientDeadlineSeconds?: number;
  /** What to do with a fenced host once its VMs are recovered. */
  afterRecovery: 'disabled' | 'offline' | 'none';
  /** Fence reads power only, VMs are planned but not touched, the host is left as it is. */
  dryRun?: boolean;
  /** Watching the VMs until they run (the verify step). */
  verify?: VerifySettings;
}

export interface VerifySettings {
  pollSeconds: number;
  /** How long a recovery's VMs may take to run, per mode. */
  deadlineSeconds: Record<'migrate' | 'recreate' | 'delete', number>;
  /** The ladder for every mode (verify.retries, .recreate, .backoffSeconds)... */
  ladder: Ladder;
  /** ...and a mode's own over it (verify.perMode); a host's own (ONEHA_VERIFY_*) wins over both. */
  perMode?: PerModeLadder;
  /** Locked VMs: unlock, act, lock again (journaled); otherwise reported with the unlock command. */
  unlockLocked: boolean;
}

export const DEFAULT_VERIFY: VerifySettings = {
  pollSeconds: 5,
  deadlineSeconds: { migrate: 600, recreate: 900, delete: 300 },
  ladder: DEFAULT_LADDER,
  unlockLocked: false,
};

/** How long transient oned errors are tried through before they end a recovery (`retries.deadlineSeconds`). */
export const DEFAULT_TRANSIENT_DEADLINE_SECONDS = 3600;

export const STEP_ORDER: StepName[] = [...STEP_NAMES];

/** What the flow asks of the runner around it. */
export interface FlowHooks {
  record(event: NewEvent): Promise<void>;
  fenceMethods(host: Host): FenceMethod[];
  /** The brakes: a reason to hold (wait for an operator) or skip, checked right before fencing. */
  brake(host: Host, rec: Recovery): Promise<{ action: 'hold' | 'skip'; reason: string; code?: string } | undefined>;
  /** Calls `listener` with the payload of each hook that joins this recovery from now on; returns the unsubscribe. */
  onJoin?(listener: (payload: string) => void): () => void;
}

export async function runRecoveryFlow(rec: Recovery, ports: Ports, settings: FlowSettings, hooks: FlowHooks): Promise<RecoveryStatus> {
  const { log } = ports;
  const transientUntil = ports.clock.now() + (settings.transientDeadlineSeconds ?? DEFAULT_TRANSIENT_DEADLINE_SECONDS) * 1000;
  const { run, look, persist } = flowEngine(rec, ports, hooks.record, { ...settings, transientUntil });
  let hostId = rec.hostId !== undefined && rec.hostId >= 0 ? rec.hostId : undefined;
  const status = async (s: RecoveryStatus, reason?: string, code?: string) => {
    await hooks.record({ type: 'status', status: s, reason, code });
    return s;
  };

  // Hooks joining while this flow runs: the last one's flags count; one with another -p ends a wait under way.
  let lastJoined: string | undefined;
  let waiting: { pause: number; host: Host; interrupt: AbortController } | undefined;
  const unsubscribe = hooks.onJoin?.((payload) => {
    // After fencing a joined hook changes nothing (the options are no longer read).
    lastJoined = payload;
    const joined = joinedOptions(payload);
    // The pause as it would apply (the host's ONEHA_PAUSE still wins over a hook's -p).
    if (waiting && joined && effectiveOptions(settings.defaults, joined, waiting.host).pause !== waiting.pause) waiting.interrupt.abort();
  });

  try {
    if (rec.status !== 'running') await status('running');
    // decode: the hook's payload, or (reconciled: no payload) the host as oned has it now, with the runner's defaults.
    const reconciled = rec.trigger === 'reconciled';
    const decoded = reconciled ? undefined : await run(decode, { payload: rec.payload });
    // The other steps: loaded now unless already there (the runner's are, so no import runs inside its flows).
    const { hostState, wait, fence, inventory, select, migrate, recreate, delete: deleteVms, recover, verify, finish } = loadedSteps() ?? (await loadSteps());
    const host0 = decoded?.host ?? (await run(hostState, { hostId: rec.hostId! }, 'decode')).host;
    const flags = decoded?.options;
    hostId = host0.id;
    if (!rec.hostName) await hooks.record({ type: 'host', hostId: host0.id, hostName: host0.name });
    const ha = hostHaSettings(host0);
    for (const p of ha.problems) log.warn(`host ${host0.id}: ${p.message}; ignored`, { hostId });
    if (!ha.enabled) return await status('skipped', `HA is off for host ${host0.name} (ONEHA_HA = NO)`);
    // The flags of a hook that joined before fencing (e.g. -r -p 0 after reconciliation started with the
    // defaults) are this flow's: the last one to join wins, over the flow's own.
    const flagsNow = () => joinedOptions(lastJoined ?? rec.joinedHook) ?? flags;
    let options = effectiveOptions(settings.defaults, flagsNow(), host0);
    const joinedBefore = (lastJoined ?? rec.joinedHook) !== undefined;
    log.info(`host ${host0.id} (${host0.name}) failed: mode ${options.mode}, pause ${options.pause}, fencing ${options.fencing ? 'on' : 'OFF'}${joinedBefore ? ' (the flags of a hook that joined)' : ''}`, { hostId });

    let waited;
    for (;;) {
      // A hook that joins during the wait with another -p ends this wait; the next one counts from the same start.
      const pause = options.pause;
      waiting = { pause, host: host0, interrupt: new AbortController() };
      waited = await run(wait, {
        hostId: host0.id, pause, configuredInterval: settings.configuredInterval,
        since: reconciled ? errorSince(host0) ?? rec.receivedAt : rec.receivedAt, pollSeconds: settings.pollSeconds,
        methods: options.fencing && !rec.confirmedDown ? powerReadMethods(hooks, host0) : undefined,
      }, undefined, waiting.interrupt.signal);
      waiting = undefined;
      if (waited.result !== 'interrupted') break;
      options = effectiveOptions(settings.defaults, flagsNow(), host0);
      log.info(`host ${host0.id}: a hook joined during the wait and brings its flags: pause ${options.pause} (was ${pause}), mode ${options.mode}, fencing ${options.fencing ? 'on' : 'OFF'}`, { hostId });
    }
    if (waited.result === 'came-back') return await status('came-back', `host ${host0.name} came back during the wait; nothing done`);
    if (waited.result === 'power-off') log.info(`host ${host0.id}: its BMC reported power OFF during the wait; fencing it as already off`, { hostId });

    let fenced = finishedOutput<FenceResult>(rec, 'fence');
    // A fencing that failed and was not released since (the runner stopped before it could say
    // fence-failed) waits for an operator as it would have: resuming must not fence again by itself.
    const fencedAt = [...rec.steps].reverse().find((s) => s.name === 'fence' && s.status === 'ok')?.endedAt ?? 0;
    if (fenced?.outcome === 'failed' && !(rec.releasedAt !== undefined && rec.releasedAt >= fencedAt)) {
      log.warn(`host ${host0.id}: fencing failed before the runner stopped; waiting for an operator, not fencing again by itself`, { hostId });
      return await status('fence-failed', `fencing failed, no VM touched: ${fenced.reason ?? 'no verified power-off'}`);
    }
    if (!fenced || !fence.reusable!(fenced)) {
      // Brakes and the last look happen right before fencing, never after.
      const { host, failed } = await look(hostState, { hostId: host0.id }, 'the last look before fencing');
      if (!failed) return await status('came-back', `host ${host.name} left ERROR before fencing; not fenced, nothing done`);
      if (!rec.releasedBy) {
        const brake = await persist('the brakes', () => hooks.brake(host, rec));
        if (brake) {
          log.warn(`host ${host.id}: ${brake.reason}`, { hostId });
          return await status(brake.action === 'hold' ? 'held' : 'skipped', brake.reason, brake.code);
        }
      }
      // The options as they are now: the host's settings read afresh (an operator may have set fencing
      // off before releasing), and the flags of a hook that joined before fencing (e.g. -r after
      // reconciliation started with the defaults).
      const joinedFlags = flagsNow();
      const now = effectiveOptions(settings.defaults, joinedFlags, host);
      if (JSON.stringify(now) !== JSON.stringify(options)) {
        const fromJoin = JSON.stringify(effectiveOptions(settings.defaults, joinedFlags, host0)) !== JSON.stringify(options);
        options = now;
        log.info(`host ${host0.id}: ${fromJoin ? 'a hook that joined before fencing brings its flags' : 'the host\'s settings changed'}: mode ${options.mode}, fencing ${options.fencing ? 'on' : 'OFF'}`, { hostId });
      }
      let methods: FenceMethod[] = [];
      try {
        // Confirmed down: no agent runs, so fence settings that cannot be used (the reason the BMC
        // never answered, often) do not stand in the way of the operator's confirmation.
        if (options.fencing && !rec.confirmedDown) methods = hooks.fenceMethods(host);
      } catch (e) {
        return await status('fence-failed', `fence settings of host ${host.name} are invalid, no VM touched: ${describeError(e)}`);
      }
      if (!options.fencing) log.warn(`host ${host.id}: fencing is disabled (-u/--no-fencing); recovering without fencing`, { hostId });
      // A dead BMC: an operator's recorded confirmation that the host is off stands in for the agents.
      if (rec.confirmedDown && options.fencing) log.warn(`host ${host.id}: confirmed down by ${rec.confirmedDown.by} (${rec.confirmedDown.reason}); not fenced by oneha`, { hostId });
      // Attempts journaled by runs of this fencing that a crash cut short: a command in flight runs again at most once.
      const earlier = interruptedAttempts(rec, 'fence') as FenceAttemptRecord[];
      fenced = await run(fence, { host, methods, fencing: options.fencing, dryRun: !!settings.dryRun, confirmedDown: rec.confirmedDown, ...(earlier.length ? { earlier } : {}) });
    }
    if (fenced.outcome === 'failed') {
      return await status('fence-failed', settings.dryRun ? fenced.reason ?? 'dry run: fencing would fail' : `fencing failed, no VM touched: ${fenced.reason ?? 'no verified power-off'}`);
    }
    if (fenced.outcome === 'dry-run') {
      log.info(`dry run: power is ${fenced.power ?? 'unknown'}; a real run would fence now`, { hostId });
    }

    const inv = await run(inventory, { hostId: host0.id, source: settings.inventorySource });
    const plan = await run(select, { host: inv.host, vms: inv.vms, datastores: inv.datastores, options, hosts: inv.hosts });
    for (const s of plan.skipped) log.info(`VM ${s.vmId} (${s.vmName}) left alone: ${s.reason}`, { hostId, vmId: s.vmId });
    // Not a reason to stop (oned's scheduler decides, and capacity may appear): the operator sees it now, not at the deadline.
    for (const p of plan.problems ?? []) log.warn(`VM ${p.vmId}: ${p.message}`, { hostId, vmId: p.vmId });
    for (const w of plan.capacity?.wontFit ?? []) log.warn(`VM ${w.vmId} (${w.vmName}) may not fit: ${w.reason}`, { hostId, vmId: w.vmId });

    // Actions whose outcome is already journaled are not even looked at again.
    const settled = new Set(rec.vms.filter((v) => v.outcome === 'done' || v.outcome === 'already-done').map((v) => v.vmId as number));
    const vs = convergeSettings(settings.verify ?? DEFAULT_VERIFY, inv.host, new Set(plan.actions.map((a) => MODE_OF[a.operation])), log);
    // A VM may override the host's mode (ONEHA_MODE on the VM): then each action is carried out with its own operation.
    const uniform = plan.actions.every((a) => a.operation === OPERATION_OF[plan.mode]);
    // The function the recover step runs, by the plan's mode.
    const carryOut = { migrate, recreate, delete: deleteVms }[plan.mode];
    const carried = await run(uniform ? carryOut : recover, {
      hostId: host0.id, actions: plan.actions.filter((a) => !settled.has(a.vmId)), concurrency: settings.vmConcurrency,
      tries: settings.vmTries, retryDelayMs: settings.retryDelayMs, retryUntil: transientUntil, dryRun: !!settings.dryRun, unlockLocked: vs.unlockLocked,
    }, 'recover');

    // Every planned VM's carry-out outcome, journaled ones included (a resumed flow did not redo them).
    const outcomeOf = new Map<number, VmOutcome>();
    for (const v of rec.vms) if (typeof v.vmId === 'number' && typeof v.outcome === 'string') outcomeOf.set(v.vmId, v as unknown as VmOutcome);
    for (const o of carried.outcomes) outcomeOf.set(o.vmId, o);
    const acted = plan.actions.filter((a) => ['done', 'already-done'].includes(outcomeOf.get(a.vmId)?.outcome ?? ''));
    const failedAt = errorSince(host0) ?? errorSince(inv.host) ?? rec.receivedAt;
    let verified: VerifyResult | undefined;
    if (acted.length && !settings.dryRun) {
      // The deadline is the recovery's: a resumed verify keeps the one it started with.
      const begun = [...rec.steps].reverse().find((s) => s.name === 'verify')?.input as { deadlineAt?: number } | undefined;
      const deadlineSeconds = Math.max(...acted.map((a) => vs.deadlineSeconds[MODE_OF[a.operation]]));
      const deadlineAt = begun?.deadlineAt ?? ports.clock.now() + deadlineSeconds * 1000;
      verified = await run(verify, {
        hostId: host0.id, failedAt, deadlineAt, pollSeconds: vs.pollSeconds, ladder: vs.ladder, unlockLocked: vs.unlockLocked,
        ...(vs.ladders ? { ladders: vs.ladders } : {}),
        vms: acted.map((a) => ({ vmId: a.vmId, vmName: a.vmName, operation: a.operation })),
      });
    }

    await run(finish, { hostId: host0.id, fenced: fenced.outcome === 'fenced', afterRecovery: settings.afterRecovery, dryRun: !!settings.dryRun });
    const total = plan.actions.length;
    const left = plan.skipped.length ? `, ${plan.skipped.length} left alone with a reason` : '';
    if (settings.dryRun) {
      const notActing = plan.actions.filter((a) => outcomeOf.get(a.vmId)?.outcome !== 'dry-run' && outcomeOf.get(a.vmId)?.outcome !== 'already-done');
      if (notActing.length) return await status('degraded', `dry run: ${notActing.length} of ${total} VMs would not be recovered: ${stuckList(notActing.map((a) => ({ ...a, why: outcomeOf.get(a.vmId)?.detail ?? 'no outcome' })))}`);
      return await status('completed', `dry run: ${total} VMs would be recovered${left}`);
    }
    const stuck = [
      ...plan.actions.filter((a) => !acted.includes(a)).map((a) => ({ ...a, why: `${outcomeOf.get(a.vmId)?.outcome ?? 'no outcome'}: ${outcomeOf.get(a.vmId)?.detail ?? ''}` })),
      ...(verified?.vms ?? []).filter((v) => v.result === 'stuck').map((v) => ({ ...v, why: v.reason ?? v.state })),
    ];
    if (stuck.length) return await status('degraded', `${stuck.length} of ${total} VMs not running: ${stuckList(stuck)}`);
    const mttr = verified?.mttrMs !== undefined ? ` (MTTR ${(verified.mttrMs / 1000).toFixed(1)} s from host ERROR)` : '';
    return await status('completed', `${total} VMs ${plan.mode === 'delete' ? 'deleted (DONE)' : 'running elsewhere'}${mttr}${left}`);
  } catch (e) {
    log.error(`recovery stopped: ${describeError(e)}`, { hostId });
    return await status('failed', describeError(e), classify(e).code);
  } finally {
    unsubscribe?.();
  }
}

/**
 * The runner's converge settings with the host's own over them (ONEHA_VERIFY_RETRIES, ONEHA_VERIFY_RECREATE,
 * ONEHA_UNLOCK_LOCKED), and the ladder of each mode's VMs where verify.perMode gives one (model/ladder.ts).
 */
function convergeSettings(vs: VerifySettings, host: Host, modes: ReadonlySet<string>, log: Ports['log']): VerifySettings & { ladders?: { resched?: Ladder; recreate?: Ladder } } {
  const { unlockLocked, ...own } = hostHaSettings(host).converge;
  const merged = { ...vs, ladder: ladderFor(vs.ladder, own), unlockLocked: unlockLocked ?? vs.unlockLocked };
  if (Object.keys(own).length || unlockLocked !== undefined) {
    log.info(`host ${host.id}: its own converge settings: ${merged.ladder.retries} retries, recreate ${merged.ladder.recreate ? 'allowed' : 'not allowed'}, locked VMs ${merged.unlockLocked ? 'unlocked and locked again' : 'left locked'}`, { hostId: host.id });
  }
  const ladders: { resched?: Ladder; recreate?: Ladder } = {};
  for (const mode of LADDER_MODES) {
    if (!vs.perMode?.[mode] || !modes.has(mode)) continue;
    const ladder = ladderFor(vs.ladder, vs.perMode[mode], own);
    ladders[OPERATION_OF[mode]] = ladder;
    log.info(`host ${host.id}: converge ladder for ${mode}: ${describeLadder(ladder)} (verify.perMode.${mode}${Object.keys(own).length ? ', the host\'s own over it' : ''})`, { hostId: host.id });
  }
  return Object.keys(ladders).length ? { ...merged, ladders } : merged;
}

/** The fence levels the wait may read power status from; invalid settings give none (fencing reports them). */
function powerReadMethods(hooks: FlowHooks, host: Host): FenceMethod[] | undefined {
  try {
    return hooks.fenceMethods(host).filter((m) => m.kind === 'agent');
  } catch {
    return undefined;
  }
}

function joinedOptions(payload: string | undefined): HookOptions | undefined {
  if (!payload) return undefined;
  try {
    return decodeHookPayload(payload).options;
  } catch {
    return undefined;
  }
}

/** The stuck VMs, named, for a status line (the per-VM records say the rest). */
function stuckList(vms: Array<{ vmId: number; vmName: string; why: string }>): string {
  const shown = vms.slice(0, 5).map((v) => `${v.vmId} (${v.vmName}) ${v.why}`);
  return shown.join('; ') + (vms.length > shown.length ? `; and ${vms.length - shown.length} more` : '');
}

/** When oned says the host went into ERROR (TEMPLATE/ERROR starts with a ctime). */
export function errorSince(host: Host): number | undefined {
  const m = /^(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}) :/.exec(host.template.ERROR ?? '');
  if (!m) return undefined;
  const t = Date.parse(m[1]);
  return Number.isFinite(t) ? t : undefined;
}

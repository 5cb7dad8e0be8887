// The recovery flow for one host failure: decode -> wait -> (brakes) -> fence
// -> inventory -> select -> migrate|recreate|delete -> finish. Each step's
// input and output are journaled before the next starts; a resumed flow
// skips the steps that finished and repeats no side effect (fence looks at
// power first; carrying out re-reads every VM before acting).
import type { HostFailure } from '../../functions/decode';
import { decode } from '../../functions/decode';
import { isHostFailed, type Host } from '../../functions/domain';
import { fence, type FenceResult } from '../../functions/fence';
import type { HookOptions } from '../../functions/hookOptions';
import { inventory, type Inventory } from '../../functions/inventory';
import { describeError, OneError } from '../../functions/oneErrors';
import type { Ports } from '../../functions/ports';
import { functions, invoke } from '../../functions/registry';
import type { RecoveryPlan } from '../../functions/select';
import type { CarryOutResult, VmOutcome } from '../../functions/carryOut';
import type { WaitResult } from '../../functions/wait';
import type { FenceMethod } from '../../functions/fenceTypes';
import { StepError } from '../../functions/define';
import { finishedOutput, type NewEvent, type Recovery, type RecoveryStatus, type StepName } from '../journal/events';
import { effectiveOptions, hostHaSettings } from '../hostSettings';

export interface FlowSettings {
  defaults: HookOptions;
  configuredInterval?: { seconds: number; source: 'config' | 'monitord.conf' };
  pollSeconds?: number;
  inventorySource: 'host-vms' | 'pool';
  vmConcurrency: number;
  vmTries: number;
  retryDelayMs: number;
  /** Tries for a step that failed on a transient oned error (busy, down, slow). */
  stepTries: number;
  /** What to do with a fenced host once its VMs are recovered. */
  afterRecovery: 'disabled' | 'offline' | 'none';
  /** Fence reads power only, VMs are planned but not touched, the host is left as it is. */
  dryRun?: boolean;
}

export const STEP_ORDER: StepName[] = ['decode', 'wait', 'fence', 'inventory', 'select', 'recover', 'finish'];

/** What the flow asks of the runner around it. */
export interface FlowHooks {
  record(event: NewEvent): Promise<void>;
  fenceMethods(host: Host): FenceMethod[];
  /** The brakes: a reason to hold (wait for an operator) or skip, checked right before fencing. */
  brake(host: Host, rec: Recovery): Promise<{ action: 'hold' | 'skip'; reason: string } | undefined>;
}

export class FlowStop extends Error {
  constructor(readonly status: RecoveryStatus, reason: string) {
    super(reason);
  }
}

export async function runRecoveryFlow(rec: Recovery, ports: Ports, settings: FlowSettings, hooks: FlowHooks): Promise<RecoveryStatus> {
  const { log } = ports;
  let hostId = rec.hostId !== undefined && rec.hostId >= 0 ? rec.hostId : undefined;
  const status = async (s: RecoveryStatus, reason?: string, code?: string) => {
    await hooks.record({ type: 'status', status: s, reason, code });
    return s;
  };

  /** Runs a step unless it already finished (resume); journals around it. */
  async function step<T>(name: StepName, input: unknown, run: () => Promise<T>, transientRetry = true, reusable: (out: T) => boolean = () => true): Promise<T> {
    const done = finishedOutput<T>(rec, name);
    if (done !== undefined && reusable(done)) return done;
    await hooks.record({ type: 'step-started', step: name, input });
    for (let attempt = 1; ; attempt++) {
      try {
        const output = await run();
        await hooks.record({ type: 'step-finished', step: name, output });
        return output;
      } catch (e) {
        if (transientRetry && e instanceof OneError && e.transient && attempt < settings.stepTries) {
          log.warn(`${name}: ${describeError(e)}; trying again`, { hostId });
          await ports.clock.sleep(Math.min(16_000, settings.retryDelayMs * 2 ** (attempt - 1)));
          continue;
        }
        const code = e instanceof StepError ? e.code : e instanceof OneError ? e.codeName : 'error';
        await hooks.record({ type: 'step-failed', step: name, error: { code, message: describeError(e) } });
        throw e;
      }
    }
  }

  try {
    if (rec.status !== 'running') await status('running');
    // decode: the hook's payload, or (reconciled) the host as oned has it now.
    const failure = await step<HostFailure>('decode', rec.trigger === 'reconciled' ? { hostId: rec.hostId } : { payload: '(the received payload)', bytes: rec.payload.length }, async () => {
      if (rec.trigger === 'reconciled') {
        const host = await ports.one.hostInfo(rec.hostId!);
        return { host, options: settings.defaults };
      }
      return invoke(decode, { payload: rec.payload }, { hostId });
    });
    const host0 = failure.host;
    hostId = host0.id;
    if (!rec.hostName) await hooks.record({ type: 'host', hostId: host0.id, hostName: host0.name });
    const ha = hostHaSettings(host0);
    for (const p of ha.problems) log.warn(`host ${host0.id}: ${p}; ignored`, { hostId });
    if (!ha.enabled) return await status('skipped', `HA is off for host ${host0.name} (ONEHA_HA = NO)`);
    const options = effectiveOptions(settings.defaults, rec.trigger === 'reconciled' ? undefined : failure.options, host0);
    log.info(`host ${host0.id} (${host0.name}) failed: mode ${options.mode}, pause ${options.pause}, fencing ${options.fencing ? 'on' : 'OFF'}`, { hostId });

    const waited = await step<WaitResult>('wait', { hostId: host0.id, pause: options.pause }, () =>
      invoke(functions.wait, {
        hostId: host0.id, pause: options.pause, configuredInterval: settings.configuredInterval,
        since: rec.trigger === 'reconciled' ? errorSince(host0) ?? rec.receivedAt : rec.receivedAt, pollSeconds: settings.pollSeconds,
      }, ports));
    if (waited.result === 'came-back') return await status('came-back', `host ${host0.name} came back during the wait; nothing done`);

    // A failed fencing is never reused: once an operator releases the recovery, fencing runs again.
    const fenceDone = (f: FenceResult | undefined) => !!f && f.outcome !== 'failed';
    let fenced = finishedOutput<FenceResult>(rec, 'fence');
    if (!fenceDone(fenced)) {
      // Brakes and the last look happen right before fencing, never after.
      const host = await ports.one.hostInfo(host0.id);
      if (!isHostFailed(host.state)) return await status('came-back', `host ${host.name} left ERROR before fencing; not fenced, nothing done`);
      if (!rec.releasedBy) {
        const brake = await hooks.brake(host, rec);
        if (brake) {
          log.warn(`host ${host.id}: ${brake.reason}`, { hostId });
          return await status(brake.action === 'hold' ? 'held' : 'skipped', brake.reason);
        }
      }
      let methods: FenceMethod[] = [];
      try {
        if (options.fencing) methods = hooks.fenceMethods(host);
      } catch (e) {
        return await status('fence-failed', `fence settings of host ${host.name} are invalid, no VM touched: ${describeError(e)}`);
      }
      if (!options.fencing) log.warn(`host ${host.id}: fencing is disabled (-u/--no-fencing); recovering without fencing`, { hostId });
      fenced = await step<FenceResult>('fence', { host, methods, fencing: options.fencing }, () =>
        invoke(fence, { host, methods, fencing: options.fencing, dryRun: !!settings.dryRun }, ports), false, fenceDone);
    }
    if (!fenced) throw new Error('fence step gave no result');
    if (fenced.outcome === 'failed') {
      return await status('fence-failed', `fencing failed, no VM touched: ${fenced.reason ?? 'no verified power-off'}`);
    }
    if (fenced.outcome === 'dry-run') {
      log.info(`dry run: power is ${fenced.power ?? 'unknown'}; a real run would fence now`, { hostId });
    } else if (fenced.outcome !== 'fenced' && fenced.outcome !== 'skipped') {
      return await status('fence-failed', `fencing did not confirm power-off (${fenced.outcome}); no VM touched`);
    }

    const inv = await step<Inventory>('inventory', { hostId: host0.id, source: settings.inventorySource }, () =>
      invoke(inventory, { hostId: host0.id, source: settings.inventorySource }, ports));
    const plan = await step<RecoveryPlan>('select', { hostId: host0.id, options, vms: inv.vms.length, datastores: inv.datastores.length }, () =>
      invoke(functions.select, { host: inv.host, vms: inv.vms, datastores: inv.datastores, options }, {}));
    for (const s of plan.skipped) log.info(`VM ${s.vmId} (${s.vmName}) left alone: ${s.reason}`, { hostId, vmId: s.vmId });

    // Actions whose outcome is already journaled are not even looked at again.
    const settled = new Set(rec.vms.filter((v) => v.outcome === 'done' || v.outcome === 'already-done').map((v) => v.vmId as number));
    const pending = plan.actions.filter((a) => !settled.has(a.vmId));
    const fn = { migrate: functions.migrate, recreate: functions.recreate, delete: functions.delete }[plan.mode];
    const carried = await step<CarryOutResult>('recover', { hostId: host0.id, mode: plan.mode, actions: pending.length, alreadySettled: settled.size }, () =>
      invoke(fn, {
        hostId: host0.id, actions: pending, concurrency: settings.vmConcurrency, tries: settings.vmTries, retryDelayMs: settings.retryDelayMs,
        dryRun: !!settings.dryRun,
      }, {
        ...ports,
        // Each VM's outcome is journaled as it happens, so a resumed flow skips it.
        progress: { emit: (e) => { ports.progress.emit(e); void hooks.record({ type: 'vm', outcome: e }).catch(() => {}); } },
      }));

    const failed = carried.outcomes.filter((o: VmOutcome) => o.outcome === 'failed' || o.outcome === 'skipped');
    await step('finish', { hostId: host0.id, afterRecovery: settings.afterRecovery }, async () => {
      if (fenced!.outcome !== 'fenced' || settings.afterRecovery === 'none' || settings.dryRun) return { hostStatus: 'unchanged' };
      // Keep the scheduler off the fenced host until an operator brings it back.
      await ports.one.hostStatus(host0.id, settings.afterRecovery === 'disabled' ? 1 : 2);
      log.info(`host ${host0.id}: left ${settings.afterRecovery.toUpperCase()} until an operator enables it`, { hostId });
      return { hostStatus: settings.afterRecovery };
    });
    const total = plan.actions.length;
    if (failed.length) return await status('failed', `${failed.length} of ${total} VMs could not be recovered`);
    return await status('completed', `${total} VMs recovered, ${plan.skipped.length} left alone with a reason`);
  } catch (e) {
    if (e instanceof FlowStop) return await status(e.status, e.message);
    log.error(`recovery stopped: ${describeError(e)}`, { hostId });
    const code = e instanceof StepError ? e.code : e instanceof OneError ? e.codeName : 'error';
    return await status('failed', describeError(e), code);
  }
}

/** When oned says the host went into ERROR (TEMPLATE/ERROR starts with a ctime). */
export function errorSince(host: Host): number | undefined {
  const m = /^(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}) :/.exec(host.template.ERROR ?? '');
  if (!m) return undefined;
  const t = Date.parse(m[1]);
  return Number.isFinite(t) ? t : undefined;
}

// select (pure): which VMs of the failed host to recover, and how; every VM
// that ran there and is not recovered gets a reason. host_error.rb's rule,
// made explicit, without the calls it makes that oned is bound to refuse.
import * as z from 'zod';
import { defineFunction } from './define';
import {
  DatastoreSchema, HostSchema, lastHistory, LcmState, VmSchema, VmState, vmStateName,
  type Datastore, type Host, type Vm,
} from '../model/one';
import { HookOptionsSchema, type HookOptions } from '../model/hookOptions';

export const OperationSchema = z.enum(['resched', 'recreate', 'delete']);
export type Operation = z.infer<typeof OperationSchema>;

export const PlannedActionSchema = z.object({
  vmId: z.number().int(),
  vmName: z.string(),
  /** State when planned, e.g. ACTIVE/UNKNOWN. */
  state: z.string(),
  operation: OperationSchema,
});
export type PlannedAction = z.infer<typeof PlannedActionSchema>;

export const SkippedVmSchema = z.object({
  vmId: z.number().int(),
  vmName: z.string(),
  state: z.string(),
  reason: z.string(),
});
export type SkippedVm = z.infer<typeof SkippedVmSchema>;

export const SelectInput = z.object({
  host: HostSchema,
  vms: z.array(VmSchema),
  datastores: z.array(DatastoreSchema),
  options: HookOptionsSchema,
});

export const RecoveryPlanSchema = z.object({
  hostId: z.number().int(),
  hostName: z.string(),
  mode: HookOptionsSchema.shape.mode,
  actions: z.array(PlannedActionSchema),
  skipped: z.array(SkippedVmSchema),
});
export type RecoveryPlan = z.infer<typeof RecoveryPlanSchema>;

const OPERATION = { migrate: 'resched', recreate: 'recreate', delete: 'delete' } as const;

/** States whose VMs are recovered for these options (host_error.rb's rule). */
export function eligibleStates(o: HookOptions): number[] {
  return o.mode === 'recreate' && !o.force ? [VmState.ACTIVE] : [VmState.ACTIVE, VmState.SUSPENDED, VmState.POWEROFF];
}

/** Why oned would refuse `resched` for this VM, if it would (OpenNebula XML-RPC reference). */
export function reschedRefusal(vm: Pick<Vm, 'state' | 'lcmState'>): string | undefined {
  if (vm.state === VmState.POWEROFF) return undefined;
  if (vm.state === VmState.ACTIVE && (vm.lcmState === LcmState.RUNNING || vm.lcmState === LcmState.UNKNOWN)) return undefined;
  if (vm.state === VmState.SUSPENDED) {
    return 'oned refuses resched for SUSPENDED VMs: recreate it (-r -f) or resume it when the host is back';
  }
  return `oned refuses resched in state ${vmStateName(vm.state, vm.lcmState)}`;
}

function migrateRefusal(vm: Vm, host: Host, datastores: Map<number, Datastore>): string | undefined {
  const dsId = lastHistory(vm)?.dsId ?? -1;
  const ds = datastores.get(dsId);
  if (!ds) return `its system datastore ${dsId} was not found, so it is not known to be shared`;
  if (ds.shared === undefined) return `system datastore ${ds.id} (${ds.name}) has no SHARED attribute, so it is not known to be shared`;
  if (ds.shared === 'NO') {
    return `system datastore ${ds.id} (${ds.name}, TM_MAD ${ds.tmMad}) is not shared: its disks are on ${host.name}; left for when the host returns`;
  }
  return reschedRefusal(vm);
}

export function selectVmsToRecover(input: z.output<typeof SelectInput>): RecoveryPlan {
  const { host, vms, options } = input;
  const datastores = new Map(input.datastores.map((d) => [d.id, d]));
  const states = eligibleStates(options);
  const listedOnHost = new Set(host.vms);
  const actions: PlannedAction[] = [];
  const skipped: SkippedVm[] = [];
  const seen = new Set<number>();

  for (const vm of [...vms].sort((a, b) => a.id - b.id)) {
    if (seen.has(vm.id)) continue;
    seen.add(vm.id);
    const last = lastHistory(vm);
    const state = vmStateName(vm.state, vm.lcmState);
    const skip = (reason: string) => skipped.push({ vmId: vm.id, vmName: vm.name, state, reason });

    if (!last || last.hid !== host.id) {
      const ranHere = listedOnHost.has(vm.id) || vm.history.some((h) => h.hid === host.id);
      if (ranHere) skip(last ? `its last history record is on host ${last.hostname} (${last.hid}), not on ${host.name}` : 'it has no history record');
      continue;
    }
    if (!states.includes(vm.state)) {
      const why = vm.state === VmState.SUSPENDED || vm.state === VmState.POWEROFF
        ? `${state} VMs are recovered by -r only with -f`
        : `state ${state} is not recovered (only ${states.map((s) => vmStateName(s, 0)).join(', ')})`;
      skip(why);
      continue;
    }
    if (options.mode === 'migrate') {
      const refusal = migrateRefusal(vm, host, datastores);
      if (refusal) {
        skip(refusal);
        continue;
      }
    }
    actions.push({ vmId: vm.id, vmName: vm.name, state, operation: OPERATION[options.mode] });
  }
  return { hostId: host.id, hostName: host.name, mode: options.mode, actions, skipped };
}

export const select = defineFunction({
  name: 'select',
  description: 'Pure: from the host, VMs, datastores and options, the recovery plan with a reason for every VM left alone.',
  effectful: false,
  ports: [],
  input: SelectInput,
  output: RecoveryPlanSchema,
  async run(input) {
    return selectVmsToRecover(input);
  },
});

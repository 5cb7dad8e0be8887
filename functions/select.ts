// select (pure): which VMs of the failed host to recover, and how; every VM
// that ran there and is not recovered gets a reason. host_error.rb's rule,
// made explicit, without the calls it makes that oned is bound to refuse.
import * as z from '../model/zod';
import { Int, NonNegativeInt } from '../model/numbers';
import { defineFunction } from './define';
import {
  DatastoreSchema, HostSchema, lastHistory, LcmState, VmSchema, VmState, vmStateName,
  type Datastore, type Host, type Vm,
} from '../model/one';
import { HookOptionsSchema, type HookOptions } from '../model/hookOptions';
import { DEFAULT_PRIORITY, PRIORITIES, PrioritySchema, ReadySchema, vmHaPolicy } from '../model/vmPolicy';
import { addNeed, clusterLabel, clusterRooms, NO_NEED, place, vmNeed, type Room } from '../model/capacity';

export const OperationSchema = z.enum(['resched', 'recreate', 'delete']);
export type Operation = z.infer<typeof OperationSchema>;

export const PlannedActionSchema = z.object({
  vmId: Int,
  vmName: z.string(),
  /** State when planned, e.g. ACTIVE/UNKNOWN. */
  state: z.string(),
  operation: OperationSchema,
  /** The VM's restart tier (ONEHA_PRIORITY); the plan lists HIGHEST first. Absent in plans from before tiers: MEDIUM. */
  priority: z.optional(PrioritySchema),
  /** When the next tier may start: the VM running (and READY = YES from the guest for GUEST), or the timeout. */
  ready: z.optional(z.object({ kind: ReadySchema, timeoutSeconds: NonNegativeInt })),
});
export type PlannedAction = z.infer<typeof PlannedActionSchema>;

export const SkippedVmSchema = z.object({
  vmId: Int,
  vmName: z.string(),
  state: z.string(),
  reason: z.string(),
  /** Why, as a word readiness and the rehearsal count by. */
  code: z.optional(z.enum(['elsewhere', 'opted-out', 'state', 'datastore'])),
});
export type SkippedVm = z.infer<typeof SkippedVmSchema>;

export const SelectInput = z.object({
  host: HostSchema,
  vms: z.array(VmSchema),
  datastores: z.array(DatastoreSchema),
  options: HookOptionsSchema,
  /** The host pool, for the capacity estimate; absent in inputs journaled before it was read (then no estimate). */
  hosts: z.optional(z.array(HostSchema)),
});

const NeedSchema = z.object({ cpu: z.number(), mem: z.number() });

/**
 * What the VMs to bring back need against what the enabled hosts of their
 * cluster have free now, as oned accounts it (model/capacity.ts). An
 * estimate for the operator: the recovery does not stop for it.
 */
export const PlanCapacitySchema = z.object({
  where: z.string(),
  /** Enabled hosts of the cluster that could take the VMs. */
  hosts: Int,
  need: NeedSchema,
  free: NeedSchema,
  wontFit: z.array(z.object({ vmId: Int, vmName: z.string(), reason: z.string() })),
});
export type PlanCapacity = z.infer<typeof PlanCapacitySchema>;

export const RecoveryPlanSchema = z.object({
  hostId: Int,
  hostName: z.string(),
  mode: HookOptionsSchema.shape.mode,
  actions: z.array(PlannedActionSchema),
  skipped: z.array(SkippedVmSchema),
  capacity: z.optional(PlanCapacitySchema),
  /** Per-VM policy attributes that could not be read (the default was used). */
  problems: z.optional(z.array(z.object({ vmId: Int, message: z.string() }))),
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

function migrateRefusal(vm: Vm, host: Host, datastores: Map<number, Datastore>): { reason: string; code: 'datastore' | 'state' } | undefined {
  const dsId = lastHistory(vm)?.dsId ?? -1;
  const ds = datastores.get(dsId);
  const local = (reason: string) => ({ reason, code: 'datastore' as const });
  if (!ds) return local(`its system datastore ${dsId} was not found, so it is not known to be shared`);
  if (ds.shared === undefined) return local(`system datastore ${ds.id} (${ds.name}) has no SHARED attribute, so it is not known to be shared`);
  if (ds.shared === 'NO') {
    return local(`system datastore ${ds.id} (${ds.name}, TM_MAD ${ds.tmMad}) is not shared: its disks are on ${host.name}; left for when the host returns`);
  }
  const refused = reschedRefusal(vm);
  return refused ? { reason: refused, code: 'state' } : undefined;
}

export function selectVmsToRecover(input: z.output<typeof SelectInput>): RecoveryPlan {
  const { host, vms, options } = input;
  const datastores = new Map(input.datastores.map((d) => [d.id, d]));
  const hostStates = eligibleStates(options);
  const problems: Array<{ vmId: number; message: string }> = [];
  const listedOnHost = new Set(host.vms);
  const actions: PlannedAction[] = [];
  const skipped: SkippedVm[] = [];
  const seen = new Set<number>();

  for (const vm of [...vms].sort((a, b) => a.id - b.id)) {
    if (seen.has(vm.id)) continue;
    seen.add(vm.id);
    const last = lastHistory(vm);
    const state = vmStateName(vm.state, vm.lcmState);
    const skip = (reason: string, code: SkippedVm['code']) => skipped.push({ vmId: vm.id, vmName: vm.name, state, reason, code });

    if (!last || last.hid !== host.id) {
      const ranHere = listedOnHost.has(vm.id) || vm.history.some((h) => h.hid === host.id);
      if (ranHere) skip(last ? `its last history record is on host ${last.hostname} (${last.hid}), not on ${host.name}` : 'it has no history record', 'elsewhere');
      continue;
    }
    // The VM's own policy (USER_TEMPLATE): opted out, its tier, its mode, through the same gates as the host's.
    const policy = vmHaPolicy(vm);
    for (const message of policy.problems) problems.push({ vmId: vm.id, message });
    if (!policy.ha) {
      skip('ONEHA_HA = NO on the VM: oneha never recovers it', 'opted-out');
      continue;
    }
    const vmOptions = policy.mode ? { ...options, mode: policy.mode } : options;
    const states = policy.mode ? eligibleStates(vmOptions) : hostStates;
    if (!states.includes(vm.state)) {
      const why = vm.state === VmState.SUSPENDED || vm.state === VmState.POWEROFF
        ? `${state} VMs are recovered by -r only with -f`
        : `state ${state} is not recovered (only ${states.map((s) => vmStateName(s, 0)).join(', ')})`;
      skip(why, 'state');
      continue;
    }
    if (vmOptions.mode === 'migrate') {
      const refusal = migrateRefusal(vm, host, datastores);
      if (refusal) {
        skip(refusal.reason, refusal.code);
        continue;
      }
    }
    actions.push({
      vmId: vm.id, vmName: vm.name, state, operation: OPERATION[vmOptions.mode],
      priority: policy.priority, ready: { kind: policy.ready, timeoutSeconds: policy.readyTimeoutSeconds },
    });
  }
  // Tier by tier, HIGHEST first; by VM id within a tier (the sort is stable).
  actions.sort((a, b) => tierOf(a) - tierOf(b));
  const capacity = input.hosts && options.mode !== 'delete' ? planCapacity(host, input.hosts, vms, actions) : undefined;
  return {
    hostId: host.id, hostName: host.name, mode: options.mode, actions, skipped,
    ...(capacity ? { capacity } : {}), ...(problems.length ? { problems } : {}),
  };
}

/** 0 HIGHEST .. 4 LOWEST; MEDIUM for actions planned before tiers existed. */
export function tierOf(a: Pick<PlannedAction, 'priority'>): number {
  return PRIORITIES.indexOf(a.priority ?? DEFAULT_PRIORITY);
}

/** The plan's actions grouped by tier, HIGHEST first (the order they are carried out in). */
export function tiersOf<A extends Pick<PlannedAction, 'priority'>>(actions: readonly A[]): A[][] {
  const groups = new Map<number, A[]>();
  for (const a of actions) {
    const t = tierOf(a);
    const g = groups.get(t);
    if (g) g.push(a);
    else groups.set(t, [a]);
  }
  return [...groups].sort((x, y) => x[0] - y[0]).map(([, g]) => g);
}

/** The capacity estimate for the plan's actions, in plan order, on the failed host's cluster. */
export function planCapacity(host: Host, hosts: readonly Host[], vms: readonly Vm[], actions: readonly PlannedAction[]): PlanCapacity {
  const byId = new Map(vms.map((v) => [v.id, v]));
  const rooms: Room[] = clusterRooms(hosts, host.clusterId, new Set([host.id]));
  const where = clusterLabel(host);
  const candidates = actions.map((a) => ({ vmId: a.vmId, vmName: a.vmName, need: vmNeed(byId.get(a.vmId) ?? {}) }));
  const p = place(candidates, rooms, where);
  return {
    where,
    hosts: rooms.length,
    need: candidates.reduce((n, c) => addNeed(n, c.need), NO_NEED),
    free: rooms.reduce((n, r) => addNeed(n, { cpu: Math.max(0, r.cpu), mem: Math.max(0, r.mem) }), NO_NEED),
    wontFit: p.unplaced.map((u) => ({ vmId: u.vmId, vmName: u.vmName, reason: u.reason })),
  };
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

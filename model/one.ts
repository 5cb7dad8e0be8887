// The OpenNebula objects oneha reasons about, as typed values.
// The OpenNebula client (runner/one) parses oned's XML into these; the
// functions only ever see these shapes, never XML.
import * as z from './zod';
import { Int, NonNegativeInt, PositiveInt } from './numbers';

export * from './states';

/** A flat view of a TEMPLATE: scalar attributes only (vectors such as DISK are left out). */
export const TemplateSchema = z.record(z.string(), z.string());
export type Template = z.infer<typeof TemplateSchema>;

/**
 * HOST/HOST_SHARE as oned accounts it: MAX_* is TOTAL_* minus RESERVED_*
 * (host template, else cluster template; negative = overcommit), *_USAGE the
 * sum of what the VMs holding capacity there asked for. CPU in percent of a
 * core (CPU = 1 -> 100), memory in KB. oned's scheduler places a VM where
 * USAGE + need <= MAX.
 */
export const HostShareSchema = z.object({
  cpuUsage: z.number(),
  memUsage: z.number(),
  totalCpu: z.number(),
  totalMem: z.number(),
  maxCpu: z.number(),
  maxMem: z.number(),
});
export type HostShare = z.infer<typeof HostShareSchema>;

export const HostSchema = z.object({
  id: NonNegativeInt,
  name: z.string(),
  state: z.number().check(z.int(), z.gte(0), z.lte(8)),
  prevState: Int,
  clusterId: Int,
  cluster: z.string(),
  /** HOST/VMS/ID: every VM holding capacity on the host. */
  vms: z.array(Int),
  template: TemplateSchema,
  /** Absent where the XML had no HOST_SHARE (journaled inputs from before it was read). */
  share: z.optional(HostShareSchema),
});
export type Host = z.infer<typeof HostSchema>;

export const HistorySchema = z.object({
  seq: Int,
  hostname: z.string(),
  hid: Int,
  dsId: Int,
  action: Int,
  /** RSTIME: when the VM started running on this record's host (seconds; 0 = not yet). */
  rstime: z.optional(Int),
});
export type History = z.infer<typeof HistorySchema>;

export const VmSchema = z.object({
  id: NonNegativeInt,
  name: z.string(),
  uname: z.string(),
  gname: z.string(),
  state: Int,
  lcmState: Int,
  resched: Int,
  /** In SEQ order. The pool's short body carries only the last record. */
  history: z.array(HistorySchema),
  /** LOCK/LOCKED: 1 USE, 2 MANAGE, 3 ADMIN, 4 ALL; absent when not locked. */
  lock: z.optional(Int),
  /** USER_TEMPLATE/SCHED_MESSAGE: why the scheduler could not place the VM. */
  schedMessage: z.optional(z.string()),
  /** TEMPLATE/CPU and TEMPLATE/MEMORY (MB): what the VM needs from a host. */
  cpu: z.optional(z.number()),
  memory: z.optional(z.number()),
  /** USER_TEMPLATE attributes of the per-VM HA policy (vmPolicy.ts VM_ATTRS), those present only; absent when none is. */
  attrs: z.optional(z.record(z.string(), z.string())),
});
export type Vm = z.infer<typeof VmSchema>;

export function lastHistory(vm: Vm): History | undefined {
  return vm.history.length ? vm.history[vm.history.length - 1] : undefined;
}

export const DatastoreSchema = z.object({
  id: Int,
  name: z.string(),
  /** 0 IMAGE_DS, 1 SYSTEM_DS, 2 FILE_DS, 3 BACKUP_DS */
  type: Int,
  tmMad: z.string(),
  /** TEMPLATE/SHARED; present only on system datastores. */
  shared: z.optional(z.enum(['YES', 'NO'])),
});
export type Datastore = z.infer<typeof DatastoreSchema>;

export const OneConfigSchema = z.object({
  /** Absent in current OpenNebula (it lives in monitord.conf). */
  monitoringIntervalHost: z.optional(PositiveInt),
  version: z.optional(z.string()),
});
export type OneConfig = z.infer<typeof OneConfigSchema>;

export const UserSchema = z.object({
  id: Int,
  name: z.string(),
  gid: Int,
  groups: z.array(Int),
});
export type User = z.infer<typeof UserSchema>;

export const RaftStatusSchema = z.object({
  serverId: Int,
  /** 0 SOLO, 1 CANDIDATE, 2 FOLLOWER, 3 LEADER */
  state: Int,
  term: Int,
});
export type RaftStatus = z.infer<typeof RaftStatusSchema>;

export const DocumentSchema = z.object({
  id: Int,
  name: z.string(),
  type: Int,
  body: z.string(),
});
export type OneDocument = z.infer<typeof DocumentSchema>;

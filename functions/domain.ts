// The OpenNebula objects oneha reasons about, as typed values.
// The OpenNebula client (runner/one) parses oned's XML into these; the
// functions only ever see these shapes, never XML.
import { z } from 'zod';

/** HOST/STATE numbers (API.md §7). */
export const HostState = {
  INIT: 0,
  MONITORING_MONITORED: 1,
  MONITORED: 2,
  ERROR: 3,
  DISABLED: 4,
  MONITORING_ERROR: 5,
  MONITORING_INIT: 6,
  MONITORING_DISABLED: 7,
  OFFLINE: 8,
} as const;
export const HOST_STATE_NAMES = [
  'INIT', 'MONITORING_MONITORED', 'MONITORED', 'ERROR', 'DISABLED',
  'MONITORING_ERROR', 'MONITORING_INIT', 'MONITORING_DISABLED', 'OFFLINE',
] as const;

/** host_error.rb treats both of these as "still failed". */
export function isHostFailed(state: number): boolean {
  return state === HostState.ERROR || state === HostState.MONITORING_ERROR;
}

/** VM STATE numbers (API.md §7). */
export const VmState = {
  INIT: 0, PENDING: 1, HOLD: 2, ACTIVE: 3, STOPPED: 4, SUSPENDED: 5,
  DONE: 6, FAILED: 7, POWEROFF: 8, UNDEPLOYED: 9, CLONING: 10, CLONING_FAILURE: 11,
} as const;
export const VM_STATE_NAMES = [
  'INIT', 'PENDING', 'HOLD', 'ACTIVE', 'STOPPED', 'SUSPENDED', 'DONE',
  'FAILED', 'POWEROFF', 'UNDEPLOYED', 'CLONING', 'CLONING_FAILURE',
] as const;

/** LCM_STATE names, index = number (API.md §7). */
export const LCM_STATE_NAMES = [
  'LCM_INIT', 'PROLOG', 'BOOT', 'RUNNING', 'MIGRATE', 'SAVE_STOP', 'SAVE_SUSPEND', 'SAVE_MIGRATE',
  'PROLOG_MIGRATE', 'PROLOG_RESUME', 'EPILOG_STOP', 'EPILOG', 'SHUTDOWN', 'CANCEL', 'FAILURE',
  'CLEANUP_RESUBMIT', 'UNKNOWN', 'HOTPLUG', 'SHUTDOWN_POWEROFF', 'BOOT_UNKNOWN', 'BOOT_POWEROFF',
  'BOOT_SUSPENDED', 'BOOT_STOPPED', 'CLEANUP_DELETE', 'HOTPLUG_SNAPSHOT', 'HOTPLUG_NIC',
  'HOTPLUG_SAVEAS', 'HOTPLUG_SAVEAS_POWEROFF', 'HOTPLUG_SAVEAS_SUSPENDED', 'SHUTDOWN_UNDEPLOY',
  'EPILOG_UNDEPLOY', 'PROLOG_UNDEPLOY', 'BOOT_UNDEPLOY', 'HOTPLUG_PROLOG_POWEROFF',
  'HOTPLUG_EPILOG_POWEROFF', 'BOOT_MIGRATE', 'BOOT_FAILURE', 'BOOT_MIGRATE_FAILURE',
  'PROLOG_MIGRATE_FAILURE', 'PROLOG_FAILURE', 'EPILOG_FAILURE', 'EPILOG_STOP_FAILURE',
  'EPILOG_UNDEPLOY_FAILURE', 'PROLOG_MIGRATE_POWEROFF', 'PROLOG_MIGRATE_POWEROFF_FAILURE',
  'PROLOG_MIGRATE_SUSPEND', 'PROLOG_MIGRATE_SUSPEND_FAILURE', 'BOOT_UNDEPLOY_FAILURE',
  'BOOT_STOPPED_FAILURE', 'PROLOG_RESUME_FAILURE', 'PROLOG_UNDEPLOY_FAILURE',
  'DISK_SNAPSHOT_POWEROFF', 'DISK_SNAPSHOT_REVERT_POWEROFF', 'DISK_SNAPSHOT_DELETE_POWEROFF',
  'DISK_SNAPSHOT_SUSPENDED', 'DISK_SNAPSHOT_REVERT_SUSPENDED', 'DISK_SNAPSHOT_DELETE_SUSPENDED',
  'DISK_SNAPSHOT', 'DISK_SNAPSHOT_REVERT', 'DISK_SNAPSHOT_DELETE', 'PROLOG_MIGRATE_UNKNOWN',
  'PROLOG_MIGRATE_UNKNOWN_FAILURE', 'DISK_RESIZE', 'DISK_RESIZE_POWEROFF', 'DISK_RESIZE_UNDEPLOYED',
  'HOTPLUG_NIC_POWEROFF', 'HOTPLUG_RESIZE', 'HOTPLUG_SAVEAS_UNDEPLOYED', 'HOTPLUG_SAVEAS_STOPPED',
  'BACKUP', 'BACKUP_POWEROFF', 'RESTORE',
] as const;

/** The LCM states oneha's decisions name. */
export const LcmState = {
  LCM_INIT: 0, PROLOG: 1, BOOT: 2, RUNNING: 3, MIGRATE: 4,
  CLEANUP_RESUBMIT: 15, UNKNOWN: 16, CLEANUP_DELETE: 23, BOOT_FAILURE: 36, PROLOG_MIGRATE_UNKNOWN: 60,
  PROLOG_MIGRATE_UNKNOWN_FAILURE: 61,
} as const;

export function vmStateName(state: number, lcmState: number): string {
  const s = VM_STATE_NAMES[state] ?? String(state);
  if (state !== VmState.ACTIVE) return s;
  return `${s}/${LCM_STATE_NAMES[lcmState] ?? String(lcmState)}`;
}

/** A state the VM stays in until someone acts: any *_FAILURE, FAILED, CLONING_FAILURE. */
export function isVmFailureState(state: number, lcmState: number): boolean {
  if (state === VmState.FAILED || state === VmState.CLONING_FAILURE) return true;
  return state === VmState.ACTIVE && (LCM_STATE_NAMES[lcmState] ?? '').endsWith('FAILURE');
}

/** A flat view of a TEMPLATE: scalar attributes only (vectors such as DISK are left out). */
export const TemplateSchema = z.record(z.string(), z.string());
export type Template = z.infer<typeof TemplateSchema>;

export const HostSchema = z.object({
  id: z.number().int().nonnegative(),
  name: z.string(),
  state: z.number().int().min(0).max(8),
  prevState: z.number().int(),
  clusterId: z.number().int(),
  cluster: z.string(),
  /** HOST/VMS/ID: every VM holding capacity on the host. */
  vms: z.array(z.number().int()),
  template: TemplateSchema,
});
export type Host = z.infer<typeof HostSchema>;

export const HistorySchema = z.object({
  seq: z.number().int(),
  hostname: z.string(),
  hid: z.number().int(),
  dsId: z.number().int(),
  action: z.number().int(),
  /** RSTIME: when the VM started running on this record's host (seconds; 0 = not yet). */
  rstime: z.number().int().optional(),
});
export type History = z.infer<typeof HistorySchema>;

export const VmSchema = z.object({
  id: z.number().int().nonnegative(),
  name: z.string(),
  uname: z.string(),
  gname: z.string(),
  state: z.number().int(),
  lcmState: z.number().int(),
  resched: z.number().int(),
  /** In SEQ order. The pool's short body carries only the last record. */
  history: z.array(HistorySchema),
  /** LOCK/LOCKED: 1 USE, 2 MANAGE, 3 ADMIN, 4 ALL; absent when not locked. */
  lock: z.number().int().optional(),
  /** USER_TEMPLATE/SCHED_MESSAGE: why the scheduler could not place the VM. */
  schedMessage: z.string().optional(),
  /** TEMPLATE/CPU and TEMPLATE/MEMORY (MB): what the VM needs from a host. */
  cpu: z.number().optional(),
  memory: z.number().optional(),
});
export type Vm = z.infer<typeof VmSchema>;

export function lastHistory(vm: Vm): History | undefined {
  return vm.history.length ? vm.history[vm.history.length - 1] : undefined;
}

export const DatastoreSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  /** 0 IMAGE_DS, 1 SYSTEM_DS, 2 FILE_DS, 3 BACKUP_DS */
  type: z.number().int(),
  tmMad: z.string(),
  /** TEMPLATE/SHARED; present only on system datastores. */
  shared: z.enum(['YES', 'NO']).optional(),
});
export type Datastore = z.infer<typeof DatastoreSchema>;

export const OneConfigSchema = z.object({
  /** Absent in current OpenNebula (it lives in monitord.conf). */
  monitoringIntervalHost: z.number().int().positive().optional(),
  version: z.string().optional(),
});
export type OneConfig = z.infer<typeof OneConfigSchema>;

export const UserSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  gid: z.number().int(),
  groups: z.array(z.number().int()),
});
export type User = z.infer<typeof UserSchema>;

export const RaftStatusSchema = z.object({
  serverId: z.number().int(),
  /** 0 SOLO, 1 CANDIDATE, 2 FOLLOWER, 3 LEADER */
  state: z.number().int(),
  term: z.number().int(),
});
export type RaftStatus = z.infer<typeof RaftStatusSchema>;

export const DocumentSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  type: z.number().int(),
  body: z.string(),
});
export type OneDocument = z.infer<typeof DocumentSchema>;

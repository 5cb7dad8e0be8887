// The simulated cloud's description: a JSON scenario file, validated by zod.
// `Scenario` is what you write (defaults may be left out); `ParsedScenario`
// is what the simulator works with after `ScenarioSchema.parse`.
import * as z from 'zod';
import { parseAclString } from './acl';

/** LCM_STATE names, index = number (OpenNebula XML-RPC reference): the simulator's own copy (it stays independent of oneha's code, as an oracle). */
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

/** HOST/STATE names, index = number (OpenNebula XML-RPC reference). */
export const HOST_STATES = [
  'INIT', 'MONITORING_MONITORED', 'MONITORED', 'ERROR', 'DISABLED',
  'MONITORING_ERROR', 'MONITORING_INIT', 'MONITORING_DISABLED', 'OFFLINE',
] as const;

/** VM STATE names, index = number. */
export const VM_STATES = [
  'INIT', 'PENDING', 'HOLD', 'ACTIVE', 'STOPPED', 'SUSPENDED', 'DONE',
  'FAILED', 'POWEROFF', 'UNDEPLOYED', 'CLONING', 'CLONING_FAILURE',
] as const;

/** LCM_STATE names, index = number (OpenNebula XML-RPC reference). */
export const LCM_STATES = LCM_STATE_NAMES;

/**
 * Names accepted for a VM's `state`: the VM STATE names plus the ACTIVE
 * sub-states a scenario commonly needs. Value = [STATE, LCM_STATE].
 */
export const VM_STATE_ALIASES: Record<string, readonly [number, number]> = {
  INIT: [0, 0], PENDING: [1, 0], HOLD: [2, 0], ACTIVE: [3, 3], STOPPED: [4, 0], SUSPENDED: [5, 0],
  DONE: [6, 0], POWEROFF: [8, 0], UNDEPLOYED: [9, 0], CLONING: [10, 0], CLONING_FAILURE: [11, 0],
  RUNNING: [3, 3], UNKNOWN: [3, 16], PROLOG: [3, 1], BOOT: [3, 2], MIGRATE: [3, 4],
  PROLOG_MIGRATE_UNKNOWN: [3, 60], CLEANUP_RESUBMIT: [3, 15], BOOT_FAILURE: [3, 36],
  PROLOG_FAILURE: [3, 39], PROLOG_MIGRATE_UNKNOWN_FAILURE: [3, 61],
};

const HOST_STATE_NAME = z.enum(HOST_STATES);
const VM_STATE_NAME = z.enum(Object.keys(VM_STATE_ALIASES) as [string, ...string[]]);
const Id = z.number().int().nonnegative();
const Attrs = z.record(z.string(), z.string());

export const UserSpecSchema = z.object({
  id: Id,
  name: z.string().min(1).regex(/^[^:\s]+$/, 'user names cannot contain ":" or spaces'),
  password: z.string(),
  /** Primary group; 0 = oneadmin (administrators). */
  gid: Id,
  /** Secondary groups (the primary group is always included). */
  groups: z.array(Id).optional(),
  /** Group name; default "oneadmin" for 0, "users" for 1, else "group-<gid>". */
  gname: z.string().optional(),
  enabled: z.boolean().default(true),
  /** "server_cipher" for a server user such as FireEdge's serveradmin (its sessions act for other users). */
  authDriver: z.enum(['core', 'server_cipher']).default('core'),
  /** FireEdge's per-user settings, TEMPLATE/FIREEDGE (e.g. { SCHEME: "dark" }), as Sunstone stores them. */
  fireedge: z.record(z.string().regex(/^[A-Z_]+$/), z.string()).optional(),
});

export const HostSpecSchema = z.object({
  id: Id,
  name: z.string().min(1),
  /** HOST/STATE number or name; default 2 MONITORED. ERROR (3) also marks the host as not answering. */
  state: z.union([z.number().int().min(0).max(8), HOST_STATE_NAME]).default(2),
  cluster: z.string().default('default'),
  clusterId: z.number().int().default(0),
  /** TOTAL_CPU: number of cores * 100. */
  cpu: z.number().int().positive().default(800),
  /** TOTAL_MEM in KB (default 32 GiB). */
  memory: z.number().int().positive().default(32 * 1024 * 1024),
  imMad: z.string().default('kvm'),
  vmMad: z.string().default('kvm'),
  /** Extra TEMPLATE attributes (e.g. FENCE_IP); they override the defaults (HOSTNAME, HYPERVISOR...). */
  template: Attrs.default({}),
});

export const DatastoreSpecSchema = z.object({
  id: Id,
  name: z.string().min(1),
  type: z.union([z.enum(['IMAGE', 'SYSTEM', 'FILE', 'BACKUP']), z.number().int().min(0).max(3)]),
  tmMad: z.string().min(1),
  dsMad: z.string().optional(),
  /** TEMPLATE/SHARED, SYSTEM datastores only; default from tmMad (ssh/local = NO, others YES). */
  shared: z.enum(['YES', 'NO']).optional(),
  totalMb: z.number().int().nonnegative().default(1887436),
  freeMb: z.number().int().nonnegative().default(1210311),
  /** IMAGES/ID */
  images: z.array(Id).default([]),
});

export const HistorySpecSchema = z.object({
  hostId: Id,
  /** System datastore; default: the first SYSTEM datastore. */
  dsId: Id.optional(),
  /** HISTORY/ACTION of a closed record; default 1 (migrate) for closed records, 0 for the current one. */
  action: z.number().int().min(0).optional(),
});

export const VmSpecSchema = z.object({
  id: Id,
  name: z.string().optional(),
  /** Owner; default uid 0 (oneadmin) or the user named by `uname`. */
  uid: Id.optional(),
  uname: z.string().optional(),
  gid: Id.optional(),
  gname: z.string().optional(),
  /** STATE number, or a name such as RUNNING, UNKNOWN, SUSPENDED, POWEROFF, PENDING, DONE. */
  state: z.union([z.number().int().min(0).max(11), VM_STATE_NAME]),
  /** LCM_STATE when `state` is a number (default 3 RUNNING for ACTIVE, else 0). */
  lcmState: z.number().int().min(0).max(71).optional(),
  /** CPU (cores, may be fractional); the host share is cpu*100. */
  cpu: z.number().positive().default(1),
  /** MEMORY in MB. */
  memory: z.number().int().positive().default(1024),
  vcpu: z.number().int().positive().optional(),
  resched: z.union([z.literal(0), z.literal(1)]).default(0),
  /** In order, last = current host. Empty for a VM never deployed. */
  history: z.array(HistorySpecSchema).default([]),
  /** USER_TEMPLATE attributes (LABELS, custom ones...). */
  userTemplate: Attrs.default({}),
  image: z.string().optional(),
});

export const HookSpecSchema = z.object({
  id: Id.optional(),
  name: z.string().optional(),
  /** state: runs on a host's transition to `state`; api: after every authenticated call of `call`, its outcome in `$API` (HOOKS.md). */
  type: z.enum(['state', 'api']).default('state'),
  resource: z.literal('HOST').default('HOST'),
  /** state hooks: the host state that triggers it. */
  state: z.enum(['INIT', 'MONITORED', 'ERROR', 'DISABLED', 'OFFLINE']).optional(),
  /** api hooks: the method, e.g. "one.hook.update" (oned refuses *.info). */
  call: z.string().optional(),
  /** Absolute path, or relative to `cwd` (default: the simulator's working directory). */
  command: z.string().min(1),
  /** Split on whitespace; whole-word `$TEMPLATE` becomes the base64 of the HOST XML, `$API` that of the call's CALL_INFO. */
  arguments: z.string().default('$TEMPLATE'),
  /** true = ARGUMENTS_STDIN=yes: the expanded arguments go to stdin (no trailing newline), argv is empty. */
  argumentsStdin: z.boolean().default(false),
  timeoutSeconds: z.number().positive().optional(),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
}).superRefine((h, ctx) => {
  if (h.type === 'state' && !h.state) ctx.addIssue({ code: 'custom', path: ['state'], message: 'a state hook needs a state' });
  if (h.type === 'api' && (!h.call || h.call.includes('.info'))) ctx.addIssue({ code: 'custom', path: ['call'], message: 'an api hook needs a call that is not *.info' });
});

export const DocumentSpecSchema = z.object({
  id: Id,
  type: z.number().int(),
  name: z.string().optional(),
  uid: Id.default(0),
  /** Goes to TEMPLATE/BODY (the OneFlow pattern). */
  body: z.string().optional(),
  template: Attrs.default({}),
});

const ErrorCodeSchema = z.union([
  z.number().int(),
  z.enum(['AUTHENTICATION', 'AUTHORIZATION', 'NO_EXISTS', 'ACTION', 'RPC_API', 'INTERNAL', 'ALLOCATE', 'LOCKED', 'REPLICATION']),
]);

export const ErrorFaultSchema = z.object({
  /** Full method name, e.g. "one.vm.action"; "*" = every method. */
  method: z.string().min(1),
  /** Only calls about this object ID (the VM id of one.vm.action, the first int of most methods). */
  id: z.number().int().optional(),
  /** Only this action name (one.vm.action). */
  action: z.string().optional(),
  code: ErrorCodeSchema,
  /** Text after "[method] "; default a generic message for the code. */
  message: z.string().optional(),
  /** Answer the error this many times, then behave normally (default: always). */
  times: z.number().int().positive().optional(),
});

export const FaultsSpecSchema = z.object({
  /** Added to every call (ms). */
  latencyMs: z.number().nonnegative().optional(),
  /** Added to calls of the named methods (ms), on top of latencyMs. */
  methodLatencyMs: z.record(z.string(), z.number().nonnegative()).optional(),
  /** Added to calls about one object: "method:id" (e.g. "one.host.info:3") or "*:id" -> ms. */
  objectLatencyMs: z.record(z.string().regex(/^[^:]+:\d+$/), z.number().nonnegative()).optional(),
  errors: z.array(ErrorFaultSchema).optional(),
  /** Every call answers AUTHENTICATION. */
  authFailure: z.boolean().optional(),
  /** Hosts that come back (restoreHost) after a delay. */
  restoreHosts: z.array(z.object({ hostId: Id, afterMs: z.number().nonnegative() })).optional(),
  /** Hosts that stop answering (failHost) after a delay. */
  failHosts: z.array(z.object({ hostId: Id, afterMs: z.number().nonnegative(), restoreAfterMs: z.number().nonnegative().optional() })).optional(),
  /** Boots that end in BOOT_FAILURE: of one VM, or of any VM on one host (`times` boots, default every one). */
  bootFailures: z.array(z.object({ vmId: Id.optional(), hostId: Id.optional(), times: z.number().int().positive().optional() })
    .refine((b) => b.vmId !== undefined || b.hostId !== undefined, { message: 'a boot failure names a vmId or a hostId' })).optional(),
});

export const ScenarioSchema = z.object({
  /** Default: oneadmin/oneadmin, id 0, group 0. */
  users: z.array(UserSpecSchema).min(1).default([{ id: 0, name: 'oneadmin', password: 'oneadmin', gid: 0, enabled: true, authDriver: 'core' }]),
  hosts: z.array(HostSpecSchema),
  /** Default: system DS 0 (shared) and image DS 1. */
  datastores: z.array(DatastoreSpecSchema).min(1).default([
    { id: 0, name: 'system', type: 'SYSTEM', tmMad: 'shared', totalMb: 1887436, freeMb: 1210311, images: [] },
    { id: 1, name: 'default', type: 'IMAGE', tmMad: 'shared', dsMad: 'fs', totalMb: 1887436, freeMb: 1210311, images: [] },
  ]),
  vms: z.array(VmSpecSchema).default([]),
  config: z.object({
    /** Only if you want one.system.config to carry it (real 7.x does not). */
    monitoringIntervalHost: z.number().int().positive().optional(),
    /** one.system.version */
    version: z.string().default('7.5.80'),
    /** oned's clock minus this machine's, in seconds: the Date header of every XML-RPC reply (a front-end without NTP). */
    clockOffsetSeconds: z.number().default(0),
  }).default({ version: '7.5.80', clockOffsetSeconds: 0 }),
  raft: z.object({
    /** 0 SOLO, 1 CANDIDATE (mutating calls fail INTERNAL), 2 FOLLOWER, 3 LEADER */
    state: z.number().int().min(0).max(3),
    serverId: z.number().int().optional(),
    term: z.number().int().nonnegative().default(0),
  }).default({ state: 0, term: 0 }),
  hooks: z.array(HookSpecSchema).default([]),
  documents: z.array(DocumentSpecSchema).default([]),
  /** ACL rules an administrator added (`oneacl create` strings, e.g. "@1 HOST/%100 USE"), after the ones oned bootstraps (ONED_DEFAULT_ACLS). */
  acls: z.array(z.string().superRefine((text, ctx) => {
    try {
      parseAclString(text);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  })).default([]),
  faults: FaultsSpecSchema.optional(),
  options: z.object({
    /** How often the scheduler places PENDING / RESCHED=1 VMs. */
    schedulerIntervalMs: z.number().int().positive().default(100),
    /** VMs placed per scheduler pass at most (unlimited when absent): with schedulerIntervalMs, the scheduler's pace. */
    schedulerMaxPerPass: z.number().int().positive().optional(),
    /** Time spent in each transient LCM state (PROLOG*, BOOT, CLEANUP*...); 0 = immediate. */
    bootDelayMs: z.number().int().nonnegative().default(0),
    /** Delay between failHost() and the host's ERROR transition; 0 = immediate. */
    monitorDelayMs: z.number().int().nonnegative().default(0),
    /** Added to every call (ms). */
    latencyMs: z.number().nonnegative().default(0),
    /** Oldest call records are dropped beyond this many. */
    callLogLimit: z.number().int().positive().default(200_000),
    /** HOOK_LOG_CONF/LOG_RETENTION: records one.hook.info shows per hook. */
    hookLogRetention: z.number().int().positive().default(20),
  }).default({ schedulerIntervalMs: 100, bootDelayMs: 0, monitorDelayMs: 0, latencyMs: 0, callLogLimit: 200_000, hookLogRetention: 20 }),
});

/** A scenario as written (JSON file or object literal): defaults may be omitted. */
export type Scenario = z.input<typeof ScenarioSchema>;
/** A scenario with every default filled in. */
export type ParsedScenario = z.output<typeof ScenarioSchema>;
export type UserSpec = z.output<typeof UserSpecSchema>;
export type HostSpec = z.output<typeof HostSpecSchema>;
export type DatastoreSpec = z.output<typeof DatastoreSpecSchema>;
export type VmSpec = z.output<typeof VmSpecSchema>;
export type HookSpec = z.output<typeof HookSpecSchema>;
export type DocumentSpec = z.output<typeof DocumentSpecSchema>;
export type FaultsSpec = z.input<typeof FaultsSpecSchema>;
export type ErrorFault = z.input<typeof ErrorFaultSchema>;

/** Parses and validates; throws an Error whose message lists every problem with its path. */
export function parseScenario(input: unknown): ParsedScenario {
  const r = ScenarioSchema.safeParse(input);
  if (!r.success) throw new Error(`invalid scenario:\n${z.prettifyError(r.error)}`);
  return r.data;
}

/** [STATE, LCM_STATE] of a VM spec. */
export function vmSpecState(v: Pick<VmSpec, 'state' | 'lcmState'>): [number, number] {
  if (typeof v.state === 'string') {
    const s = VM_STATE_ALIASES[v.state];
    return [s[0], s[1]];
  }
  return [v.state, v.lcmState ?? (v.state === 3 ? 3 : 0)];
}

export function hostSpecState(h: Pick<HostSpec, 'state'>): number {
  return typeof h.state === 'string' ? HOST_STATES.indexOf(h.state) : h.state;
}

// ---------------------------------------------------------------------------
// Big clouds for benchmarks

export interface GenerateOptions {
  hosts: number;
  vmsPerHost: number;
  /** VM CPU (default 0.5) and MEMORY in MB (default 512). */
  vmCpu?: number;
  vmMemory?: number;
  /** Host capacity; default: room for twice vmsPerHost VMs (at least 800 / 32 GiB). */
  hostCpu?: number;
  hostMemory?: number;
  /** Weights of the VM states, e.g. { RUNNING: 8, SUSPENDED: 1, POWEROFF: 1 }; default all RUNNING. */
  states?: Partial<Record<'RUNNING' | 'UNKNOWN' | 'SUSPENDED' | 'POWEROFF', number>>;
  /** Extra PENDING VMs never deployed. */
  pendingVms?: number;
  /** Host names are `${hostPrefix}NN` (default "kvm-node-", numbered from 01). */
  hostPrefix?: string;
  /** VMs live on system DS 0 (shared, default) or DS 100 (ssh, not shared). */
  sharedSystemDs?: boolean;
  firstVmId?: number;
  users?: Scenario['users'];
  acls?: Scenario['acls'];
  hooks?: Scenario['hooks'];
  options?: Scenario['options'];
  /** Extra TEMPLATE attributes on every host (FENCE_IP=127.0.0.1 is always set). */
  hostTemplate?: Record<string, string>;
}

const GOLDEN = 0.6180339887498949;

/**
 * A cloud of `hosts` hosts with `vmsPerHost` VMs each. Deterministic; builds
 * 50,000 VMs in a few tens of milliseconds.
 */
export function generateScenario(o: GenerateOptions): Scenario {
  const vmCpu = o.vmCpu ?? 0.5;
  const vmMemory = o.vmMemory ?? 512;
  const hostCpu = o.hostCpu ?? Math.max(800, Math.ceil(2 * o.vmsPerHost * vmCpu * 100));
  const hostMemory = o.hostMemory ?? Math.max(32 * 1024 * 1024, 2 * o.vmsPerHost * vmMemory * 1024);
  const prefix = o.hostPrefix ?? 'kvm-node-';
  const width = Math.max(2, String(o.hosts).length);
  const weights = Object.entries(o.states ?? { RUNNING: 1 }).filter(([, w]) => (w ?? 0) > 0) as [string, number][];
  const total = weights.reduce((s, [, w]) => s + w, 0);
  const pick = (i: number): string => {
    if (weights.length === 1) return weights[0][0];
    let x = ((i + 1) * GOLDEN) % 1 * total;
    for (const [name, w] of weights) {
      if (x < w) return name;
      x -= w;
    }
    return weights[weights.length - 1][0];
  };
  const dsId = o.sharedSystemDs === false ? 100 : 0;
  const hosts: NonNullable<Scenario['hosts']> = [];
  for (let h = 0; h < o.hosts; h++) {
    const name = `${prefix}${String(h + 1).padStart(width, '0')}`;
    hosts.push({ id: h, name, cpu: hostCpu, memory: hostMemory, template: { FENCE_IP: '127.0.0.1', ...o.hostTemplate } });
  }
  const vms: NonNullable<Scenario['vms']> = [];
  let id = o.firstVmId ?? 0;
  let n = 0;
  for (let h = 0; h < o.hosts; h++) {
    for (let k = 0; k < o.vmsPerHost; k++, n++) {
      vms.push({ id, name: `vm-${id}`, state: pick(n), cpu: vmCpu, memory: vmMemory, history: [{ hostId: h, dsId }] });
      id++;
    }
  }
  for (let p = 0; p < (o.pendingVms ?? 0); p++) {
    vms.push({ id, name: `vm-${id}`, state: 'PENDING', cpu: vmCpu, memory: vmMemory, history: [] });
    id++;
  }
  return {
    users: o.users,
    acls: o.acls,
    hosts,
    datastores: [
      { id: 0, name: 'system', type: 'SYSTEM', tmMad: 'shared' },
      { id: 1, name: 'default', type: 'IMAGE', tmMad: 'shared', dsMad: 'fs' },
      { id: 100, name: 'local_system', type: 'SYSTEM', tmMad: 'ssh', totalMb: 0, freeMb: 0 },
    ],
    vms,
    hooks: o.hooks,
    options: o.options,
  };
}

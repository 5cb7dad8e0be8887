// The in-memory objects of the simulated cloud. Plain data; the state
// machine that changes them lives in cloud.ts, their XML in xml.ts.
import type { Template } from './template';
import type { HookExecResult } from './hookExec';
import type { SimTimer } from './cloud';

export const HOST = { INIT: 0, MONITORED: 2, ERROR: 3, DISABLED: 4, OFFLINE: 8 } as const;
export const VM = { INIT: 0, PENDING: 1, HOLD: 2, ACTIVE: 3, STOPPED: 4, SUSPENDED: 5, DONE: 6, POWEROFF: 8, UNDEPLOYED: 9, CLONING: 10, CLONING_FAILURE: 11 } as const;
export const LCM = {
  LCM_INIT: 0, PROLOG: 1, BOOT: 2, RUNNING: 3, MIGRATE: 4, SAVE_STOP: 5, SAVE_SUSPEND: 6, SAVE_MIGRATE: 7,
  PROLOG_MIGRATE: 8, EPILOG_STOP: 10, EPILOG: 11, SHUTDOWN: 12, CLEANUP_RESUBMIT: 15, UNKNOWN: 16,
  SHUTDOWN_POWEROFF: 18, BOOT_UNKNOWN: 19, BOOT_POWEROFF: 20, BOOT_SUSPENDED: 21, CLEANUP_DELETE: 23,
  SHUTDOWN_UNDEPLOY: 29, EPILOG_UNDEPLOY: 30, BOOT_FAILURE: 36, PROLOG_FAILURE: 39,
  PROLOG_MIGRATE_POWEROFF: 43, PROLOG_MIGRATE_SUSPEND: 45, PROLOG_MIGRATE_UNKNOWN: 60, PROLOG_MIGRATE_UNKNOWN_FAILURE: 61,
} as const;

/** HISTORY/ACTION numbers (vm.xsd comment). */
export const HISTORY_ACTION: Record<string, number> = {
  none: 0, migrate: 1, 'live-migrate': 2, shutdown: 3, 'shutdown-hard': 4, undeploy: 5, 'undeploy-hard': 6,
  hold: 7, release: 8, stop: 9, suspend: 10, resume: 11, boot: 12, delete: 13, 'delete-recreate': 14,
  reboot: 15, 'reboot-hard': 16, resched: 17, unresched: 18, poweroff: 19, 'poweroff-hard': 20,
  terminate: 27, 'terminate-hard': 28, deploy: 30, recover: 42, retry: 43,
};

export interface SimUser {
  id: number;
  name: string;
  password: string;
  gid: number;
  gname: string;
  groups: number[];
  enabled: boolean;
  /** "core", or "server_cipher" for FireEdge's serveradmin (sim/fireedge.ts). */
  authDriver: 'core' | 'server_cipher';
  tokens: Array<{ token: string; expires: number; egid: number }>;
  /** TEMPLATE/FIREEDGE: Sunstone's settings of this user. */
  fireedge?: Record<string, string>;
}

export interface SimHistory {
  seq: number;
  hostname: string;
  hid: number;
  cid: number;
  dsId: number;
  vmMad: string;
  tmMad: string;
  stime: number;
  etime: number;
  pstime: number;
  petime: number;
  rstime: number;
  retime: number;
  estime: number;
  eetime: number;
  action: number;
  uid: number;
  gid: number;
  reqId: number;
}

export class SimVm {
  id: number;
  name: string;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  state: number;
  lcmState: number;
  resched: 0 | 1 = 0;
  stime: number;
  etime = 0;
  lastPoll: number;
  deployId: string;
  cpu: number;
  memory: number;
  vcpu: number;
  image: string;
  imageId: number;
  diskSize: number;
  /** All history records in SEQ order; the last one is the current host. */
  history: SimHistory[] = [];
  userTemplate: Template;
  /** Host whose capacity (and HOST/VMS) this VM occupies, -1 if none. */
  heldOn = -1;
  /** Pending transition (PROLOG -> BOOT -> RUNNING...): the timer and the steps left. */
  timer?: SimTimer;
  steps?: Array<() => void>;
  /** Last scheduler complaint, to avoid rewriting SCHED_MESSAGE every pass. */
  schedReason = '';
  /** one.vm.lock: blocks operations of the lock's level and above, for everyone. */
  lock?: SimLock;
  /** Short body, already escaped for an XML-RPC <string>; dropped on every change. */
  shortEsc?: string;

  constructor(init: {
    id: number; name: string; uid: number; gid: number; uname: string; gname: string; state: number; lcmState: number;
    stime: number; cpu: number; memory: number; vcpu: number; image: string; imageId: number; diskSize: number; userTemplate: Template;
  }) {
    this.id = init.id;
    this.name = init.name;
    this.uid = init.uid;
    this.gid = init.gid;
    this.uname = init.uname;
    this.gname = init.gname;
    this.state = init.state;
    this.lcmState = init.lcmState;
    this.stime = init.stime;
    this.lastPoll = init.stime;
    this.deployId = '';
    this.cpu = init.cpu;
    this.memory = init.memory;
    this.vcpu = init.vcpu;
    this.image = init.image;
    this.imageId = init.imageId;
    this.diskSize = init.diskSize;
    this.userTemplate = init.userTemplate;
  }

  /** Current (last) history record. */
  get current(): SimHistory | undefined {
    return this.history.length ? this.history[this.history.length - 1] : undefined;
  }

  /** Host of the last history record, -1 if never deployed. */
  get hostId(): number {
    return this.current?.hid ?? -1;
  }

  touch(): void {
    this.shortEsc = undefined;
  }
}

export class SimHost {
  id: number;
  name: string;
  state: number;
  /** State before the last transition (shown only in hook events). */
  prevState: number;
  clusterId: number;
  cluster: string;
  imMad: string;
  vmMad: string;
  totalCpu: number;
  totalMem: number;
  cpuUsage = 0;
  memUsage = 0;
  template: Template;
  /** VMs holding capacity here (HOST/VMS/ID). */
  readonly vmSet = new Set<number>();
  /** The host stopped answering (failHost); ERROR follows after monitorDelayMs. */
  failed = false;
  /** Last successful monitoring (seconds). */
  lastMonitored: number;

  constructor(init: { id: number; name: string; state: number; clusterId: number; cluster: string; imMad: string; vmMad: string; totalCpu: number; totalMem: number; template: Template; now: number }) {
    this.id = init.id;
    this.name = init.name;
    this.state = init.state;
    this.prevState = init.state;
    this.clusterId = init.clusterId;
    this.cluster = init.cluster;
    this.imMad = init.imMad;
    this.vmMad = init.vmMad;
    this.totalCpu = init.totalCpu;
    this.totalMem = init.totalMem;
    this.template = init.template;
    this.lastMonitored = init.now;
  }

  /**
   * MAX_CPU / MAX_MEM as oned computes them: TOTAL minus RESERVED_CPU /
   * RESERVED_MEM from the host template (absolute, or "N%" of TOTAL; negative
   * overcommits). oned's scheduler places against these.
   */
  get maxCpu(): number {
    return this.totalCpu - reserved(this.template.get('RESERVED_CPU'), this.totalCpu);
  }
  get maxMem(): number {
    return this.totalMem - reserved(this.template.get('RESERVED_MEM'), this.totalMem);
  }

  /** HOST/VMS/ID, ascending. */
  get vms(): number[] {
    return [...this.vmSet].sort((a, b) => a - b);
  }
}

export interface SimDatastore {
  id: number;
  name: string;
  /** 0 IMAGE, 1 SYSTEM, 2 FILE, 3 BACKUP */
  type: number;
  tmMad: string;
  dsMad: string;
  shared?: 'YES' | 'NO';
  totalMb: number;
  freeMb: number;
  images: number[];
}

export interface SimLock {
  level: number;
  owner: number;
  time: number;
  reqId: number;
}

export interface SimDocument {
  id: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  name: string;
  type: number;
  template: Template;
  lock?: SimLock;
}

export interface SimHook {
  id: number;
  name: string;
  /** HOOK/TYPE: state hooks run on a host's transition to STATE, api hooks after each authenticated call of CALL. */
  type: 'state' | 'api';
  /**
   * Every template attribute as oned keeps it (COMMAND, ARGUMENTS, ARGUMENTS_STDIN, STATE or CALL,
   * TIMEOUT, and whatever one.hook.update merged in): the hook runs as its template says now.
   */
  template: Template;
  cwd?: string;
  env?: Record<string, string>;
  nextExecutionId: number;
}

/** One execution of a hook command (HOOK_EXECUTION_RECORD plus details). */
export interface HookRun extends HookExecResult {
  /** Start order across all hooks (hookRuns is sorted by it). */
  seq: number;
  hookId: number;
  hookName: string;
  executionId: number;
  /** Seconds (HOOKLOG TIMESTAMP). */
  timestamp: number;
  /** Milliseconds, simulator clock. */
  at: number;
  /** State hooks: the host and the state it entered. */
  hostId?: number;
  state?: string;
  /** API hooks: the call that triggered it. */
  call?: string;
}

export interface SimEvent {
  seq: number;
  at: number;
  kind: 'host-state' | 'vm-state';
  id: number;
  from: string;
  to: string;
}

function reserved(text: string | undefined, total: number): number {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text ?? '');
  if (!m) return 0;
  const v = Number(m[1]);
  return Math.round(m[2] ? (total * v) / 100 : v);
}

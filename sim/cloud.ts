// The simulated cloud: hosts, VMs, datastores, users, documents and hooks in
// memory, with the state machine of oned and its scheduler (OpenNebula's XML-RPC reference;
// OBSERVED.md). Operations throw OneError with oned's code and message text
// (the RPC layer prefixes "[method] ").
import { randomBytes } from 'node:crypto';
import { killHooks, runHookCommand } from './hookExec';
import {
  HISTORY_ACTION, HOST, LCM, SimHost, SimVm, VM,
  type HookRun, type SimDatastore, type SimDocument, type SimEvent, type SimHistory, type SimHook, type SimLock, type SimUser,
} from './model';
import { HOST_STATES, LCM_STATES, VM_STATES, hostSpecState, vmSpecState, type ParsedScenario } from './scenario';
import { RpcEscaped, Template, TemplateSyntaxError, esc, parseTemplate } from './template';
import * as X from './xml';
import { serverCipherUser } from './fireedge';
import { ONED_DEFAULT_ACLS, aclFromHex, aclGrants, aclXml, parseAclString, type AclRule } from './acl';

export const ErrorCode = {
  SUCCESS: 0,
  AUTHENTICATION: 256,
  AUTHORIZATION: 512,
  NO_EXISTS: 1024,
  ACTION: 2048,
  RPC_API: 4096,
  INTERNAL: 8192,
  ALLOCATE: 16384,
  LOCKED: 32768,
  REPLICATION: 65536,
} as const;

/** A failure reply: code, message (without the "[method] " prefix), object id. */
export class OneError extends Error {
  constructor(readonly code: number, message: string, readonly objectId = -1) {
    super(message);
    this.name = 'OneError';
  }
}

/** A pending timer of the simulator's clock. */
export interface SimTimer {
  cancel(): void;
}

export interface SimClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Runs fn after ms of this clock's time. Without it the simulator's timers
   * (scheduler passes, monitoring, boot steps, latency) are real; a virtual
   * clock that provides it replays them in virtual time, deterministically.
   */
  setTimer?(fn: () => void, ms: number): SimTimer;
}

/** Real time: Date.now and unref'd timers (the simulator never keeps a process alive). */
export const realSimClock: Required<SimClock> = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** C ctime() without the newline: "Wed Aug 19 09:07:00 2026". */
export function ctime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${d.getFullYear()}`;
}

const OBJECT_NAMES = { vm: 'virtual machine', host: 'host', datastore: 'datastore', user: 'user', document: 'document', hook: 'hook' } as const;
export function notFound(kind: keyof typeof OBJECT_NAMES, id: number): OneError {
  return new OneError(ErrorCode.NO_EXISTS, `Error getting ${OBJECT_NAMES[kind]} [${id}].`, id);
}

export type AuthOp = 'USE' | 'MANAGE' | 'ADMIN';
const AUTH_RANK: Record<AuthOp, number> = { USE: 1, MANAGE: 2, ADMIN: 3 };

/** A lock of level L (1 USE, 2 MANAGE, 3 ADMIN; 4 ALL is stored as 1) blocks operations of rank L and above. */
export function lockBlocks(lock: SimLock | undefined, op: AuthOp): boolean {
  return !!lock && AUTH_RANK[op] >= lock.level;
}
const AUTH_OBJ = { vm: 'VM', host: 'HOST', datastore: 'DATASTORE', user: 'USER', document: 'DOCUMENT', hook: 'HOOK', acl: 'ACL' } as const;
export function notAuthorized(user: SimUser, op: AuthOp, kind: keyof typeof AUTH_OBJ, id: number): OneError {
  return new OneError(ErrorCode.AUTHORIZATION, `User [${user.id}] : Not authorized to perform ${op} ${AUTH_OBJ[kind]}${id >= 0 ? ` [${id}]` : ''}.`, id);
}

export const VM_ACTIONS = new Set([
  'terminate', 'terminate-hard', 'undeploy', 'undeploy-hard', 'poweroff', 'poweroff-hard', 'reboot', 'reboot-hard',
  'hold', 'release', 'stop', 'suspend', 'resume', 'resched', 'unresched',
]);

const HOLDS_CAPACITY = (s: number) => s === VM.ACTIVE || s === VM.SUSPENDED || s === VM.POWEROFF;
const NOT_SHARED_TM = new Set(['ssh', 'local']);

export interface HostView {
  id: number;
  name: string;
  state: number;
  stateName: string;
  /** The host does not answer (failHost), whatever its state says. */
  failed: boolean;
  clusterId: number;
  cluster: string;
  vms: number[];
  cpuUsage: number;
  memUsage: number;
  totalCpu: number;
  totalMem: number;
  template: Record<string, string>;
}

export interface VmView {
  id: number;
  name: string;
  uid: number;
  state: number;
  lcmState: number;
  stateName: string;
  resched: number;
  hostId: number;
  hostname: string;
  dsId: number;
  heldOn: number;
  history: Array<{ seq: number; hid: number; hostname: string; dsId: number; action: number; stime: number; etime: number }>;
}

export function vmStateName(state: number, lcm: number): string {
  return state === VM.ACTIVE ? (LCM_STATES[lcm] ?? String(lcm)) : (VM_STATES[state] ?? String(state));
}

/** oned's pools list objects newest first (descending ID: its default API_LIST_ORDER). */
const descending = (a: number, b: number) => b - a;

export class Cloud {
  readonly hosts = new Map<number, SimHost>();
  readonly vms = new Map<number, SimVm>();
  readonly datastores = new Map<number, SimDatastore>();
  readonly users = new Map<number, SimUser>();
  readonly documents = new Map<number, SimDocument>();
  readonly hooks = new Map<number, SimHook>();
  /** ACL rules by id: oned's bootstrap rules, then the scenario's. */
  readonly acls = new Map<number, AclRule>();
  /** Finished hook executions, in the order they were started. */
  readonly hookRuns: HookRun[] = [];
  /** Host and VM state transitions (bounded). */
  readonly events: SimEvent[] = [];
  readonly raft: { state: number; serverId: number; term: number };
  readonly version: string;
  readonly monitoringIntervalHost?: number;
  readonly options: ParsedScenario['options'];
  /** one.zonepool.info's ENDPOINT: the simulator's own URL (set by server.ts once listening). */
  zoneEndpoint = 'http://127.0.0.1:2633/RPC2';

  private idsDesc?: number[];
  private readonly schedulable = new Set<number>();
  private readonly timers = new Set<SimTimer>();
  private readonly hostTimers = new Map<number, { fail?: SimTimer; restore?: SimTimer }>();
  private readonly monitorFailed = new Set<number>();
  private readonly runningHooks = new Set<number>();
  private readonly pendingHooks = new Set<Promise<void>>();
  private schedTimer?: SimTimer;
  private nextDocId = 0;
  private eventSeq = 0;
  private hookSeq = 0;
  private reqSeq = 1000;
  private closed = false;

  constructor(s: ParsedScenario, readonly clock: SimClock = realSimClock) {
    this.options = s.options;
    this.version = s.config.version;
    this.clockOffsetMs = s.config.clockOffsetSeconds * 1000;
    this.monitoringIntervalHost = s.config.monitoringIntervalHost;
    for (const text of [...ONED_DEFAULT_ACLS, ...s.acls]) this.acls.set(this.acls.size, { id: this.acls.size, ...parseAclString(text) });
    this.raft = { state: s.raft.state, serverId: s.raft.serverId ?? (s.raft.state === 0 ? -1 : 0), term: s.raft.term };
    const now = this.nowSec();
    const dup = (what: string, ids: number[]) => {
      const seen = new Set<number>();
      for (const id of ids) {
        if (seen.has(id)) throw new Error(`scenario: duplicate ${what} id ${id}`);
        seen.add(id);
      }
    };
    dup('user', s.users.map((u) => u.id));
    dup('host', s.hosts.map((h) => h.id));
    dup('datastore', s.datastores.map((d) => d.id));
    dup('document', s.documents.map((d) => d.id));

    const usersByName = new Map<string, SimUser>();
    for (const u of s.users) {
      const user: SimUser = {
        id: u.id, name: u.name, password: u.password, gid: u.gid,
        gname: u.gname ?? groupName(u.gid),
        groups: [...new Set([u.gid, ...(u.groups ?? [])])].sort((a, b) => a - b),
        enabled: u.enabled, authDriver: u.authDriver, tokens: [], fireedge: u.fireedge,
      };
      if (usersByName.has(u.name)) throw new Error(`scenario: duplicate user name ${u.name}`);
      this.users.set(u.id, user);
      usersByName.set(u.name, user);
    }
    for (const d of s.datastores) {
      const type = typeof d.type === 'number' ? d.type : ['IMAGE', 'SYSTEM', 'FILE', 'BACKUP'].indexOf(d.type);
      this.datastores.set(d.id, {
        id: d.id, name: d.name, type, tmMad: d.tmMad, dsMad: d.dsMad ?? (type === 1 ? '-' : 'fs'),
        shared: type === 1 ? (d.shared ?? (NOT_SHARED_TM.has(d.tmMad) ? 'NO' : 'YES')) : undefined,
        totalMb: d.totalMb, freeMb: Math.min(d.freeMb, d.totalMb), images: d.images,
      });
    }
    for (const h of s.hosts) {
      const state = hostSpecState(h);
      const tmpl = Template.fromRecord({
        ARCH: 'x86_64', CPUSPEED: '2400', HOSTNAME: h.name, HYPERVISOR: h.vmMad, IM_MAD: h.imMad,
        RESERVED_CPU: '', RESERVED_MEM: '', VERSION: this.version, VM_MAD: h.vmMad, ...h.template,
      });
      const host = new SimHost({ id: h.id, name: h.name, state, clusterId: h.clusterId, cluster: h.cluster, imMad: h.imMad, vmMad: h.vmMad, totalCpu: h.cpu, totalMem: h.memory, template: tmpl, now });
      if (state === HOST.ERROR) {
        host.failed = true;
        this.monitorFailed.add(h.id);
        if (!tmpl.has('ERROR')) tmpl.set('ERROR', this.monitorErrorText(host));
      }
      this.hosts.set(h.id, host);
    }
    const defaultDs = this.defaultSystemDs();
    const images = ['debian-12', 'ubuntu-24.04', 'alpine-3.20', 'rocky-9'];
    for (const v of s.vms) {
      if (this.vms.has(v.id)) throw new Error(`scenario: duplicate VM id ${v.id}`);
      const owner = v.uname !== undefined ? usersByName.get(v.uname) : this.users.get(v.uid ?? 0);
      const [state, lcm] = vmSpecState(v);
      const img = v.image ?? images[v.id % images.length];
      const vm = new SimVm({
        id: v.id, name: v.name ?? `vm-${v.id}`,
        uid: v.uid ?? owner?.id ?? 0, gid: v.gid ?? owner?.gid ?? 0,
        uname: v.uname ?? owner?.name ?? 'oneadmin', gname: v.gname ?? owner?.gname ?? groupName(v.gid ?? owner?.gid ?? 0),
        state, lcmState: lcm, stime: Math.max(0, now - 86400 * 30) + v.id, cpu: v.cpu, memory: v.memory,
        vcpu: v.vcpu ?? Math.max(1, Math.ceil(v.cpu)), image: img, imageId: 5 + images.indexOf(img) * 2,
        diskSize: 10240, userTemplate: Template.fromRecord(v.userTemplate),
      });
      vm.resched = v.resched;
      const n = v.history.length;
      v.history.forEach((hs, i) => {
        const host = this.hosts.get(hs.hostId);
        if (!host) throw new Error(`scenario: VM ${v.id} history names host ${hs.hostId}, which does not exist`);
        const dsId = hs.dsId ?? defaultDs;
        const ds = this.datastores.get(dsId);
        if (!ds) throw new Error(`scenario: VM ${v.id} history names datastore ${dsId}, which does not exist`);
        const start = vm.stime + i * 3600;
        const last = i === n - 1;
        const closed = !last || state === VM.DONE || state === VM.STOPPED || state === VM.UNDEPLOYED;
        const end = closed ? (last ? Math.max(start + 1, now - 60) : start + 3600) : 0;
        vm.history.push({
          seq: i, hostname: host.name, hid: host.id, cid: host.clusterId, dsId, vmMad: host.vmMad, tmMad: ds.tmMad,
          stime: start, etime: end, pstime: start, petime: start + 8, rstime: start + 8, retime: end, estime: 0, eetime: 0,
          action: hs.action ?? (!last ? HISTORY_ACTION.migrate : defaultLastAction(state)),
          uid: -1, gid: -1, reqId: -1,
        });
      });
      if (n) vm.deployId = `one-${v.id}`;
      if (state === VM.DONE) vm.etime = Math.max(vm.stime + 1, now - 60);
      if (HOLDS_CAPACITY(state)) {
        if (!n) throw new Error(`scenario: VM ${v.id} is ${vmStateName(state, lcm)} but has no history (which host is it on?)`);
        this.hold(vm, vm.current!.hid);
      }
      this.vms.set(v.id, vm);
      this.refreshSched(vm);
    }
    for (const d of s.documents) {
      const owner = this.users.get(d.uid);
      const tmpl = Template.fromRecord(d.template);
      if (d.body !== undefined) tmpl.set('BODY', d.body);
      this.documents.set(d.id, {
        id: d.id, uid: d.uid, gid: owner?.gid ?? 0, uname: owner?.name ?? 'oneadmin', gname: owner?.gname ?? 'oneadmin',
        name: d.name ?? `document-${d.id}`, type: d.type, template: tmpl,
      });
      this.nextDocId = Math.max(this.nextDocId, d.id + 1);
    }
    s.hooks.forEach((h, i) => {
      const id = h.id ?? i;
      if (this.hooks.has(id)) throw new Error(`scenario: duplicate hook id ${id}`);
      // The template as `onehook create` leaves it (oned adds REMOTE = NO).
      const template = Template.fromRecord({
        ARGUMENTS: h.arguments, ARGUMENTS_STDIN: h.argumentsStdin ? 'yes' : 'no', COMMAND: h.command, REMOTE: 'NO',
        ...(h.type === 'api' ? { CALL: h.call! } : { RESOURCE: h.resource, STATE: h.state! }),
        ...(h.timeoutSeconds !== undefined ? { TIMEOUT: String(h.timeoutSeconds) } : {}),
      });
      const name = h.name ?? (h.type === 'api' ? `api_hook_${id}` : `host_${h.state!.toLowerCase()}`);
      this.hooks.set(id, { id, name, type: h.type, template, cwd: h.cwd, env: h.env, nextExecutionId: 0 });
    });
  }

  // -------------------------------------------------------------------------
  // lifecycle

  /** Starts the scheduler. */
  start(): void {
    if (this.schedTimer || this.closed) return;
    const pass = () => {
      this.schedTimer = this.timeout(pass, this.options.schedulerIntervalMs);
      this.schedulerPass();
    };
    this.schedTimer = this.timeout(pass, this.options.schedulerIntervalMs);
  }

  /** Stops timers and kills running hook commands. */
  stop(): void {
    this.closed = true;
    this.schedTimer = undefined;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    for (const vm of this.vms.values()) {
      vm.timer = undefined;
      vm.steps = undefined;
    }
    killHooks(this.runningHooks);
  }

  /** Resolves when every hook command started so far has finished. */
  async hooksIdle(): Promise<void> {
    while (this.pendingHooks.size) await Promise.all([...this.pendingHooks]);
  }

  nowMs(): number {
    return this.clock.now();
  }

  /** oned's own clock (the scenario's clockOffsetSeconds off the simulator's; POST /sim/clock changes it). */
  clockOffsetMs: number;

  /**
   * The Date header of oned's replies: xmlrpc-c's Abyss server writes oned's
   * clock to the second, as "Fri, 27 Nov 2026 16:07:01 UTC" (seen on the real oned).
   */
  httpDate(): string {
    // Kept per second: formatting a Date for every reply was ~5 % of the simulator's CPU per call.
    const sec = Math.floor((this.nowMs() + this.clockOffsetMs) / 1000);
    if (sec !== this.dateSec) {
      this.dateSec = sec;
      this.dateText = new Date(sec * 1000).toUTCString().replace(/GMT$/, 'UTC');
    }
    return this.dateText;
  }
  private dateSec = NaN;
  private dateText = '';
  nowSec(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  /** A timer on the simulator's clock (real unless the clock brings its own). */
  timeout(fn: () => void, ms: number): SimTimer {
    const set = this.clock.setTimer?.bind(this.clock) ?? realSimClock.setTimer;
    const t: SimTimer = set(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private cancel(t: SimTimer | undefined): void {
    if (!t) return;
    t.cancel();
    this.timers.delete(t);
  }

  private event(kind: SimEvent['kind'], id: number, from: string, to: string): void {
    this.events.push({ seq: ++this.eventSeq, at: this.nowMs(), kind, id, from, to });
    if (this.events.length > 100_000) this.events.splice(0, 10_000);
  }

  // -------------------------------------------------------------------------
  // lookups and views

  host(id: number): SimHost | undefined {
    return this.hosts.get(id);
  }

  vm(id: number): SimVm | undefined {
    return this.vms.get(id);
  }

  mustHost(id: number): SimHost {
    const h = this.hosts.get(id);
    if (!h) throw notFound('host', id);
    return h;
  }

  mustVm(id: number): SimVm {
    const v = this.vms.get(id);
    if (!v) throw notFound('vm', id);
    return v;
  }

  /** VM ids, in pool order. */
  vmIdsDesc(): number[] {
    if (!this.idsDesc) this.idsDesc = [...this.vms.keys()].sort(descending);
    return this.idsDesc;
  }

  defaultSystemDs(): number {
    const sys = [...this.datastores.values()].filter((d) => d.type === 1).sort((a, b) => a.id - b.id);
    return (sys.find((d) => d.shared === 'YES') ?? sys[0])?.id ?? 0;
  }

  private localDatastores(): SimDatastore[] {
    return [...this.datastores.values()].filter((d) => d.type === 1 && d.shared === 'NO');
  }

  /** one.host.info XML (PREV_STATE = STATE, as oned serves it); with `caller`, only if they may USE the host. */
  hostXml(id: number, prevState?: number, caller?: SimUser): string {
    const host = this.mustHost(id);
    if (caller && !this.hostVisible(caller, host)) throw notAuthorized(caller, 'USE', 'host', id);
    return X.hostXml(host, { now: this.nowSec(), localDatastores: this.localDatastores(), prevState });
  }

  /**
   * Whether `u` may USE a host, as oned decides it: administrators always;
   * hosts belong to oneadmin (uid 0, gid 0, permissions um- --- ---), so for
   * anyone else only an ACL rule granting USE on HOST/#id, @0, %cluster or *.
   */
  hostVisible(u: SimUser, h: SimHost): boolean {
    return this.isAdmin(u) || aclGrants(this.acls.values(), { uid: u.id, groups: u.groups, type: 'HOST', oid: h.id, gid: 0, cid: h.clusterId, right: 'USE' });
  }

  /** one.hostpool.info: the hosts `caller` may USE (all of them for an administrator), as oned's pool filter lists them. */
  hostPoolXml(caller?: SimUser): string {
    const local = this.localDatastores();
    const now = this.nowSec();
    const ids = [...this.hosts.keys()].sort(descending).filter((id) => !caller || this.hostVisible(caller, this.hosts.get(id)!));
    return X.pool('HOST_POOL', ids.map((id) => X.hostXml(this.hosts.get(id)!, { now, localDatastores: local })));
  }

  /** one.acl.info */
  aclPoolXml(): string {
    return X.pool('ACL_POOL', [...this.acls.values()].map(aclXml));
  }

  /** one.acl.addrule: the new rule's id; oned refuses a duplicate or malformed rule. */
  aclAdd(user: string, resource: string, rights: string, zone: string): number {
    let rule: Omit<AclRule, 'id'>;
    try {
      rule = aclFromHex(user, resource, rights, zone);
    } catch (e) {
      throw new OneError(ErrorCode.INTERNAL, (e as Error).message);
    }
    for (const r of this.acls.values()) {
      if (r.user === rule.user && r.resource === rule.resource && r.rights === rule.rights && r.zone === rule.zone) throw new OneError(ErrorCode.INTERNAL, `Rule ${aclXml({ id: r.id, ...rule }).replace(/.*<STRING>|<\/STRING>.*/g, '')} already exists`);
    }
    const id = Math.max(-1, ...this.acls.keys()) + 1;
    this.acls.set(id, { id, ...rule });
    return id;
  }

  /** one.acl.delrule */
  aclDelete(id: number): number {
    if (!this.acls.delete(id)) throw new OneError(ErrorCode.INTERNAL, `Rule ${id} does not exist`, id);
    return id;
  }

  /** What a VM's full body needs from the rest of the cloud; a pool reply builds the shared part once. */
  private vmContext(vm: SimVm, shared: Omit<X.VmContext, 'clusterId'> = this.vmContextShared()): X.VmContext {
    return { ...shared, clusterId: this.hosts.get(vm.hostId)?.clusterId ?? 0 };
  }

  private vmContextShared(): Omit<X.VmContext, 'clusterId'> {
    return {
      tmMad: (dsId: number) => this.datastores.get(dsId)?.tmMad ?? 'shared',
      defaultDsId: this.defaultSystemDs(),
      now: this.nowSec(),
    };
  }

  /** one.vm.info XML: full body, every history record. */
  vmXml(id: number): string {
    const vm = this.mustVm(id);
    return X.vmFullXml(vm, this.vmContext(vm));
  }

  /** A VM_POOL of short bodies (or of full bodies with only the last history record when extended). */
  vmPoolXml(vms: SimVm[], extended = false): string {
    if (!vms.length) return '<VM_POOL></VM_POOL>';
    if (extended) return X.pool('VM_POOL', this.vmFullBodies(vms, X.vmFullXml));
    const parts = new Array<string>(vms.length);
    for (let i = 0; i < vms.length; i++) parts[i] = X.vmShortXml(vms[i]);
    return `<VM_POOL>${parts.join('')}</VM_POOL>`;
  }

  /** one.vmpool.infoextended's bodies (the last history record only), as XML or escaped for the XML-RPC reply. */
  private vmFullBodies(vms: SimVm[], body: typeof X.vmFullXml): string[] {
    const shared = this.vmContextShared();
    const parts = new Array<string>(vms.length);
    for (let i = 0; i < vms.length; i++) parts[i] = body(vms[i], this.vmContext(vms[i], shared), true);
    return parts;
  }

  /** vmPoolXml, pre-escaped for the XML-RPC reply (short bodies come from the per-VM cache, full ones are written escaped). */
  vmPoolRpc(vms: SimVm[], extended = false): RpcEscaped {
    if (!vms.length) return new RpcEscaped('&lt;VM_POOL&gt;&lt;/VM_POOL&gt;');
    // Escaped as they are written: escaping the joined body instead took 27 s at 50,000 VMs (four passes over a 180 MB string).
    if (extended) return new RpcEscaped(`&lt;VM_POOL&gt;${this.vmFullBodies(vms, X.vmFullEsc).join('')}&lt;/VM_POOL&gt;`);
    const parts = new Array<string>(vms.length);
    for (let i = 0; i < vms.length; i++) parts[i] = X.vmShortEsc(vms[i]);
    return new RpcEscaped(`&lt;VM_POOL&gt;${parts.join('')}&lt;/VM_POOL&gt;`);
  }

  datastorePoolXml(): string {
    const ids = [...this.datastores.keys()].sort(descending);
    return X.pool('DATASTORE_POOL', ids.map((id) => X.datastoreXml(this.datastores.get(id)!)));
  }

  datastoreXml(id: number): string {
    const d = this.datastores.get(id);
    if (!d) throw notFound('datastore', id);
    return X.datastoreXml(d);
  }

  hostView(h: SimHost): HostView {
    return {
      id: h.id, name: h.name, state: h.state, stateName: HOST_STATES[h.state] ?? String(h.state), failed: h.failed,
      clusterId: h.clusterId, cluster: h.cluster, vms: h.vms, cpuUsage: h.cpuUsage, memUsage: h.memUsage,
      totalCpu: h.totalCpu, totalMem: h.totalMem, template: h.template.toRecord(),
    };
  }

  vmView(v: SimVm): VmView {
    const cur = v.current;
    return {
      id: v.id, name: v.name, uid: v.uid, state: v.state, lcmState: v.lcmState, stateName: vmStateName(v.state, v.lcmState),
      resched: v.resched, hostId: cur?.hid ?? -1, hostname: cur?.hostname ?? '', dsId: cur?.dsId ?? -1, heldOn: v.heldOn,
      history: v.history.map((h) => ({ seq: h.seq, hid: h.hid, hostname: h.hostname, dsId: h.dsId, action: h.action, stime: h.stime, etime: h.etime })),
    };
  }

  /** Summary for GET /sim/state. */
  summary(): { hosts: HostView[]; vms: VmView[]; raft: Cloud['raft'] } {
    const hosts = [...this.hosts.values()].sort((a, b) => a.id - b.id).map((h) => this.hostView(h));
    const vms = [...this.vmIdsDesc()].reverse().map((id) => this.vmView(this.vms.get(id)!));
    return { hosts, vms, raft: { ...this.raft } };
  }

  // -------------------------------------------------------------------------
  // users

  authenticate(session: string): SimUser | undefined {
    const server = serverCipherUser(this, session);
    if (server !== undefined) return server ?? undefined;
    const i = session.indexOf(':');
    if (i <= 0) return undefined;
    const name = session.slice(0, i);
    const secret = session.slice(i + 1);
    for (const u of this.users.values()) {
      if (u.name !== name) continue;
      if (!u.enabled) return undefined;
      if (secret === u.password) return u;
      const now = this.nowSec();
      if (u.tokens.some((t) => t.token === secret && (t.expires === -1 || t.expires > now))) return u;
      return undefined;
    }
    return undefined;
  }

  isAdmin(u: SimUser): boolean {
    return u.id === 0 || u.groups.includes(0);
  }

  userByName(name: string): SimUser | undefined {
    for (const u of this.users.values()) if (u.name === name) return u;
    return undefined;
  }

  userXml(id: number): string {
    const u = this.users.get(id);
    if (!u) throw notFound('user', id);
    return X.userXml(u, this.nowSec());
  }

  login(caller: SimUser, username: string, token: string, valid: number, egid: number): string {
    const u = this.userByName(username);
    if (!u) throw new OneError(ErrorCode.NO_EXISTS, `Error getting user [${username}].`);
    if (u !== caller && !this.isAdmin(caller)) throw notAuthorized(caller, 'MANAGE', 'user', u.id);
    const now = this.nowSec();
    u.tokens = u.tokens.filter((t) => t.expires === -1 || t.expires > now);
    if (valid === 0) {
      u.tokens = token ? u.tokens.filter((t) => t.token !== token) : [];
      return token;
    }
    if (valid < -1) throw new OneError(ErrorCode.ACTION, 'Wrong valid time for the token');
    const tok = token || randomBytes(32).toString('hex');
    u.tokens = u.tokens.filter((t) => t.token !== tok);
    u.tokens.push({ token: tok, expires: valid === -1 ? -1 : now + valid, egid });
    return tok;
  }

  // -------------------------------------------------------------------------
  // capacity and state helpers

  private hold(vm: SimVm, hostId: number): void {
    if (vm.heldOn === hostId) return;
    this.release(vm);
    const h = this.hosts.get(hostId);
    if (!h) return;
    h.vmSet.add(vm.id);
    h.cpuUsage += Math.round(vm.cpu * 100);
    h.memUsage += vm.memory * 1024;
    vm.heldOn = hostId;
  }

  private release(vm: SimVm): void {
    if (vm.heldOn < 0) return;
    const h = this.hosts.get(vm.heldOn);
    if (h && h.vmSet.delete(vm.id)) {
      h.cpuUsage = Math.max(0, h.cpuUsage - Math.round(vm.cpu * 100));
      h.memUsage = Math.max(0, h.memUsage - vm.memory * 1024);
    }
    vm.heldOn = -1;
  }

  private setVmState(vm: SimVm, state: number, lcm: number): void {
    if (vm.state === state && vm.lcmState === lcm) return;
    const from = vmStateName(vm.state, vm.lcmState);
    vm.state = state;
    vm.lcmState = lcm;
    vm.lastPoll = this.nowSec();
    vm.touch();
    this.event('vm-state', vm.id, from, vmStateName(state, lcm));
    this.refreshSched(vm);
  }

  private setResched(vm: SimVm, r: 0 | 1): void {
    if (vm.resched === r) return;
    vm.resched = r;
    vm.touch();
    this.refreshSched(vm);
  }

  private refreshSched(vm: SimVm): void {
    // A VM whose transition is under way (e.g. resched dispatched, still UNKNOWN) is not placed again.
    const eligible = !vm.steps && (vm.state === VM.PENDING ||
      (vm.resched === 1 && ((vm.state === VM.ACTIVE && (vm.lcmState === LCM.RUNNING || vm.lcmState === LCM.UNKNOWN)) || vm.state === VM.POWEROFF)));
    if (eligible) this.schedulable.add(vm.id);
    else this.schedulable.delete(vm.id);
  }

  /** Stamps the action on the open history record, like oned does for every VM action. */
  private recordAction(vm: SimVm, action: number, caller?: SimUser): void {
    const cur = vm.current;
    if (!cur || cur.etime !== 0) return;
    cur.action = action;
    if (caller) {
      cur.uid = caller.id;
      cur.gid = caller.gid;
    }
    cur.reqId = ++this.reqSeq;
    vm.touch();
  }

  private closeHistory(vm: SimVm, action?: number): void {
    const cur = vm.current;
    if (!cur || cur.etime !== 0) return;
    const now = this.nowSec();
    cur.etime = now;
    if (cur.rstime && !cur.retime) cur.retime = now;
    if (action !== undefined) cur.action = action;
    vm.touch();
  }

  private openHistory(vm: SimVm, host: SimHost, dsId: number): void {
    const now = this.nowSec();
    const ds = this.datastores.get(dsId);
    vm.history.push({
      seq: (vm.current?.seq ?? -1) + 1, hostname: host.name, hid: host.id, cid: host.clusterId, dsId,
      vmMad: host.vmMad, tmMad: ds?.tmMad ?? 'shared', stime: now, etime: 0, pstime: now, petime: 0, rstime: 0,
      retime: 0, estime: 0, eetime: 0, action: 0, uid: -1, gid: -1, reqId: -1,
    });
    vm.deployId = `one-${vm.id}`;
    vm.touch();
  }

  private markRunningStarted(vm: SimVm): void {
    const cur = vm.current;
    if (!cur || cur.etime !== 0) return;
    const now = this.nowSec();
    if (!cur.petime && cur.pstime) cur.petime = now;
    if (!cur.rstime) cur.rstime = now;
    vm.touch();
  }

  /** Transient states spread by bootDelayMs: each step runs after the delay (all at once when 0). */
  private chain(vm: SimVm, steps: Array<() => void>): void {
    this.cancelChain(vm);
    const d = this.options.bootDelayMs;
    if (d <= 0 || this.closed) {
      for (const s of steps) s();
      return;
    }
    vm.steps = steps.slice();
    const tick = () => {
      vm.timer = undefined;
      const s = vm.steps?.shift();
      if (vm.steps && vm.steps.length === 0) vm.steps = undefined;
      s?.();
      if (vm.steps?.length && !vm.timer) vm.timer = this.timeout(tick, d);
    };
    vm.timer = this.timeout(tick, d);
  }

  private cancelChain(vm: SimVm): void {
    this.cancel(vm.timer);
    vm.timer = undefined;
    vm.steps = undefined;
  }

  /** Completes a pending transition at once (recover success). */
  private flushChain(vm: SimVm): boolean {
    const steps = vm.steps;
    this.cancelChain(vm);
    if (!steps?.length) return false;
    for (const s of steps) s();
    return true;
  }

  /**
   * The last step of an operation the hypervisor must carry out (shutdown,
   * save...): on a host that does not answer the driver fails and the VM goes
   * back to where it was (UNKNOWN once the failure was detected).
   */
  private driverStep(vm: SimVm, back: [number, number], done: () => void): () => void {
    return () => {
      if (!this.hostDead(vm.heldOn)) return done();
      const detected = this.monitorFailed.has(vm.heldOn);
      const [s, l] = back[0] === VM.ACTIVE && detected ? [VM.ACTIVE, LCM.UNKNOWN] : back;
      this.setVmState(vm, s, l);
    };
  }

  /**
   * Boots that will fail (the hypervisor refuses: a bad image, a broken host):
   * a VM booting on a listed host, or a listed VM, ends in BOOT_FAILURE.
   */
  private readonly bootFailures: Array<{ vmId?: number; hostId?: number; remaining: number }> = [];

  failBoots(spec: { vmId?: number; hostId?: number; times?: number }): void {
    this.bootFailures.push({ vmId: spec.vmId, hostId: spec.hostId, remaining: spec.times ?? Infinity });
  }

  private takeBootFailure(vm: SimVm): boolean {
    const i = this.bootFailures.findIndex((f) => f.remaining > 0 && (f.vmId === undefined || f.vmId === vm.id) &&
      (f.hostId === undefined || f.hostId === vm.heldOn));
    if (i < 0) return false;
    if (--this.bootFailures[i].remaining <= 0) this.bootFailures.splice(i, 1);
    return true;
  }

  /** The VM reached RUNNING on its host, unless that host is dead or the boot was made to fail. */
  private toRunning(vm: SimVm): void {
    const h = this.hosts.get(vm.heldOn);
    if (h && !h.failed && this.takeBootFailure(vm)) {
      this.setVmState(vm, VM.ACTIVE, LCM.BOOT_FAILURE);
      return;
    }
    this.markRunningStarted(vm);
    if (h && h.failed && this.monitorFailed.has(h.id)) this.setVmState(vm, VM.ACTIVE, LCM.UNKNOWN);
    else this.setVmState(vm, VM.ACTIVE, LCM.RUNNING);
  }

  private toDone(vm: SimVm): void {
    this.cancelChain(vm);
    const cur = vm.current;
    if (cur && cur.etime === 0) {
      const now = this.nowSec();
      cur.etime = now;
      if (cur.rstime && !cur.retime) cur.retime = now;
      cur.estime ||= now;
      cur.eetime ||= now;
    }
    this.release(vm);
    vm.resched = 0;
    vm.etime = this.nowSec();
    this.setVmState(vm, VM.DONE, LCM.LCM_INIT);
  }

  private hostDead(id: number): boolean {
    const h = this.hosts.get(id);
    return !!h && h.failed;
  }

  // -------------------------------------------------------------------------
  // hosts: monitoring, failures, hooks

  private monitorErrorText(host: SimHost): string {
    return `${ctime(this.nowMs())} : Error monitoring Host ${host.name} (${host.id}): ssh: connect to host ${host.name} port 22: No route to host`;
  }

  private setHostState(host: SimHost, next: number): void {
    if (host.state === next) return;
    const prev = host.state;
    host.prevState = prev;
    host.state = next;
    this.event('host-state', host.id, HOST_STATES[prev] ?? String(prev), HOST_STATES[next] ?? String(next));
    this.fireHooks(host, prev, next);
  }

  private hostTimer(id: number) {
    let t = this.hostTimers.get(id);
    if (!t) this.hostTimers.set(id, (t = {}));
    return t;
  }

  /**
   * The host stops answering. After monitorDelayMs: STATE 3 ERROR (DISABLED
   * stays 4, OFFLINE is ignored), TEMPLATE/ERROR set, its RUNNING VMs go
   * ACTIVE/UNKNOWN with RESCHED=0, one state event (hooks) per transition.
   */
  failHost(id: number, opts: { restoreAfterMs?: number } = {}): void {
    const host = this.mustHost(id);
    const t = this.hostTimer(id);
    host.failed = true;
    if (opts.restoreAfterMs !== undefined) this.scheduleRestore(id, opts.restoreAfterMs);
    if (this.monitorFailed.has(id)) return;
    this.cancel(t.fail);
    t.fail = undefined;
    if (this.options.monitorDelayMs > 0) t.fail = this.timeout(() => this.monitorFailure(host), this.options.monitorDelayMs);
    else this.monitorFailure(host);
  }

  /**
   * A flapping host (OpenNebula 7's monitord): its beacon fails while its
   * system probe still answers, so it goes ERROR, back to MONITORED when the
   * probe arrives, and ERROR again at the next missed beacon; each ERROR is a
   * new failure (a new TEMPLATE/ERROR time) and fires the ERROR hooks again.
   * `times` ERRORs, `downMs` in ERROR and `upMs` in MONITORED between them;
   * after the last it stays failed. A host an operator (or oneha) disabled
   * meanwhile stays DISABLED, as in oned.
   */
  flapHost(id: number, opts: { times: number; downMs: number; upMs: number }): void {
    this.mustHost(id);
    let left = opts.times;
    const down = () => {
      this.failHost(id);
      if (--left > 0) this.timeout(up, opts.downMs);
    };
    const up = () => {
      this.restoreHost(id);
      this.timeout(down, opts.upMs);
    };
    down();
  }

  /** failHost after a delay. */
  scheduleFail(id: number, afterMs: number, restoreAfterMs?: number): void {
    this.mustHost(id);
    this.timeout(() => this.failHost(id, { restoreAfterMs }), afterMs);
  }

  scheduleRestore(id: number, afterMs: number): void {
    this.mustHost(id);
    const t = this.hostTimer(id);
    this.cancel(t.restore);
    t.restore = this.timeout(() => {
      t.restore = undefined;
      this.restoreHost(id);
    }, afterMs);
  }

  private monitorFailure(host: SimHost): void {
    const t = this.hostTimer(host.id);
    t.fail = undefined;
    if (!host.failed || host.state === HOST.OFFLINE) return;
    this.monitorFailed.add(host.id);
    host.template.set('ERROR', this.monitorErrorText(host));
    for (const vmId of host.vms) {
      const vm = this.vms.get(vmId);
      if (!vm || vm.state !== VM.ACTIVE || vm.lcmState !== LCM.RUNNING) continue;
      vm.resched = 0;
      this.setVmState(vm, VM.ACTIVE, LCM.UNKNOWN);
    }
    if (host.state !== HOST.DISABLED) this.setHostState(host, HOST.ERROR);
  }

  /** The host answers again: ERROR/INIT -> MONITORED, TEMPLATE/ERROR removed; its VMs stay UNKNOWN. */
  restoreHost(id: number): void {
    const host = this.mustHost(id);
    const t = this.hostTimer(id);
    this.cancel(t.fail);
    t.fail = undefined;
    host.failed = false;
    host.lastMonitored = this.nowSec();
    this.monitorFailed.delete(id);
    host.template.remove('ERROR');
    if (host.state === HOST.ERROR || host.state === HOST.INIT) this.setHostState(host, HOST.MONITORED);
  }

  /** one.host.status: 0 enable, 1 disable, 2 offline. */
  hostStatus(id: number, status: number): void {
    const host = this.mustHost(id);
    if (status === 0) {
      if (host.state === HOST.MONITORED) return;
      if (!host.failed) {
        if (host.state !== HOST.DISABLED) this.setHostState(host, HOST.INIT);
        host.lastMonitored = this.nowSec();
        this.setHostState(host, HOST.MONITORED);
        return;
      }
      // enabled again but still dead: INIT, then the next monitoring fails
      this.monitorFailed.delete(id);
      this.setHostState(host, HOST.INIT);
      this.failHost(id);
    } else if (status === 1) {
      this.setHostState(host, HOST.DISABLED);
    } else if (status === 2) {
      this.setHostState(host, HOST.OFFLINE);
    } else {
      throw new OneError(ErrorCode.INTERNAL, 'Wrong status code', id);
    }
  }

  /** one.host.update: 0 replace, 1 merge. */
  hostUpdate(id: number, text: string, type: number): void {
    const host = this.mustHost(id);
    if (type !== 0 && type !== 1) throw new OneError(ErrorCode.RPC_API, 'Wrong update type', id);
    host.template.update(parseOrThrow(text, id), type === 1);
  }

  private fireHooks(host: SimHost, prev: number, next: number): void {
    const name = HOST_STATES[next];
    for (const hook of this.hooks.values()) {
      if (hook.type !== 'state' || hook.template.get('RESOURCE') !== 'HOST' || hook.template.get('STATE') !== name) continue;
      const xml = this.hostXml(host.id, prev);
      this.runHook(hook, { template: Buffer.from(xml, 'utf8').toString('base64') }, { hostId: host.id, state: name });
    }
  }

  /**
   * oned's API event after an authenticated call, applied or refused (HookAPI;
   * a call that fails authentication sends none): each api hook whose CALL is
   * the method runs with `$API` = the call's CALL_INFO. `params` without the
   * session; `reply` the reply array as sent.
   */
  apiEvent(method: string, params: unknown[], reply: { ok: true; value: unknown } | { ok: false; message: string; code: number; objectId: number }): void {
    const hooks = [...this.hooks.values()].filter((h) => h.type === 'api' && h.template.get('CALL') === method);
    if (!hooks.length) return;
    const value = (v: unknown) => (v instanceof RpcEscaped ? v.escaped : typeof v === 'boolean' ? (v ? '1' : '0') : esc(String(v)));
    const out = reply.ok ? ['true', value(reply.value), '0'] : ['false', esc(`[${method}] ${reply.message}`), String(reply.code), String(reply.objectId)];
    const api = Buffer.from(X.callInfoXml(reply.ok, ['****', ...params.map(value)], out), 'utf8').toString('base64');
    for (const hook of hooks) this.runHook(hook, { template: '', api }, { call: method });
  }

  /** Runs a hook's command as its template says now, and records the execution (HOOKLOG) in start order. */
  private runHook(hook: SimHook, vars: { template: string; api?: string }, about: Pick<HookRun, 'hostId' | 'state' | 'call'>): void {
    const t = hook.template;
    const executionId = hook.nextExecutionId++;
    const seq = ++this.hookSeq;
    const at = this.nowMs();
    const timeout = Number(t.get('TIMEOUT'));
    const p = runHookCommand({
      command: t.get('COMMAND') ?? '', arguments: t.get('ARGUMENTS') ?? '',
      // HOOKS.md §2: only the literal "yes" (any case) puts the arguments on stdin.
      argumentsStdin: /^yes$/i.test(t.get('ARGUMENTS_STDIN') ?? ''),
      ...vars, timeoutSeconds: Number.isFinite(timeout) && timeout > 0 ? timeout : undefined, cwd: hook.cwd, env: hook.env,
    }, this.runningHooks).then((r) => {
      let i = this.hookRuns.length;
      while (i > 0 && this.hookRuns[i - 1].seq > seq) i--;
      this.hookRuns.splice(i, 0, {
        seq, hookId: hook.id, hookName: hook.name, executionId, timestamp: Math.floor(at / 1000), at, ...about,
        arguments: r.arguments, argv: r.argv, stdin: r.stdin, command: r.command, stdout: r.stdout, stderr: r.stderr,
        code: r.code, timedOut: r.timedOut, durationMs: r.durationMs,
      });
    });
    const tracked: Promise<void> = p.finally(() => this.pendingHooks.delete(tracked));
    this.pendingHooks.add(tracked);
  }

  /** one.hook.update: 0 replace, 1 merge; the result must still be a hook oned can run. */
  hookUpdate(id: number, text: string, type: number): void {
    const hook = this.mustHook(id);
    // oned answers these three with object id -1.
    if (type !== 0 && type !== 1) throw new OneError(ErrorCode.RPC_API, 'Wrong update type', -1);
    const attrs = parseOrThrow(text, -1);
    const next = new Template(hook.template.attrs.map(([k, v]) => [k, typeof v === 'string' ? v : [...v]]));
    next.update(attrs, type === 1);
    if (!next.get('COMMAND')) throw new OneError(ErrorCode.INTERNAL, 'Cannot update template. The COMMAND attribute is not defined.', -1);
    const call = next.get('CALL');
    if (hook.type === 'api' && (!call || call.includes('.info'))) {
      throw new OneError(ErrorCode.INTERNAL, 'Cannot update template. The CALL attribute is not defined or it\'s invalid.', -1);
    }
    hook.template = next;
  }

  hookLog(hookId: number): HookRun[] {
    const all = this.hookRuns.filter((r) => r.hookId === hookId).sort((a, b) => a.executionId - b.executionId);
    return all.slice(-this.options.hookLogRetention);
  }

  mustHook(id: number): SimHook {
    const h = this.hooks.get(id);
    if (!h) throw notFound('hook', id);
    return h;
  }

  hookXml(id: number, withLog: boolean): string {
    return X.hookXml(this.mustHook(id), withLog ? this.hookLog(id) : undefined);
  }

  hookPoolXml(): string {
    const ids = [...this.hooks.keys()].sort(descending);
    return X.pool('HOOK_POOL', ids.map((id) => X.hookXml(this.hooks.get(id)!)));
  }

  // -------------------------------------------------------------------------
  // VM operations

  /** Whether `user` may perform `op` on the VM (owner: USE/MANAGE; oneadmin group: all). */
  vmAllowed(user: SimUser, vm: SimVm, op: AuthOp): boolean {
    return this.isAdmin(user) || (op !== 'ADMIN' && vm.uid === user.id);
  }

  private notAvailable(name: string, vm: SimVm): OneError {
    return new OneError(ErrorCode.ACTION, `Error performing action "${name}": This action is not available for state ${vmStateName(vm.state, vm.lcmState)}`, vm.id);
  }

  /** one.vm.lock(id, level, test): 1 USE, 2 MANAGE, 3 ADMIN, 4 ALL. */
  vmLock(id: number, level: number, test: boolean, caller: SimUser): void {
    const vm = this.mustVm(id);
    if (!this.vmAllowed(caller, vm, 'MANAGE')) throw notAuthorized(caller, 'MANAGE', 'vm', id);
    vm.lock = this.newLock(vm.lock, id, level, test, caller);
    vm.touch();
  }

  vmUnlock(id: number, caller: SimUser): void {
    const vm = this.mustVm(id);
    if (!this.vmAllowed(caller, vm, 'MANAGE')) throw notAuthorized(caller, 'MANAGE', 'vm', id);
    this.checkUnlock(vm.lock, id, caller);
    vm.lock = undefined;
    vm.touch();
  }

  /** A locked VM refuses the operations its lock level covers, oneadmin's included. */
  private checkVmLock(vm: SimVm, op: AuthOp): void {
    if (lockBlocks(vm.lock, op)) throw new OneError(ErrorCode.LOCKED, 'VM is locked', vm.id);
  }

  /** one.vm.action (the name is checked before the VM is looked up, as oned does). */
  vmAction(name: string, id: number, caller: SimUser): void {
    if (!VM_ACTIONS.has(name)) throw new OneError(ErrorCode.ACTION, `Action "${name}" is not supported`, id);
    const vm = this.mustVm(id);
    const op: AuthOp = name === 'resched' || name === 'unresched' ? 'ADMIN' : 'MANAGE';
    if (!this.vmAllowed(caller, vm, op)) throw notAuthorized(caller, op, 'vm', id);
    this.checkVmLock(vm, op);
    const s = vm.state;
    const l = vm.lcmState;
    const runningOrUnknown = s === VM.ACTIVE && (l === LCM.RUNNING || l === LCM.UNKNOWN);
    const running = s === VM.ACTIVE && l === LCM.RUNNING;
    const act = HISTORY_ACTION[name];
    switch (name) {
      case 'resched':
      case 'unresched': {
        if (!(runningOrUnknown || s === VM.POWEROFF)) throw this.notAvailable(name, vm);
        this.recordAction(vm, act, caller);
        this.setResched(vm, name === 'resched' ? 1 : 0);
        return;
      }
      case 'terminate':
      case 'terminate-hard': {
        if (runningOrUnknown || s === VM.POWEROFF || s === VM.SUSPENDED) {
          this.recordAction(vm, act, caller);
          this.setVmState(vm, VM.ACTIVE, s === VM.ACTIVE ? LCM.SHUTDOWN : LCM.EPILOG);
          this.chain(vm, s === VM.ACTIVE
            ? [this.driverStep(vm, [s, l], () => this.setVmState(vm, VM.ACTIVE, LCM.EPILOG)), () => { if (vm.lcmState === LCM.EPILOG) this.toDone(vm); }]
            : [() => this.toDone(vm)]);
          return;
        }
        if (s === VM.PENDING || s === VM.HOLD || s === VM.STOPPED || s === VM.UNDEPLOYED || s === VM.CLONING_FAILURE) {
          this.toDone(vm);
          return;
        }
        throw this.notAvailable(name, vm);
      }
      case 'poweroff':
      case 'poweroff-hard': {
        if (!runningOrUnknown) throw this.notAvailable(name, vm);
        this.recordAction(vm, act, caller);
        this.setResched(vm, 0);
        this.setVmState(vm, VM.ACTIVE, LCM.SHUTDOWN_POWEROFF);
        this.chain(vm, [this.driverStep(vm, [s, l], () => this.setVmState(vm, VM.POWEROFF, LCM.LCM_INIT))]);
        return;
      }
      case 'suspend': {
        if (!running) throw this.notAvailable(name, vm);
        this.recordAction(vm, act, caller);
        this.setResched(vm, 0);
        this.setVmState(vm, VM.ACTIVE, LCM.SAVE_SUSPEND);
        this.chain(vm, [this.driverStep(vm, [s, l], () => this.setVmState(vm, VM.SUSPENDED, LCM.LCM_INIT))]);
        return;
      }
      case 'stop': {
        if (!(running || s === VM.SUSPENDED)) throw this.notAvailable(name, vm);
        this.recordAction(vm, act, caller);
        this.setResched(vm, 0);
        this.setVmState(vm, VM.ACTIVE, LCM.SAVE_STOP);
        this.chain(vm, [this.driverStep(vm, [s, l], () => this.setVmState(vm, VM.ACTIVE, LCM.EPILOG_STOP)), () => {
          if (vm.lcmState !== LCM.EPILOG_STOP) return;
          this.closeHistory(vm);
          this.release(vm);
          this.setVmState(vm, VM.STOPPED, LCM.LCM_INIT);
        }]);
        return;
      }
      case 'undeploy':
      case 'undeploy-hard': {
        if (!(runningOrUnknown || s === VM.POWEROFF)) throw this.notAvailable(name, vm);
        this.recordAction(vm, act, caller);
        this.setResched(vm, 0);
        this.setVmState(vm, VM.ACTIVE, s === VM.POWEROFF ? LCM.EPILOG_UNDEPLOY : LCM.SHUTDOWN_UNDEPLOY);
        this.chain(vm, [...(s === VM.POWEROFF ? [] : [this.driverStep(vm, [s, l], () => this.setVmState(vm, VM.ACTIVE, LCM.EPILOG_UNDEPLOY))]), () => {
          if (vm.lcmState !== LCM.EPILOG_UNDEPLOY) return;
          this.closeHistory(vm);
          this.release(vm);
          this.setVmState(vm, VM.UNDEPLOYED, LCM.LCM_INIT);
        }]);
        return;
      }
      case 'resume': {
        if (s === VM.STOPPED || s === VM.UNDEPLOYED) {
          this.setVmState(vm, VM.PENDING, LCM.LCM_INIT);
          return;
        }
        const boot = s === VM.SUSPENDED ? LCM.BOOT_SUSPENDED : s === VM.POWEROFF ? LCM.BOOT_POWEROFF
          : s === VM.ACTIVE && l === LCM.UNKNOWN ? LCM.BOOT_UNKNOWN : -1;
        if (boot < 0) throw this.notAvailable(name, vm);
        const back: [number, number] = [s, l];
        this.recordAction(vm, act, caller);
        this.setVmState(vm, VM.ACTIVE, boot);
        this.chain(vm, [() => {
          // a dead host cannot boot anything: the driver fails and the VM goes back
          if (this.hostDead(vm.heldOn)) this.setVmState(vm, back[0], back[1]);
          else this.toRunning(vm);
        }]);
        return;
      }
      case 'reboot':
      case 'reboot-hard': {
        if (!(running || (name === 'reboot-hard' && runningOrUnknown))) throw this.notAvailable(name, vm);
        this.recordAction(vm, act, caller);
        return;
      }
      case 'hold': {
        if (s !== VM.PENDING) throw this.notAvailable(name, vm);
        this.setVmState(vm, VM.HOLD, LCM.LCM_INIT);
        return;
      }
      case 'release': {
        if (s !== VM.HOLD) throw this.notAvailable(name, vm);
        this.setVmState(vm, VM.PENDING, LCM.LCM_INIT);
        return;
      }
    }
  }

  /** one.vm.recover operations 0-5 (OpenNebula XML-RPC reference). */
  vmRecover(id: number, op: number, caller: SimUser): void {
    const vm = this.mustVm(id);
    if (!this.vmAllowed(caller, vm, 'ADMIN')) throw notAuthorized(caller, 'ADMIN', 'vm', id);
    this.checkVmLock(vm, 'ADMIN');
    const s = vm.state;
    const l = vm.lcmState;
    const notAvail = () => new OneError(ErrorCode.ACTION, `Could not perform a recover operation on VM ${id}, wrong state ${vmStateName(s, l)}.`, id);
    switch (op) {
      case 0:
      case 1:
      case 2: {
        if (s === VM.CLONING_FAILURE) {
          if (op !== 0) this.setVmState(vm, VM.PENDING, LCM.LCM_INIT);
          return;
        }
        if (s !== VM.ACTIVE) throw notAvail();
        this.recordAction(vm, op === 2 ? HISTORY_ACTION.retry : HISTORY_ACTION.recover, caller);
        if (op === 1) {
          if (this.flushChain(vm)) return;
          if (l === LCM.UNKNOWN || l === LCM.BOOT_FAILURE || l === LCM.PROLOG_FAILURE || l === LCM.PROLOG_MIGRATE_UNKNOWN_FAILURE) {
            this.markRunningStarted(vm);
            this.setVmState(vm, VM.ACTIVE, LCM.RUNNING);
          }
          return;
        }
        if (op === 0) {
          const steps = vm.steps;
          this.cancelChain(vm);
          if (!steps) return;
          const fail = l === LCM.PROLOG ? LCM.PROLOG_FAILURE : l === LCM.BOOT ? LCM.BOOT_FAILURE
            : l === LCM.PROLOG_MIGRATE_UNKNOWN ? LCM.PROLOG_MIGRATE_UNKNOWN_FAILURE : l;
          this.setVmState(vm, VM.ACTIVE, fail);
          return;
        }
        // retry
        if (l === LCM.PROLOG_FAILURE) this.deploySteps(vm, LCM.PROLOG);
        else if (l === LCM.BOOT_FAILURE) this.deploySteps(vm, LCM.BOOT);
        else if (l === LCM.PROLOG_MIGRATE_UNKNOWN_FAILURE) this.deploySteps(vm, LCM.PROLOG_MIGRATE_UNKNOWN);
        return;
      }
      case 3: {
        if (s === VM.DONE) return;
        this.cancelChain(vm);
        this.recordAction(vm, HISTORY_ACTION.delete, caller);
        if (vm.heldOn >= 0 && s === VM.ACTIVE) {
          this.setVmState(vm, VM.ACTIVE, LCM.CLEANUP_DELETE);
          this.chain(vm, [() => this.toDone(vm)]);
        } else if (vm.heldOn >= 0) {
          this.setVmState(vm, VM.ACTIVE, LCM.EPILOG);
          this.chain(vm, [() => this.toDone(vm)]);
        } else {
          this.toDone(vm);
        }
        return;
      }
      case 4: {
        if (s === VM.DONE) throw notAvail();
        this.cancelChain(vm);
        this.setResched(vm, 0);
        const toPending = () => {
          this.closeHistory(vm, HISTORY_ACTION['delete-recreate']);
          this.release(vm);
          this.setVmState(vm, VM.PENDING, LCM.LCM_INIT);
        };
        if (vm.heldOn >= 0) {
          this.recordAction(vm, HISTORY_ACTION['delete-recreate'], caller);
          this.setVmState(vm, VM.ACTIVE, LCM.CLEANUP_RESUBMIT);
          this.chain(vm, [toPending]);
        } else {
          toPending();
        }
        return;
      }
      case 5: {
        this.cancelChain(vm);
        this.toDone(vm);
        return;
      }
      default:
        throw new OneError(ErrorCode.ACTION, 'Wrong recovery operation code', id);
    }
  }

  /** one.vm.migrate(id, host, live, enforce, ds, type). */
  vmMigrate(id: number, hostId: number, live: boolean, enforce: boolean, dsId: number, caller: SimUser): void {
    const vm = this.mustVm(id);
    if (!this.vmAllowed(caller, vm, 'ADMIN')) throw notAuthorized(caller, 'ADMIN', 'vm', id);
    this.checkVmLock(vm, 'ADMIN');
    const s = vm.state;
    const l = vm.lcmState;
    const ok = (s === VM.ACTIVE && (l === LCM.RUNNING || l === LCM.UNKNOWN)) || s === VM.POWEROFF || s === VM.SUSPENDED;
    if (!ok) throw new OneError(ErrorCode.ACTION, `Migrate action is not available for state ${vmStateName(s, l)}`, id);
    const target = this.hosts.get(hostId);
    if (!target) throw notFound('host', hostId);
    const cur = vm.current!;
    const ds = dsId < 0 ? cur.dsId : dsId;
    if (!this.datastores.has(ds)) throw notFound('datastore', ds);
    if (target.id === cur.hid && ds === cur.dsId) {
      throw new OneError(ErrorCode.ACTION, `VM is already running on host [${target.id}] and datastore [${ds}]`, id);
    }
    if (target.state === HOST.OFFLINE) throw new OneError(ErrorCode.ACTION, `Cannot migrate VM [${id}] to host [${target.id}]: host is offline.`, id);
    if (!enforce && !this.hasRoom(target, vm)) {
      throw new OneError(ErrorCode.ACTION, `Cannot migrate VM [${id}] to host [${target.id}] and system datastore [${ds}]. Host capacity: not enough capacity.`, id);
    }
    const liveRunning = live && s === VM.ACTIVE && l === LCM.RUNNING;
    this.recordAction(vm, liveRunning ? HISTORY_ACTION['live-migrate'] : HISTORY_ACTION.migrate, caller);
    this.move(vm, target, ds, liveRunning ? 'live' : undefined);
  }

  /** one.vm.deploy(id, host, enforce, ds): PENDING/HOLD only. */
  vmDeploy(id: number, hostId: number, enforce: boolean, dsId: number, caller: SimUser): void {
    const vm = this.mustVm(id);
    if (!this.vmAllowed(caller, vm, 'ADMIN')) throw notAuthorized(caller, 'ADMIN', 'vm', id);
    this.checkVmLock(vm, 'ADMIN');
    if (vm.state !== VM.PENDING && vm.state !== VM.HOLD) {
      throw new OneError(ErrorCode.ACTION, `Deploy action is not available for state ${vmStateName(vm.state, vm.lcmState)}`, id);
    }
    const target = this.hosts.get(hostId);
    if (!target) throw notFound('host', hostId);
    const ds = dsId < 0 ? (vm.current?.dsId ?? this.defaultSystemDs()) : dsId;
    if (!this.datastores.has(ds)) throw notFound('datastore', ds);
    if (!enforce && !this.hasRoom(target, vm)) {
      throw new OneError(ErrorCode.ACTION, `Cannot deploy VM [${id}] to host [${hostId}] and system datastore [${ds}]. Host capacity: not enough capacity.`, id);
    }
    this.openHistory(vm, target, ds);
    this.recordAction(vm, HISTORY_ACTION.deploy, caller);
    this.hold(vm, target.id);
    this.dispatch(vm);
  }

  /** one.vm.update: USER_TEMPLATE, 0 replace / 1 merge. */
  vmUpdate(id: number, text: string, type: number, caller: SimUser): void {
    const vm = this.mustVm(id);
    if (!this.vmAllowed(caller, vm, 'MANAGE')) throw notAuthorized(caller, 'MANAGE', 'vm', id);
    this.checkVmLock(vm, 'MANAGE');
    if (type !== 0 && type !== 1) throw new OneError(ErrorCode.RPC_API, 'Wrong update type', id);
    vm.userTemplate.update(parseOrThrow(text, id), type === 1);
    vm.touch();
  }

  // -------------------------------------------------------------------------
  // scheduler

  private hasRoom(h: SimHost, vm: SimVm): boolean {
    return h.cpuUsage + Math.round(vm.cpu * 100) <= h.maxCpu && h.memUsage + vm.memory * 1024 <= h.maxMem;
  }

  /**
   * One scheduler pass: PENDING VMs are deployed, RESCHED=1 VMs (RUNNING,
   * UNKNOWN, POWEROFF) moved to another MONITORED host with room (striping:
   * fewest VMs first). No room: the VM stays and USER_TEMPLATE/SCHED_MESSAGE
   * says why.
   */
  schedulerPass(): void {
    if (this.schedulable.size === 0 || this.closed) return;
    const ids = [...this.schedulable].sort((a, b) => a - b);
    const up = [...this.hosts.values()].filter((h) => h.state === HOST.MONITORED && !h.failed).sort((a, b) => a.id - b.id);
    // A scheduler's pace (MAX_DISPATCH-like): at most this many VMs placed per pass.
    let room = this.options.schedulerMaxPerPass ?? Infinity;
    for (const id of ids) {
      if (room <= 0) break;
      const vm = this.vms.get(id);
      if (!vm) continue;
      this.refreshSched(vm);
      if (!this.schedulable.has(id)) continue;
      const cur = vm.current;
      const pending = vm.state === VM.PENDING;
      const clusterId = cur ? (this.hosts.get(cur.hid)?.clusterId ?? cur.cid) : undefined;
      const candidates = up.filter((h) => (pending || h.id !== vm.heldOn) && (clusterId === undefined || h.clusterId === clusterId));
      let best: SimHost | undefined;
      for (const h of candidates) {
        if (!this.hasRoom(h, vm)) continue;
        if (!best || h.vmSet.size < best.vmSet.size) best = h;
      }
      if (!best) {
        const reason = candidates.length ? 'Cannot dispatch VM: No host with enough capacity to deploy the VM' : 'Cannot dispatch VM: No hosts enabled to run VMs';
        if (vm.schedReason !== reason) {
          vm.schedReason = reason;
          vm.userTemplate.set('SCHED_MESSAGE', `${ctime(this.nowMs())} : ${reason}`);
          vm.touch();
        }
        continue;
      }
      if (vm.schedReason) {
        vm.schedReason = '';
        vm.userTemplate.remove('SCHED_MESSAGE');
      }
      const dsId = cur?.dsId ?? this.defaultSystemDs();
      room--;
      if (pending) {
        this.openHistory(vm, best, dsId);
        this.hold(vm, best.id);
        this.dispatch(vm);
      } else {
        this.move(vm, best, dsId);
      }
    }
  }

  /**
   * A PENDING VM dispatched to its new history record's host, as oned shows it: still
   * PENDING with the new record, then ACTIVE/LCM_INIT, then PROLOG -> BOOT -> RUNNING.
   */
  private dispatch(vm: SimVm): void {
    this.chain(vm, [() => this.setVmState(vm, VM.ACTIVE, LCM.LCM_INIT), () => this.deploySteps(vm, LCM.PROLOG)]);
  }

  /** PROLOG(-ish) -> BOOT -> RUNNING on the current host. */
  private deploySteps(vm: SimVm, first: number): void {
    this.setVmState(vm, VM.ACTIVE, first);
    const steps: Array<() => void> = [];
    if (first !== LCM.BOOT) steps.push(() => {
      const cur = vm.current;
      if (cur && !cur.petime) cur.petime = this.nowSec();
      this.setVmState(vm, VM.ACTIVE, LCM.BOOT);
    });
    steps.push(() => this.toRunning(vm));
    this.chain(vm, steps);
  }

  /** Moves a deployed VM to another host (resched or migrate): new history record, cold unless live. */
  private move(vm: SimVm, target: SimHost, dsId: number, mode?: 'live'): void {
    const from = vm.current!;
    const s = vm.state;
    const l = vm.lcmState;
    const oldDead = this.hostDead(from.hid);
    const ds = this.datastores.get(dsId);
    // Disks on a non-shared system DS live on the dead host: nothing to copy them from.
    const copyFails = oldDead && ds?.shared === 'NO';
    this.closeHistory(vm, mode === 'live' ? HISTORY_ACTION['live-migrate'] : HISTORY_ACTION.migrate);
    this.openHistory(vm, target, dsId);
    this.hold(vm, target.id);
    if (l === LCM.UNKNOWN) {
      // oned writes the new history record first: the VM shows it while still UNKNOWN with
      // RESCHED=1 (up to ~1 s on a real oned), then RESCHED=0 in PROLOG_MIGRATE_UNKNOWN.
      this.schedulable.delete(vm.id);
      const prolog = () => {
        this.setResched(vm, 0);
        this.setVmState(vm, VM.ACTIVE, LCM.PROLOG_MIGRATE_UNKNOWN);
      };
      const rest = copyFails
        ? [() => this.setVmState(vm, VM.ACTIVE, LCM.PROLOG_MIGRATE_UNKNOWN_FAILURE)]
        : [() => this.setVmState(vm, VM.ACTIVE, LCM.BOOT), () => this.toRunning(vm)];
      this.chain(vm, [prolog, ...rest]);
      return;
    }
    this.setResched(vm, 0);
    if (s === VM.POWEROFF || s === VM.SUSPENDED) {
      const prolog = s === VM.POWEROFF ? LCM.PROLOG_MIGRATE_POWEROFF : LCM.PROLOG_MIGRATE_SUSPEND;
      this.setVmState(vm, VM.ACTIVE, prolog);
      this.chain(vm, [() => (copyFails ? this.setVmState(vm, VM.ACTIVE, prolog + 1) : this.setVmState(vm, s, LCM.LCM_INIT))]);
      return;
    }
    if (mode === 'live') {
      this.setVmState(vm, VM.ACTIVE, LCM.MIGRATE);
      this.chain(vm, [() => this.toRunning(vm)]);
      return;
    }
    this.setVmState(vm, VM.ACTIVE, LCM.SAVE_MIGRATE);
    this.chain(vm, [
      () => this.setVmState(vm, VM.ACTIVE, LCM.PROLOG_MIGRATE),
      () => this.setVmState(vm, VM.ACTIVE, LCM.BOOT),
      () => this.toRunning(vm),
    ]);
  }

  // -------------------------------------------------------------------------
  // pools with oned's filter arguments

  /** one.vmpool.info selection (OpenNebula XML-RPC reference). */
  selectVms(caller: SimUser, filter: number, start: number, end: number, state: number): SimVm[] {
    if (filter < -4) throw new OneError(ErrorCode.RPC_API, 'Incorrect filter_flag.');
    if (state < -2 || state > 11) throw new OneError(ErrorCode.RPC_API, 'Incorrect state filter');
    const admin = this.isAdmin(caller);
    const out: SimVm[] = [];
    const page = end < -1;
    let skip = page ? Math.max(0, start) : 0;
    const limit = page ? -end : Infinity;
    for (const id of this.vmIdsDesc()) {
      if (!page) {
        if (start >= 0 && id < start) continue;
        if (end >= 0 && id > end) continue;
      }
      const vm = this.vms.get(id)!;
      if (state === -1 ? vm.state === VM.DONE : state >= 0 && vm.state !== state) continue;
      if (!admin && vm.uid !== caller.id) continue;
      if (filter === -3 && vm.uid !== caller.id) continue;
      if (filter === -4 && vm.gid !== caller.gid) continue;
      if (filter === -1 && vm.uid !== caller.id && !caller.groups.includes(vm.gid)) continue;
      if (filter >= 0 && vm.uid !== filter) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      out.push(vm);
      if (out.length >= limit) break;
    }
    return out;
  }

  // -------------------------------------------------------------------------
  // documents

  private mustDoc(id: number, caller: SimUser, op: AuthOp): SimDocument {
    const d = this.documents.get(id);
    if (!d) throw notFound('document', id);
    if (!this.isAdmin(caller) && d.uid !== caller.id) throw notAuthorized(caller, op, 'document', id);
    return d;
  }

  private checkLock(d: SimDocument): void {
    // Lock levels 1 USE / 2 MANAGE (4 ALL is stored as 1) block MANAGE operations, for everyone.
    if (lockBlocks(d.lock, 'MANAGE')) throw new OneError(ErrorCode.LOCKED, `Resource is locked.`, d.id);
  }

  documentAllocate(text: string, type: number, caller: SimUser): number {
    const attrs = parseOrThrow(text, -1);
    const tmpl = new Template(attrs);
    const name = tmpl.get('NAME');
    tmpl.remove('NAME');
    const id = this.nextDocId;
    const docName = name ?? `document-${id}`;
    if (docName.length > 128) throw new OneError(ErrorCode.ALLOCATE, 'Invalid NAME, max length is 128 chars');
    this.nextDocId++;
    this.documents.set(id, { id, uid: caller.id, gid: caller.gid, uname: caller.name, gname: caller.gname, name: docName, type, template: tmpl });
    return id;
  }

  documentXml(id: number, caller: SimUser): string {
    return X.documentXml(this.mustDoc(id, caller, 'USE'));
  }

  documentUpdate(id: number, text: string, type: number, caller: SimUser): void {
    const d = this.mustDoc(id, caller, 'MANAGE');
    if (type !== 0 && type !== 1) throw new OneError(ErrorCode.RPC_API, 'Wrong update type', id);
    this.checkLock(d);
    d.template.update(parseOrThrow(text, id), type === 1);
  }

  documentDelete(id: number, caller: SimUser): void {
    const d = this.mustDoc(id, caller, 'MANAGE');
    this.checkLock(d);
    this.documents.delete(id);
  }

  documentLock(id: number, level: number, test: boolean, caller: SimUser): void {
    const d = this.mustDoc(id, caller, 'MANAGE');
    d.lock = this.newLock(d.lock, id, level, test, caller);
  }

  documentUnlock(id: number, caller: SimUser): void {
    const d = this.mustDoc(id, caller, 'MANAGE');
    this.checkUnlock(d.lock, id, caller);
    d.lock = undefined;
  }

  /** one.*.lock: the same rules for documents and VMs. */
  private newLock(current: SimLock | undefined, id: number, level: number, test: boolean, caller: SimUser): SimLock {
    if (level < 1 || level > 4) throw new OneError(ErrorCode.ACTION, 'Wrong lock level specified', id);
    if (test && current) throw new OneError(ErrorCode.ACTION, String(current.time), id);
    if (current && current.owner !== caller.id && !this.isAdmin(caller)) throw new OneError(ErrorCode.ACTION, 'Error trying to lock the resource.', id);
    return { level: level === 4 ? 1 : level, owner: caller.id, time: this.nowSec(), reqId: ++this.reqSeq };
  }

  private checkUnlock(current: SimLock | undefined, id: number, caller: SimUser): void {
    if (current && !this.isAdmin(caller) && current.owner !== caller.id) {
      throw new OneError(ErrorCode.ACTION, 'Cannot unlock: Lock is owned by another user', id);
    }
  }

  documentPoolXml(caller: SimUser, filter: number, start: number, end: number, type: number): string {
    if (filter < -4) throw new OneError(ErrorCode.RPC_API, 'Incorrect filter_flag.');
    const admin = this.isAdmin(caller);
    const ids = [...this.documents.keys()].sort(descending);
    const page = end < -1;
    let skip = page ? Math.max(0, start) : 0;
    const out: string[] = [];
    for (const id of ids) {
      if (!page && ((start >= 0 && id < start) || (end >= 0 && id > end))) continue;
      const d = this.documents.get(id)!;
      if (d.type !== type) continue;
      if (!admin && d.uid !== caller.id) continue;
      if (filter === -3 && d.uid !== caller.id) continue;
      if (filter === -4 && d.gid !== caller.gid) continue;
      if (filter === -1 && d.uid !== caller.id && !caller.groups.includes(d.gid)) continue;
      if (filter >= 0 && d.uid !== filter) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      out.push(X.documentXml(d));
      if (page && out.length >= -end) break;
    }
    return X.pool('DOCUMENT_POOL', out);
  }

  raftXml(): string {
    return X.raftXml(this.raft);
  }
}

function groupName(gid: number): string {
  return gid === 0 ? 'oneadmin' : gid === 1 ? 'users' : `group-${gid}`;
}

function defaultLastAction(state: number): number {
  switch (state) {
    case VM.SUSPENDED: return HISTORY_ACTION.suspend;
    case VM.POWEROFF: return HISTORY_ACTION.poweroff;
    case VM.STOPPED: return HISTORY_ACTION.stop;
    case VM.UNDEPLOYED: return HISTORY_ACTION.undeploy;
    case VM.DONE: return HISTORY_ACTION['terminate-hard'];
    default: return HISTORY_ACTION.none;
  }
}

function parseOrThrow(text: string, id: number) {
  try {
    return parseTemplate(text);
  } catch (e) {
    if (e instanceof TemplateSyntaxError) throw new OneError(ErrorCode.INTERNAL, `Cannot update template. Parse error: ${e.message}`, id);
    throw e;
  }
}

export type { SimHistory };

// oned's XML for every object the simulator serves. Element order follows
// the XSDs in shared/opennebula/xsd (which follow oned's to_xml); no xmlns,
// no declaration, template values as CDATA in alphabetical order.
import { createHash } from 'node:crypto';
import type { HookRun, SimDatastore, SimDocument, SimHistory, SimHook, SimHost, SimLock, SimUser, SimVm } from './model';
import { LCM, VM } from './model';
import { cdata, cdataText, esc, escRpc } from './template';

const PERMS = (u: string, m: string, a: string, gu = '0', gm = '0', ga = '0') =>
  `<PERMISSIONS><OWNER_U>${u}</OWNER_U><OWNER_M>${m}</OWNER_M><OWNER_A>${a}</OWNER_A>` +
  `<GROUP_U>${gu}</GROUP_U><GROUP_M>${gm}</GROUP_M><GROUP_A>${ga}</GROUP_A>` +
  '<OTHER_U>0</OTHER_U><OTHER_M>0</OTHER_M><OTHER_A>0</OTHER_A></PERMISSIONS>';

const VM_PERMS = PERMS('1', '1', '0');
const DS_PERMS = PERMS('1', '1', '0', '1');
const DOC_PERMS = PERMS('1', '1', '0');

// ---------------------------------------------------------------------------
// Hosts

export interface HostXmlOptions {
  /** Overrides PREV_STATE (hook events carry the real previous state). */
  prevState?: number;
  now: number;
  /** Non-shared system datastores reported under HOST_SHARE/DATASTORES. */
  localDatastores: SimDatastore[];
}

function numa(host: SimHost): string {
  const cores = Math.max(1, Math.min(32, Math.ceil(host.totalCpu / 200)));
  let s = '<NUMA_NODES><NODE>';
  for (let c = 0; c < cores; c++) {
    s += `<CORE><CPUS>${c}:-1,${c + cores}:-1</CPUS><DEDICATED>NO</DEDICATED><FREE>2</FREE><ID>${c}</ID></CORE>`;
  }
  s += '<HUGEPAGE><PAGES>0</PAGES><SIZE>2048</SIZE><USAGE>0</USAGE></HUGEPAGE>' +
    '<HUGEPAGE><PAGES>0</PAGES><SIZE>1048576</SIZE><USAGE>0</USAGE></HUGEPAGE>' +
    `<MEMORY><DISTANCE>0</DISTANCE><TOTAL>${host.totalMem}</TOTAL><USAGE>0</USAGE></MEMORY><NODE_ID>0</NODE_ID></NODE></NUMA_NODES>`;
  return s;
}

export function hostXml(host: SimHost, o: HostXmlOptions): string {
  const offline = host.state === 8;
  const vms = host.vms;
  let ds = '<DATASTORES><DISK_USAGE>0</DISK_USAGE>';
  let maxDisk = 0;
  let freeDisk = 0;
  if (!offline) {
    for (const d of o.localDatastores) {
      ds += `<DS><FREE_MB>402113</FREE_MB><ID>${d.id}</ID><TOTAL_MB>471859</TOTAL_MB><USED_MB>69746</USED_MB></DS>`;
      maxDisk = 471859;
      freeDisk = 402113;
    }
  }
  ds += `<FREE_DISK>${freeDisk}</FREE_DISK><MAX_DISK>${maxDisk}</MAX_DISK><USED_DISK>${maxDisk - freeDisk}</USED_DISK></DATASTORES>`;
  const monitoredAt = host.failed || offline ? host.lastMonitored : o.now;
  // What the probes would report: the VMs use about a third of what they reserve.
  const usedCpu = Math.min(host.totalCpu, Math.round(host.cpuUsage * 0.35) + 20);
  const usedMem = Math.min(host.totalMem, Math.round(host.memUsage * 0.6) + 1048576);
  const monitoring = offline
    ? '<MONITORING/>'
    : `<MONITORING><TIMESTAMP>${monitoredAt}</TIMESTAMP><ID>${host.id}</ID><CAPACITY>` +
      `<FREE_CPU>${host.totalCpu - usedCpu}</FREE_CPU><FREE_MEMORY>${host.totalMem - usedMem}</FREE_MEMORY>` +
      `<USED_CPU>${usedCpu}</USED_CPU><USED_MEMORY>${usedMem}</USED_MEMORY></CAPACITY>` +
      `<SYSTEM><NETRX>${918273645 + host.id}</NETRX><NETTX>${541239870 + host.id}</NETTX></SYSTEM>` +
      '<NUMA_NODE><HUGEPAGE><FREE>0</FREE><SIZE>2048</SIZE></HUGEPAGE><HUGEPAGE><FREE>0</FREE><SIZE>1048576</SIZE></HUGEPAGE>' +
      `<MEMORY><FREE>${host.totalMem - usedMem}</FREE><USED>${usedMem}</USED></MEMORY><NODE_ID>0</NODE_ID></NUMA_NODE></MONITORING>`;
  let ids = '';
  for (const id of vms) ids += `<ID>${id}</ID>`;
  return (
    `<HOST><ID>${host.id}</ID><NAME>${esc(host.name)}</NAME><STATE>${host.state}</STATE>` +
    `<PREV_STATE>${o.prevState ?? host.state}</PREV_STATE><IM_MAD>${esc(host.imMad)}</IM_MAD><VM_MAD>${esc(host.vmMad)}</VM_MAD>` +
    `<CLUSTER_ID>${host.clusterId}</CLUSTER_ID><CLUSTER>${esc(host.cluster)}</CLUSTER>` +
    `<HOST_SHARE><MEM_USAGE>${host.memUsage}</MEM_USAGE><CPU_USAGE>${host.cpuUsage}</CPU_USAGE>` +
    `<TOTAL_MEM>${offline ? 0 : host.totalMem}</TOTAL_MEM><TOTAL_CPU>${offline ? 0 : host.totalCpu}</TOTAL_CPU>` +
    `<MAX_MEM>${offline ? 0 : host.maxMem}</MAX_MEM><MAX_CPU>${offline ? 0 : host.maxCpu}</MAX_CPU>` +
    `<RUNNING_VMS>${vms.length}</RUNNING_VMS><VMS_THREAD>1</VMS_THREAD>${ds}<PCI_DEVICES/>${offline ? '<NUMA_NODES/>' : numa(host)}</HOST_SHARE>` +
    (ids ? `<VMS>${ids}</VMS>` : '<VMS/>') +
    `${host.template.toXml()}${monitoring}</HOST>`
  );
}

// ---------------------------------------------------------------------------
// Virtual machines

export interface VmContext {
  /** TM_MAD of a datastore id. */
  tmMad(dsId: number): string;
  /** Cluster of the VM (for AUTOMATIC_REQUIREMENTS). */
  clusterId: number;
  /** System DS a never-deployed VM would use. */
  defaultDsId: number;
  now: number;
}

function ip(id: number): string {
  return `10.0.${Math.floor(id / 250) % 250}.${(id % 250) + 2}`;
}
function mac(id: number): string {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `02:00:0a:00:${h(Math.floor(id / 250) % 250)}:${h((id % 250) + 2)}`;
}

const fmtCpu = (n: number) => String(n);

const escTwice = (v: string | number) => escRpc(esc(v));

/** Template tags: the XML as written, or with the static parts escaped for an XML-RPC <string> (once per call site). */
type Tag = (strings: TemplateStringsArray, ...values: Array<string | number>) => string;
const rawTag: Tag = (s, ...v) => {
  let r = s[0];
  for (let i = 0; i < v.length; i++) r += v[i] + s[i + 1];
  return r;
};
const escapedParts = new WeakMap<TemplateStringsArray, string[]>();
const rpcTag: Tag = (s, ...v) => {
  let p = escapedParts.get(s);
  if (!p) escapedParts.set(s, (p = s.map(escRpc)));
  let r = p[0];
  for (let i = 0; i < v.length; i++) r += v[i] + p[i + 1];
  return r;
};

/**
 * How a body is written: as XML, or directly escaped for an XML-RPC <string>
 * (static parts escaped once per call site, values escaped as they go in).
 * Escaping a 250-VM extended pool chunk afterwards took ~50 ms, writing it
 * escaped ~6 ms (bench recovery-1000 reads four of them on its critical path).
 */
interface Writer {
  T: Tag;
  /** Element text. */
  E: (v: string | number) => string;
  /** CDATA content (the text between "<![CDATA[" and "]]>"). */
  D: (v: string) => string;
  /** A piece of XML made elsewhere. */
  X: (xml: string) => string;
  vmPerms: string;
}
const AS_XML: Writer = { T: rawTag, E: esc, D: cdataText, X: (x) => x, vmPerms: VM_PERMS };
const AS_RPC: Writer = { T: rpcTag, E: escTwice, D: (v) => escRpc(cdataText(v)), X: escRpc, vmPerms: escRpc(VM_PERMS) };

function historyFull(h: SimHistory, oid: number, { T, E }: Writer): string {
  return T`<HISTORY><OID>${oid}</OID><SEQ>${h.seq}</SEQ><HOSTNAME>${E(h.hostname)}</HOSTNAME><HID>${h.hid}</HID><CID>${h.cid}</CID><STIME>${h.stime}</STIME><ETIME>${h.etime}</ETIME><VM_MAD>${E(h.vmMad)}</VM_MAD><TM_MAD>${E(h.tmMad)}</TM_MAD><DS_ID>${h.dsId}</DS_ID><PLAN_ID>-1</PLAN_ID><ACTION_ID>-1</ACTION_ID><PSTIME>${h.pstime}</PSTIME><PETIME>${h.petime}</PETIME><RSTIME>${h.rstime}</RSTIME><RETIME>${h.retime}</RETIME><ESTIME>${h.estime}</ESTIME><EETIME>${h.eetime}</EETIME><ACTION>${h.action}</ACTION><UID>${h.uid}</UID><GID>${h.gid}</GID><REQUEST_ID>${h.reqId}</REQUEST_ID></HISTORY>`;
}

const isActiveOnHost = (vm: SimVm) => vm.state === VM.ACTIVE && vm.heldOn >= 0;

/** The image's path in the image datastore (an md5 of its name, as oned names image files), once per image name. */
const imageSources = new Map<string, string>();
function imageSource(image: string): string {
  let s = imageSources.get(image);
  if (s === undefined) imageSources.set(image, (s = `/var/lib/one//datastores/1/${createHash('md5').update(image).digest('hex')}`));
  return s;
}

function fullBody(vm: SimVm, ctx: VmContext, lastHistoryOnly: boolean, w: Writer): string {
  const { T, E, D } = w;
  const cur = vm.current;
  const dsId = cur?.dsId ?? ctx.defaultDsId;
  const id = vm.id;
  const monitoring = isActiveOnHost(vm) && vm.lcmState === LCM.RUNNING
    ? T`<MONITORING><CPU>${(1 + (id % 37) / 10).toFixed(1)}</CPU><ID>${id}</ID><MEMORY>${Math.round(vm.memory * 1024 * 0.9)}</MEMORY><TIMESTAMP>${ctx.now}</TIMESTAMP></MONITORING>`
    : T`<MONITORING/>`;
  const cid = ctx.clusterId;
  const ipId = D(ip(id));
  const macId = D(mac(id));
  const size = vm.diskSize;
  const tmpl = T`<TEMPLATE><AUTOMATIC_DS_REQUIREMENTS><![CDATA[("CLUSTERS/ID" @> ${cid})]]></AUTOMATIC_DS_REQUIREMENTS><AUTOMATIC_NIC_REQUIREMENTS><![CDATA[("CLUSTERS/ID" @> ${cid})]]></AUTOMATIC_NIC_REQUIREMENTS><AUTOMATIC_REQUIREMENTS><![CDATA[(CLUSTER_ID = ${cid}) & !(PUBLIC_CLOUD = YES) & !(PIN_POLICY = PINNED)]]></AUTOMATIC_REQUIREMENTS>` +
    T`<CONTEXT><DISK_ID><![CDATA[1]]></DISK_ID><ETH0_IP><![CDATA[${ipId}]]></ETH0_IP><ETH0_MAC><![CDATA[${macId}]]></ETH0_MAC><NETWORK><![CDATA[YES]]></NETWORK><TARGET><![CDATA[hda]]></TARGET></CONTEXT><CPU><![CDATA[${fmtCpu(vm.cpu)}]]></CPU>` +
    T`<DISK><ALLOW_ORPHANS><![CDATA[FORMAT]]></ALLOW_ORPHANS><CLONE><![CDATA[YES]]></CLONE><CLONE_TARGET><![CDATA[SYSTEM]]></CLONE_TARGET><CLUSTER_ID><![CDATA[${cid}]]></CLUSTER_ID><DATASTORE><![CDATA[default]]></DATASTORE><DATASTORE_ID><![CDATA[1]]></DATASTORE_ID><DEV_PREFIX><![CDATA[sd]]></DEV_PREFIX><DISK_ID><![CDATA[0]]></DISK_ID><DISK_SNAPSHOT_TOTAL_SIZE><![CDATA[0]]></DISK_SNAPSHOT_TOTAL_SIZE><DISK_TYPE><![CDATA[FILE]]></DISK_TYPE><DRIVER><![CDATA[qcow2]]></DRIVER><FORMAT><![CDATA[qcow2]]></FORMAT>` +
    T`<IMAGE><![CDATA[${D(vm.image)}]]></IMAGE><IMAGE_ID><![CDATA[${vm.imageId}]]></IMAGE_ID><IMAGE_STATE><![CDATA[2]]></IMAGE_STATE><LN_TARGET><![CDATA[NONE]]></LN_TARGET><ORIGINAL_SIZE><![CDATA[${size}]]></ORIGINAL_SIZE><READONLY><![CDATA[NO]]></READONLY><SAVE><![CDATA[NO]]></SAVE><SIZE><![CDATA[${size}]]></SIZE><SOURCE><![CDATA[${D(imageSource(vm.image))}]]></SOURCE><TARGET><![CDATA[sda]]></TARGET><TM_MAD><![CDATA[shared]]></TM_MAD><TYPE><![CDATA[FILE]]></TYPE></DISK>` +
    T`<GRAPHICS><LISTEN><![CDATA[0.0.0.0]]></LISTEN><PORT><![CDATA[${5900 + id}]]></PORT><TYPE><![CDATA[VNC]]></TYPE></GRAPHICS><MEMORY><![CDATA[${vm.memory}]]></MEMORY>` +
    T`<NIC><AR_ID><![CDATA[0]]></AR_ID><BRIDGE><![CDATA[br0]]></BRIDGE><BRIDGE_TYPE><![CDATA[linux]]></BRIDGE_TYPE><CLUSTER_ID><![CDATA[${cid}]]></CLUSTER_ID><IP><![CDATA[${ipId}]]></IP><MAC><![CDATA[${macId}]]></MAC><MODEL><![CDATA[virtio]]></MODEL><NETWORK><![CDATA[public]]></NETWORK><NETWORK_ID><![CDATA[0]]></NETWORK_ID><NIC_ID><![CDATA[0]]></NIC_ID><SECURITY_GROUPS><![CDATA[0]]></SECURITY_GROUPS><TARGET><![CDATA[one-${id}-0]]></TARGET><VN_MAD><![CDATA[bridge]]></VN_MAD></NIC>` +
    T`<OS><ARCH><![CDATA[x86_64]]></ARCH></OS><TEMPLATE_ID><![CDATA[0]]></TEMPLATE_ID><TM_MAD_SYSTEM><![CDATA[${D(ctx.tmMad(dsId))}]]></TM_MAD_SYSTEM><VCPU><![CDATA[${vm.vcpu}]]></VCPU><VMID><![CDATA[${id}]]></VMID></TEMPLATE>`;
  let hist = '';
  if (lastHistoryOnly) {
    if (cur) hist = historyFull(cur, id, w);
  } else {
    for (const h of vm.history) hist += historyFull(h, id, w);
  }
  return T`<VM><ID>${id}</ID><UID>${vm.uid}</UID><GID>${vm.gid}</GID><UNAME>${E(vm.uname)}</UNAME><GNAME>${E(vm.gname)}</GNAME><NAME>${E(vm.name)}</NAME>${w.vmPerms}<LAST_POLL>${vm.lastPoll}</LAST_POLL><STATE>${vm.state}</STATE><LCM_STATE>${vm.lcmState}</LCM_STATE><PREV_STATE>${vm.state}</PREV_STATE><PREV_LCM_STATE>${vm.lcmState}</PREV_LCM_STATE><RESCHED>${vm.resched}</RESCHED><STIME>${vm.stime}</STIME><ETIME>${vm.etime}</ETIME><DEPLOY_ID>${E(vm.deployId)}</DEPLOY_ID>${vm.lock ? w.X(lockXml(vm.lock)) : ''}` +
    T`${monitoring}<SCHED_ACTIONS/>${tmpl}${w.X(vm.userTemplate.toXml('USER_TEMPLATE'))}${hist ? T`<HISTORY_RECORDS>${hist}</HISTORY_RECORDS>` : T`<HISTORY_RECORDS/>`}<BACKUPS><BACKUP_CONFIG/><BACKUP_IDS/></BACKUPS></VM>`;
}

/**
 * one.vm.info: the full body with every history record. With
 * `lastHistoryOnly` it is the element one.vmpool.infoextended repeats.
 */
export function vmFullXml(vm: SimVm, ctx: VmContext, lastHistoryOnly = false): string {
  return fullBody(vm, ctx, lastHistoryOnly, AS_XML);
}

/** vmFullXml escaped for an XML-RPC string (= escRpc(vmFullXml(...))), written escaped. */
export function vmFullEsc(vm: SimVm, ctx: VmContext, lastHistoryOnly = false): string {
  return fullBody(vm, ctx, lastHistoryOnly, AS_RPC);
}

/** USER_TEMPLATE attributes kept in the short body. */
function shortUserAttr(k: string): boolean {
  return k === 'LABELS' || k === 'ERROR' || k === 'SCHED_MESSAGE' || k === 'USER_PRIORITY' || k === 'SCHED_ACTION' || k.startsWith('SCHED_');
}

/**
 * The short body, either as XML (rawTag, esc) or directly escaped for an
 * XML-RPC <string> (rpcTag, escTwice): escaping 100 MB of pool afterwards
 * costs several times more than writing it escaped.
 */
function shortBody(vm: SimVm, T: Tag, E: (v: string | number) => string): string {
  const id = vm.id;
  let ut = '';
  const uattrs = vm.userTemplate.attrs.filter(([k, v]) => typeof v === 'string' && shortUserAttr(k));
  if (uattrs.length) {
    uattrs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [k, v] of uattrs) ut += T`<${k}>${E(v as string)}</${k}>`;
  }
  const running = vm.state === VM.ACTIVE;
  const monitoring = (running || vm.state === VM.SUSPENDED) && vm.heldOn >= 0
    ? T`<MONITORING><CPU>${running ? (1 + (id % 37) / 10).toFixed(1) : '0.0'}</CPU><MEMORY>${running ? Math.round(vm.memory * 1024 * 0.9) : 0}</MEMORY><STATE>${running ? 'a' : 'p'}</STATE></MONITORING>`
    : T`<MONITORING/>`;
  const lock = vm.lock ? T`<LOCK><LOCKED>${vm.lock.level}</LOCKED><OWNER>${vm.lock.owner}</OWNER><TIME>${vm.lock.time}</TIME><REQ_ID>${vm.lock.reqId}</REQ_ID></LOCK>` : '';
  const h = vm.current;
  const hist = h
    ? T`<HISTORY_RECORDS><HISTORY><OID>${id}</OID><SEQ>${h.seq}</SEQ><HOSTNAME>${E(h.hostname)}</HOSTNAME><HID>${h.hid}</HID><CID>${h.cid}</CID><DS_ID>${h.dsId}</DS_ID><VM_MAD>${E(h.vmMad)}</VM_MAD><TM_MAD>${E(h.tmMad)}</TM_MAD><ACTION>${h.action}</ACTION></HISTORY></HISTORY_RECORDS>`
    : T`<HISTORY_RECORDS/>`;
  return T`<VM><ID>${id}</ID><UID>${vm.uid}</UID><GID>${vm.gid}</GID><UNAME>${E(vm.uname)}</UNAME><GNAME>${E(vm.gname)}</GNAME><NAME>${E(vm.name)}</NAME><LAST_POLL>${vm.lastPoll}</LAST_POLL><STATE>${vm.state}</STATE><LCM_STATE>${vm.lcmState}</LCM_STATE><RESCHED>${vm.resched}</RESCHED><STIME>${vm.stime}</STIME><ETIME>${vm.etime}</ETIME><DEPLOY_ID>${E(vm.deployId)}</DEPLOY_ID>${lock}<TEMPLATE><CPU>${fmtCpu(vm.cpu)}</CPU><MEMORY>${vm.memory}</MEMORY><VCPU>${vm.vcpu}</VCPU><DISK><DISK_ID>0</DISK_ID><DATASTORE>default</DATASTORE><DATASTORE_ID>1</DATASTORE_ID><IMAGE>${E(vm.image)}</IMAGE><IMAGE_ID>${vm.imageId}</IMAGE_ID><SIZE>${vm.diskSize}</SIZE><TYPE>FILE</TYPE><CLONE>YES</CLONE><CLONE_TARGET>SYSTEM</CLONE_TARGET><LN_TARGET>NONE</LN_TARGET><DISK_SNAPSHOT_TOTAL_SIZE>0</DISK_SNAPSHOT_TOTAL_SIZE></DISK><NIC><IP>${ip(id)}</IP><MAC>${mac(id)}</MAC><NETWORK>public</NETWORK><NETWORK_ID>0</NETWORK_ID><NIC_ID>0</NIC_ID><SECURITY_GROUPS>0</SECURITY_GROUPS></NIC><GRAPHICS><LISTEN><![CDATA[0.0.0.0]]></LISTEN><PORT><![CDATA[${5900 + id}]]></PORT><TYPE><![CDATA[VNC]]></TYPE></GRAPHICS></TEMPLATE>${monitoring}${ut ? T`<USER_TEMPLATE>${ut}</USER_TEMPLATE>` : T`<USER_TEMPLATE/>`}${hist}</VM>`;
}

/** one.vmpool.info's element: short body, only the current history record. */
export function vmShortXml(vm: SimVm): string {
  return shortBody(vm, rawTag, esc);
}

/** vmShortXml escaped for an XML-RPC string (= escRpc(vmShortXml(vm))), cached on the VM until it changes. */
export function vmShortEsc(vm: SimVm): string {
  if (vm.shortEsc === undefined) vm.shortEsc = shortBody(vm, rpcTag, escTwice);
  return vm.shortEsc;
}

// ---------------------------------------------------------------------------
// Datastores

const TYPE_NAMES = ['IMAGE_DS', 'SYSTEM_DS', 'FILE_DS', 'BACKUP_DS'];

export function datastoreXml(d: SimDatastore): string {
  const system = d.type === 1;
  const t: Record<string, string> = {
    ALLOW_ORPHANS: d.type === 2 ? 'YES' : d.shared === 'NO' ? 'YES' : 'FORMAT',
    DISK_TYPE: 'FILE',
    RESTRICTED_DIRS: '/',
    SAFE_DIRS: '/var/tmp',
    TM_MAD: d.tmMad,
    TYPE: TYPE_NAMES[d.type] ?? 'IMAGE_DS',
  };
  if (system) {
    const migrate = d.shared === 'NO' || d.tmMad === 'shared' || d.tmMad === 'qcow2' ? 'YES' : 'NO';
    t.DS_LIVE_MIGRATE = migrate;
    t.DS_MIGRATE = migrate;
    t.DS_MIGRATE_SNAP = migrate;
    if (d.shared) t.SHARED = d.shared;
  } else {
    t.CLONE_TARGET = 'SYSTEM';
    t.DS_MAD = d.dsMad;
    t.LN_TARGET = d.tmMad === 'shared' ? 'NONE' : 'SYSTEM';
  }
  let tx = '';
  for (const k of Object.keys(t).sort()) tx += `<${k}>${cdata(t[k])}</${k}>`;
  let images = '';
  for (const i of d.images) images += `<ID>${i}</ID>`;
  const used = d.totalMb - d.freeMb;
  return (
    `<DATASTORE><ID>${d.id}</ID><UID>0</UID><GID>0</GID><UNAME>oneadmin</UNAME><GNAME>oneadmin</GNAME><NAME>${esc(d.name)}</NAME>` +
    `${DS_PERMS}<DS_MAD>${cdata(system ? '-' : d.dsMad)}</DS_MAD><TM_MAD>${cdata(d.tmMad)}</TM_MAD>` +
    `<BASE_PATH>${cdata(`/var/lib/one//datastores/${d.id}`)}</BASE_PATH><TYPE>${d.type}</TYPE>` +
    `<DISK_TYPE>${d.tmMad === 'ceph' ? 3 : 0}</DISK_TYPE><STATE>0</STATE><CLUSTERS><ID>0</ID></CLUSTERS>` +
    `<TOTAL_MB>${d.totalMb}</TOTAL_MB><FREE_MB>${d.freeMb}</FREE_MB><USED_MB>${used}</USED_MB>` +
    (images ? `<IMAGES>${images}</IMAGES>` : '<IMAGES/>') +
    `<TEMPLATE>${tx}</TEMPLATE></DATASTORE>`
  );
}

// ---------------------------------------------------------------------------
// Users, Raft, documents, hooks

/** oned gives every user a TOKEN_PASSWORD (a sha1 hex) at creation; FireEdge refuses a sign-in whose USER/TEMPLATE is empty. */
export function userTemplate(u: SimUser): string {
  const fireedge = u.fireedge ? `<FIREEDGE>${Object.entries(u.fireedge).map(([k, v]) => `<${k}>${cdata(v)}</${k}>`).join('')}</FIREEDGE>` : '';
  return `<TOKEN_PASSWORD>${cdata(createHash('sha1').update(`token:${u.id}:${u.name}`).digest('hex'))}</TOKEN_PASSWORD>${fireedge}`;
}

export function userXml(u: SimUser, now: number): string {
  let groups = '';
  for (const g of u.groups) groups += `<ID>${g}</ID>`;
  let tokens = '';
  for (const t of u.tokens) {
    if (t.expires !== -1 && t.expires <= now) continue;
    tokens += `<LOGIN_TOKEN><TOKEN>${esc(t.token)}</TOKEN><EXPIRATION_TIME>${t.expires}</EXPIRATION_TIME><EGID>${t.egid}</EGID></LOGIN_TOKEN>`;
  }
  const quotas = '<DATASTORE_QUOTA/><NETWORK_QUOTA/><VM_QUOTA/><IMAGE_QUOTA/>';
  return (
    `<USER><ID>${u.id}</ID><GID>${u.gid}</GID><GROUPS>${groups}</GROUPS><GNAME>${esc(u.gname)}</GNAME><NAME>${esc(u.name)}</NAME>` +
    `<PASSWORD>${createHash('sha256').update(u.password).digest('hex')}</PASSWORD><AUTH_DRIVER>${u.authDriver}</AUTH_DRIVER>` +
    `<ENABLED>${u.enabled ? 1 : 0}</ENABLED>${tokens}<TEMPLATE>${userTemplate(u)}</TEMPLATE>${quotas}<DEFAULT_USER_QUOTAS>${quotas}</DEFAULT_USER_QUOTAS></USER>`
  );
}

export function raftXml(r: { state: number; serverId: number; term: number }): string {
  const solo = r.state === 0;
  return (
    `<RAFT><SERVER_ID>${r.serverId}</SERVER_ID><STATE>${r.state}</STATE><TERM>${r.term}</TERM>` +
    // A solo oned keeps no Raft log: index and term of the last entry are -1.
    `<VOTEDFOR>${solo ? -1 : r.serverId}</VOTEDFOR><COMMIT>0</COMMIT><LOG_INDEX>${solo ? -1 : 0}</LOG_INDEX><LOG_TERM>${solo ? -1 : r.term}</LOG_TERM>` +
    `<FEDLOG_INDEX>-1</FEDLOG_INDEX></RAFT>`
  );
}

export function lockXml(l: SimLock): string {
  return `<LOCK><LOCKED>${l.level}</LOCKED><OWNER>${l.owner}</OWNER><TIME>${l.time}</TIME><REQ_ID>${l.reqId}</REQ_ID></LOCK>`;
}

export function documentXml(d: SimDocument): string {
  const lock = d.lock ? lockXml(d.lock) : '';
  return (
    `<DOCUMENT><ID>${d.id}</ID><UID>${d.uid}</UID><GID>${d.gid}</GID><UNAME>${esc(d.uname)}</UNAME><GNAME>${esc(d.gname)}</GNAME>` +
    `<NAME>${esc(d.name)}</NAME><TYPE>${d.type}</TYPE>${DOC_PERMS}${lock}${d.template.toXml()}</DOCUMENT>`
  );
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The TEMPLATE attributes hook.xsd knows, in its order; others (TIMEOUT, anything merged by one.hook.update) are kept but not shown. */
const HOOK_XSD_ATTRS = ['ARGUMENTS', 'ARGUMENTS_STDIN', 'CALL', 'COMMAND', 'LCM_STATE', 'REMOTE', 'RESOURCE', 'STATE'] as const;

/** one.hook.info (with HOOKLOG) / one.hookpool.info element (without). */
export function hookXml(h: SimHook, log?: HookRun[]): string {
  let tx = '';
  for (const k of HOOK_XSD_ATTRS) {
    const v = h.template.get(k);
    if (v !== undefined) tx += `<${k}>${cdata(v)}</${k}>`;
  }
  let hl = '';
  if (log) {
    hl = '<HOOKLOG>';
    for (const r of log) {
      hl += `<HOOK_EXECUTION_RECORD><HOOK_ID>${r.hookId}</HOOK_ID><EXECUTION_ID>${r.executionId}</EXECUTION_ID>` +
        `<TIMESTAMP>${r.timestamp}</TIMESTAMP><ARGUMENTS>${esc(r.arguments)}</ARGUMENTS><EXECUTION_RESULT>` +
        `<COMMAND>${esc(r.command)}</COMMAND><STDOUT>${b64(r.stdout)}</STDOUT><STDERR>${b64(r.stderr)}</STDERR>` +
        `<CODE>${r.code}</CODE></EXECUTION_RESULT></HOOK_EXECUTION_RECORD>`;
    }
    hl += '</HOOKLOG>';
  }
  return `<HOOK><ID>${h.id}</ID><NAME>${esc(h.name)}</NAME><TYPE>${h.type}</TYPE><TEMPLATE>${tx}</TEMPLATE>${hl}</HOOK>`;
}

/**
 * What an API hook's `$API` decodes to: the CALL_INFO element of oned's API
 * event (api_info.xsd) as the hook execution manager re-serialises it
 * (libxml2, two-space indent, no trailing newline). IN parameters are the
 * call's, the session shown as ****; OUT parameters are the reply array
 * (true, value, 0 / false, message, code, object id). Values are escaped
 * here; a real oned writes them raw and HEM's parser recovers what it can.
 */
export function callInfoXml(success: boolean, inParams: string[], outParams: string[]): string {
  const param = (pos: number, type: 'IN' | 'OUT', v: string) =>
    `    <PARAMETER>\n      <POSITION>${pos}</POSITION>\n      <TYPE>${type}</TYPE>\n      <VALUE>${v}</VALUE>\n    </PARAMETER>\n`;
  let ps = '';
  inParams.forEach((v, i) => (ps += param(i + 1, 'IN', v)));
  outParams.forEach((v, i) => (ps += param(i + 1, 'OUT', v)));
  return `<CALL_INFO>\n  <RESULT>${success ? 1 : 0}</RESULT>\n  <PARAMETERS>\n${ps}  </PARAMETERS>\n  <EXTRA/>\n</CALL_INFO>`;
}

export function pool(root: string, items: string[]): string {
  return items.length ? `<${root}>${items.join('')}</${root}>` : `<${root}></${root}>`;
}

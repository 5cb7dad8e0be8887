// oned's XML bodies -> typed domain objects. Pure: used by the `decode`
// function (the hook's host XML) and by the OpenNebula client (replies).
import { XMLParser } from 'fast-xml-parser';
import {
  DatastoreSchema, DocumentSchema, HostSchema, OneConfigSchema, RaftStatusSchema, UserSchema, VmSchema,
  type Datastore, type Host, type OneConfig, type OneDocument, type RaftStatus, type Template, type User, type Vm,
} from './one';
import { VM_ATTRS } from './vmPolicy';

/** Elements that repeat in oned's XML; parsed as lists even when there is one. */
const REPEATED = new Set([
  'HOST_POOL.HOST', 'VM_POOL.VM', 'DATASTORE_POOL.DATASTORE', 'DOCUMENT_POOL.DOCUMENT',
  'HOST.VMS.ID', 'VM.HISTORY_RECORDS.HISTORY', 'USER.GROUPS.ID',
  'HOST_POOL.HOST.VMS.ID', 'VM_POOL.VM.HISTORY_RECORDS.HISTORY',
  'HOOK_POOL.HOOK', 'HOOK.HOOKLOG.HOOK_EXECUTION_RECORD', 'CALL_INFO.PARAMETERS.PARAMETER',
]);

const REPEATED_NAMES = new Set([...REPEATED].map((path) => path.slice(path.lastIndexOf('.') + 1)));

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false, // keep "010" and "YES" as strings; numbers are converted where the schema says so
  trimValues: true,
  processEntities: true,
  htmlEntities: true, // numeric references (&#233;) too
  // fast-xml-parser 5 builds the element's path string for every text node and
  // every callback unless jPath is false; then only the few elements that can
  // repeat have their path built (a third of a pool's parse time).
  jPath: false,
  isArray: (name, jpath) => REPEATED_NAMES.has(name) && REPEATED.has(String(jpath)),
  // Big subtrees oneha never reads are kept as raw text, not parsed: a 2,500-host pool parses ~3x faster.
  stopNodes: ['*.HOST_SHARE', '*.MONITORING', 'VM.TEMPLATE', 'VM.USER_TEMPLATE', 'VM_POOL.VM.TEMPLATE', 'VM_POOL.VM.USER_TEMPLATE', '*.SNAPSHOTS', '*.BACKUPS'],
});

export class XmlShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlShapeError';
  }
}

type Node = Record<string, unknown>;

/**
 * Parses XML and returns the single root element, checking its name.
 * `validate` runs the full well-formedness check first: on for XML from a
 * hook payload (untrusted), off for oned's replies, where it would double
 * the cost of a big pool.
 */
export function parseRoot(xml: string, root: string, validate = false): Node {
  let doc: Node;
  try {
    doc = parser.parse(xml, validate) as Node;
  } catch (e) {
    throw new XmlShapeError(`not well-formed XML: ${(e as Error).message.split('\n')[0]}`);
  }
  const roots = Object.keys(doc).filter((k) => k !== '?xml');
  if (roots.length !== 1 || roots[0] !== root) {
    throw new XmlShapeError(`expected a <${root}> document, got ${roots.length ? roots.map((r) => `<${r}>`).join(', ') : 'no element'}`);
  }
  const node = doc[root];
  return (node && typeof node === 'object' ? node : {}) as Node;
}

function num(v: unknown, fallback?: number, name?: string): number {
  if (v === undefined || v === '') {
    if (fallback !== undefined) return fallback;
    throw new XmlShapeError(`${name ?? 'a numeric field'} is empty`);
  }
  // oned writes every number oneha reads as plain decimal digits (an ID, a
  // state, -1 for "none"); Number() would also take "1e3", "+5", "0x1" or " 7".
  if (typeof v === 'object') throw new XmlShapeError(`${name ?? 'a numeric field'} holds elements, not a number`);
  const s = String(v);
  if (!/^-?\d{1,15}$/.test(s)) throw new XmlShapeError(`${name ? `${name} ` : ''}"${s.slice(0, 40)}" is not a whole number written in plain digits`);
  return Number(s);
}
const str = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'object' ? '' : String(v));
const list = <T>(v: unknown): T[] => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v as T]);

function field(node: Node, key: string, what: string): unknown {
  if (!(key in node)) throw new XmlShapeError(`${what} has no ${key}`);
  return node[key];
}

/** Scalar attributes of a TEMPLATE; vector attributes (DISK, NIC, ...) are left out. */
export function flattenTemplate(t: unknown): Template {
  const out: Template = {};
  if (!t || typeof t !== 'object') return out;
  for (const [k, v] of Object.entries(t as Node)) {
    if (v === null || typeof v !== 'object') out[k] = str(v);
  }
  return out;
}

export function hostFromNode(n: Node): Host {
  return HostSchema.parse({
    id: num(field(n, 'ID', 'HOST'), undefined, 'HOST/ID'),
    name: str(field(n, 'NAME', 'HOST')),
    state: num(field(n, 'STATE', 'HOST'), undefined, 'HOST/STATE'),
    prevState: num(n.PREV_STATE, num(n.STATE), 'HOST/PREV_STATE'),
    clusterId: num(n.CLUSTER_ID, -1, 'HOST/CLUSTER_ID'),
    cluster: str(n.CLUSTER),
    vms: list<unknown>((n.VMS as Node | undefined)?.ID).map((x) => num(x, undefined, 'HOST/VMS/ID')),
    template: flattenTemplate(n.TEMPLATE),
    share: hostShare(n.HOST_SHARE),
  });
}

const SHARE_FIELDS = { cpuUsage: 'CPU_USAGE', memUsage: 'MEM_USAGE', totalCpu: 'TOTAL_CPU', totalMem: 'TOTAL_MEM', maxCpu: 'MAX_CPU', maxMem: 'MAX_MEM' } as const;

/** HOST_SHARE's capacity counters (kept as raw text by the parser); undefined when any is missing. */
function hostShare(raw: unknown): Host['share'] {
  const out: Partial<Record<keyof typeof SHARE_FIELDS, number>> = {};
  for (const [k, tag] of Object.entries(SHARE_FIELDS) as [keyof typeof SHARE_FIELDS, string][]) {
    const v = optNum(rawElement(raw, tag));
    if (v === undefined) return undefined;
    out[k] = v;
  }
  return out as Host['share'];
}

/** A scalar element of a subtree kept as raw text (TEMPLATE, USER_TEMPLATE): its text, CDATA or escaped. */
export function rawElement(raw: unknown, tag: string): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const m = new RegExp(`<${tag}>(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))</${tag}>`).exec(raw);
  if (!m) return undefined;
  return m[1] ?? m[2].replace(TEXT_ENTITY, (_, e: string) => TEXT_ENTITIES[e]).trim();
}

const optNum = (v: string | undefined): number | undefined => {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

/** The per-VM HA attributes present in USER_TEMPLATE; undefined when none is (most VMs). */
function vmAttrs(read: (tag: string) => string | undefined): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const tag of VM_ATTRS) {
    const v = read(tag);
    if (v !== undefined) (out ??= {})[tag] = v;
  }
  return out;
}

export function vmFromNode(n: Node): Vm {
  const records = list<Node>((n.HISTORY_RECORDS as Node | undefined)?.HISTORY);
  const lock = (n.LOCK as Node | undefined)?.LOCKED;
  return VmSchema.parse({
    lock: lock === undefined || lock === '' ? undefined : num(lock),
    schedMessage: rawElement(n.USER_TEMPLATE, 'SCHED_MESSAGE'),
    cpu: optNum(rawElement(n.TEMPLATE, 'CPU')),
    memory: optNum(rawElement(n.TEMPLATE, 'MEMORY')),
    attrs: vmAttrs((tag) => rawElement(n.USER_TEMPLATE, tag)),
    id: num(field(n, 'ID', 'VM'), undefined, 'VM/ID'),
    name: str(n.NAME),
    uname: str(n.UNAME),
    gname: str(n.GNAME),
    state: num(field(n, 'STATE', 'VM'), undefined, 'VM/STATE'),
    lcmState: num(n.LCM_STATE, 0),
    resched: num(n.RESCHED, 0),
    history: records
      .map((h) => ({
        seq: num(h.SEQ, 0),
        hostname: str(h.HOSTNAME),
        hid: num(h.HID, -1),
        dsId: num(h.DS_ID, -1),
        action: num(h.ACTION, 0),
        rstime: h.RSTIME === undefined ? undefined : num(h.RSTIME, 0),
      }))
      .sort((a, b) => a.seq - b.seq),
  });
}

export function datastoreFromNode(n: Node): Datastore {
  const t = flattenTemplate(n.TEMPLATE);
  const shared = t.SHARED?.toUpperCase();
  return DatastoreSchema.parse({
    id: num(field(n, 'ID', 'DATASTORE'), undefined, 'DATASTORE/ID'),
    name: str(n.NAME),
    type: num(n.TYPE, -1),
    tmMad: str(n.TM_MAD),
    shared: shared === 'YES' || shared === 'NO' ? shared : undefined,
  });
}

export const parseHost = (xml: string, validate = false): Host => hostFromNode(parseRoot(xml, 'HOST', validate));
export const parseHostPool = (xml: string): Host[] => list<Node>(parseRoot(xml, 'HOST_POOL').HOST).map(hostFromNode);
export const parseVm = (xml: string): Vm => vmFromNode(parseRoot(xml, 'VM'));
/** The general reader of a VM_POOL (any body). */
export const parseVmPoolGeneric = (xml: string): Vm[] => list<Node>(parseRoot(xml, 'VM_POOL').VM).map(vmFromNode);

/**
 * VM pools are the biggest replies oneha reads on a recovery's critical path
 * (a 1,000-VM host), and it needs a handful of fields from each VM. This
 * reads just those with a few string scans, about 5x faster than a full
 * parse; anything it does not recognise exactly sends the whole reply to the
 * general parser instead (test/unit/oneXml.test.ts checks both agree).
 */
export function parseVmPool(xml: string): Vm[] {
  return leanVmPool(xml) ?? parseVmPoolGeneric(xml);
}

const TEXT_ENTITY = /&(lt|gt|amp|quot|apos);/g;
const TEXT_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
function textValue(raw: string): string | undefined {
  const cdata = /^<!\[CDATA\[([\s\S]*)\]\]>$/.exec(raw);
  if (cdata) return cdata[1];
  if (raw.includes('<') || /&#/.test(raw)) return undefined; // markup or numeric entities: not for the lean path
  return raw.replace(TEXT_ENTITY, (_, e: string) => TEXT_ENTITIES[e]).trim();
}

class NotLean extends Error {}

/** The field's text, undefined when absent; a value the lean path cannot read throws NotLean. */
function leanField(block: string, tag: string): string | undefined {
  const open = `<${tag}>`;
  const i = block.indexOf(open);
  if (i < 0) return undefined;
  const j = block.indexOf(`</${tag}>`, i + open.length);
  const v = j < 0 ? undefined : textValue(block.slice(i + open.length, j));
  if (v === undefined) throw new NotLean();
  return v;
}

/** A scalar directly inside a section of the VM (its first <tag>), read the lean way. */
function leanSection(block: string, section: string, tag: string): string | undefined {
  const open = block.indexOf(`<${section}>`);
  if (open < 0) return undefined;
  const close = block.indexOf(`</${section}>`, open);
  return leanField(block.slice(open, close < 0 ? block.length : close), tag);
}

/** vmAttrs on the lean path: USER_TEMPLATE cut out once, and most VMs (no policy attribute) cost one scan. */
function leanAttrs(block: string): Record<string, string> | undefined {
  const open = block.indexOf('<USER_TEMPLATE>');
  if (open < 0) return undefined;
  const close = block.indexOf('</USER_TEMPLATE>', open);
  const section = block.slice(open, close < 0 ? block.length : close);
  if (!section.includes('ONEHA_') && !section.includes('<READY>')) return undefined;
  return vmAttrs((tag) => leanField(section, tag));
}

function leanVmPool(xml: string): Vm[] | undefined {
  try {
    return leanVmPoolOrThrow(xml);
  } catch (e) {
    if (e instanceof NotLean || e instanceof XmlShapeError) return undefined;
    throw e;
  }
}

function leanVmPoolOrThrow(xml: string): Vm[] | undefined {
  const body = xml.trim();
  if (body === '<VM_POOL/>' || body === '<VM_POOL></VM_POOL>') return [];
  if (!body.startsWith('<VM_POOL>') || !body.endsWith('</VM_POOL>')) return undefined;
  const out: Vm[] = [];
  let at = '<VM_POOL>'.length;
  const end = body.length - '</VM_POOL>'.length;
  for (;;) {
    while (at < end && /\s/.test(body[at])) at++;
    if (at >= end) return out;
    if (!body.startsWith('<VM>', at)) return undefined;
    const close = body.indexOf('</VM>', at);
    if (close < 0) return undefined;
    const block = body.slice(at + 4, close);
    at = close + 5;
    // Top-level fields come before the first nested element that could repeat their names.
    const nested = ['<TEMPLATE>', '<MONITORING>', '<USER_TEMPLATE>', '<HISTORY_RECORDS>']
      .map((t) => block.indexOf(t)).filter((k) => k >= 0);
    const head = block.slice(0, nested.length ? Math.min(...nested) : block.length);
    const id = leanField(head, 'ID');
    const state = leanField(head, 'STATE');
    if (id === undefined || state === undefined || head.includes('<![CDATA[<')) return undefined;
    const hr = block.lastIndexOf('<HISTORY_RECORDS>');
    const history: Vm['history'] = [];
    if (hr >= 0) {
      const records = block.slice(hr + '<HISTORY_RECORDS>'.length, block.indexOf('</HISTORY_RECORDS>', hr));
      for (const h of records.split('</HISTORY>')) {
        if (!h.trim()) continue;
        const seq = leanField(h, 'SEQ');
        const hid = leanField(h, 'HID');
        if (seq === undefined || hid === undefined) return undefined;
        const rstime = leanField(h, 'RSTIME');
        history.push({
          seq: num(seq), hostname: leanField(h, 'HOSTNAME') ?? '', hid: num(hid), dsId: num(leanField(h, 'DS_ID'), -1), action: num(leanField(h, 'ACTION'), 0),
          rstime: rstime === undefined ? undefined : num(rstime, 0),
        });
      }
    } else if (block.includes('<HISTORY_RECORDS/>') === false && block.includes('HISTORY')) {
      return undefined;
    }
    history.sort((a, b) => a.seq - b.seq);
    const lock = leanField(head, 'LOCKED');
    const vm = {
      id: num(id), name: leanField(head, 'NAME') ?? '', uname: leanField(head, 'UNAME') ?? '', gname: leanField(head, 'GNAME') ?? '',
      state: num(state), lcmState: num(leanField(head, 'LCM_STATE'), 0), resched: num(leanField(head, 'RESCHED'), 0), history,
      lock: lock === undefined ? undefined : num(lock),
      schedMessage: leanSection(block, 'USER_TEMPLATE', 'SCHED_MESSAGE'),
      cpu: optNum(leanSection(block, 'TEMPLATE', 'CPU')),
      memory: optNum(leanSection(block, 'TEMPLATE', 'MEMORY')),
      attrs: leanAttrs(block),
    };
    const ok = VmSchema.safeParse(vm);
    if (!ok.success) return undefined;
    out.push(ok.data);
  }
}
export const parseDatastorePool = (xml: string): Datastore[] =>
  list<Node>(parseRoot(xml, 'DATASTORE_POOL').DATASTORE).map(datastoreFromNode);

/**
 * The last one.system.config reply read, and what it gave: every flow reads
 * oned's monitoring interval, and parsing the whole configuration each time
 * was ~0.5 ms of CPU per flow (bench hook-ack-latency). A changed reply is parsed anew.
 */
let lastConfig: { xml: string; config: OneConfig } | undefined;

export function parseConfig(xml: string): OneConfig {
  if (lastConfig?.xml === xml) return lastConfig.config;
  const n = parseRoot(xml, 'OPENNEBULA_CONFIGURATION');
  const interval = n.MONITORING_INTERVAL_HOST;
  const config = Object.freeze(OneConfigSchema.parse({
    monitoringIntervalHost: interval === undefined || interval === '' ? undefined : num(Array.isArray(interval) ? interval[0] : interval),
    version: n.VERSION === undefined ? undefined : str(n.VERSION),
  }));
  lastConfig = { xml, config };
  return config;
}

export function parseUser(xml: string): User {
  const n = parseRoot(xml, 'USER');
  return UserSchema.parse({
    id: num(field(n, 'ID', 'USER'), undefined, 'USER/ID'),
    name: str(n.NAME),
    gid: num(n.GID, -1),
    groups: list<unknown>((n.GROUPS as Node | undefined)?.ID).map((x) => num(x)),
  });
}

export function parseRaftStatus(xml: string): RaftStatus {
  const n = parseRoot(xml, 'RAFT');
  return RaftStatusSchema.parse({ serverId: num(n.SERVER_ID, -1), state: num(field(n, 'STATE', 'RAFT'), undefined, 'RAFT/STATE'), term: num(n.TERM, 0) });
}

function documentFromNode(n: Node): OneDocument {
  const t = (n.TEMPLATE ?? {}) as Node;
  return DocumentSchema.parse({ id: num(field(n, 'ID', 'DOCUMENT'), undefined, 'DOCUMENT/ID'), name: str(n.NAME), type: num(n.TYPE, -1), body: str(t.BODY) });
}
export const parseDocument = (xml: string): OneDocument => documentFromNode(parseRoot(xml, 'DOCUMENT'));
export const parseDocumentPool = (xml: string): OneDocument[] =>
  list<Node>(parseRoot(xml, 'DOCUMENT_POOL').DOCUMENT).map(documentFromNode);

// ---------------------------------------------------------------------------
// Hooks (HOOKS.md §5): one.hookpool.info lists them without their log;
// one.hook.info adds HOOKLOG, the execution records oned keeps per hook.

export interface HookExecution {
  executionId: number;
  /** oned's clock, seconds. */
  timestamp: number;
  code: number;
  command: string;
  /** HEM sends them base64-encoded; decoded here. */
  stdout: string;
  stderr: string;
  /** RETRY=yes: a run of `onehook retry`. */
  retry: boolean;
  /** What the hook got, as HEM expanded it (for an API hook, the base64 CALL_INFO). */
  arguments: string;
}

export interface OneHook {
  id: number;
  name: string;
  /** state, api, ... */
  type: string;
  /** COMMAND, ARGUMENTS, RESOURCE, STATE, REMOTE... */
  template: Template;
  /** Only one.hook.info carries it; oldest first. */
  log: HookExecution[];
}

const fromBase64 = (b: string): string => (b ? new TextDecoder().decode(Uint8Array.from(atob(b), (c) => c.charCodeAt(0))) : '');

function hookFromNode(n: Node): OneHook {
  const records = list<Node>((n.HOOKLOG as Node | undefined)?.HOOK_EXECUTION_RECORD);
  return {
    id: num(field(n, 'ID', 'HOOK'), undefined, 'HOOK/ID'),
    name: str(n.NAME),
    type: str(n.TYPE),
    template: flattenTemplate(n.TEMPLATE),
    log: records.map((r) => {
      const res = (r.EXECUTION_RESULT ?? {}) as Node;
      return {
        executionId: num(r.EXECUTION_ID, -1), timestamp: num(r.TIMESTAMP, 0), code: num(res.CODE, -1), command: str(res.COMMAND),
        stdout: fromBase64(str(res.STDOUT)), stderr: fromBase64(str(res.STDERR)), retry: str(r.RETRY).toLowerCase() === 'yes', arguments: str(r.ARGUMENTS),
      };
    }).sort((a, b) => a.executionId - b.executionId),
  };
}

export const parseHook = (xml: string): OneHook => hookFromNode(parseRoot(xml, 'HOOK'));
export const parseHookPool = (xml: string): OneHook[] => list<Node>(parseRoot(xml, 'HOOK_POOL').HOOK).map(hookFromNode);

// ---------------------------------------------------------------------------
// An API hook's $API (api_info.xsd, HOOKS.md §4): whether the call succeeded,
// its IN parameters (the session shown as ****) and its reply array as OUT
// parameters, each list in POSITION order.

export interface CallInfo {
  result: boolean;
  in: string[];
  out: string[];
}

export function parseCallInfo(xml: string): CallInfo {
  const n = parseRoot(xml, 'CALL_INFO', true);
  const info: CallInfo = { result: str(n.RESULT) === '1', in: [], out: [] };
  for (const p of list<Node>((n.PARAMETERS as Node | undefined)?.PARAMETER)) {
    const pos = num(p.POSITION, undefined, 'PARAMETER/POSITION');
    const type = str(p.TYPE);
    // oned's methods take a handful of parameters; a bigger position is not oned's.
    if (pos < 1 || pos > 32 || (type !== 'IN' && type !== 'OUT')) throw new XmlShapeError(`PARAMETER ${type} ${pos} is not one of oned's`);
    (type === 'IN' ? info.in : info.out)[pos - 1] = str(p.VALUE);
  }
  return info;
}

// oned's XML-RPC methods over the simulated cloud: parameter checking
// (xmlrpc-c faults), authentication, authorization and the reply arrays
// (OpenNebula XML-RPC reference). Transport-free: server.ts feeds it parsed calls.
import { Cloud, ErrorCode, OneError, notAuthorized } from './cloud';
import type { SimUser } from './model';
import { FIREEDGE_METHODS } from './fireedge';
import { configXml } from './oneConfig';
import { RpcEscaped, escRpc } from './template';

type ParamType = 'i' | 's' | 'b';
type Value = string | number | boolean | RpcEscaped;

interface Ctx {
  cloud: Cloud;
  user: SimUser;
  admin: boolean;
}

interface MethodDef {
  /** Parameter types after the session. */
  params: ParamType[];
  optional?: ParamType[];
  /** Index (in the full parameter list, session = 0) of the object id, for logs and error injection. */
  idParam?: number;
  mutating?: boolean;
  run(ctx: Ctx, a: any[]): Value;
}

const adminOnly = (ctx: Ctx, kind: 'host' | 'hook' | 'acl', id: number, op: 'MANAGE' | 'ADMIN' | 'USE' = 'MANAGE') => {
  if (!ctx.admin) throw notAuthorized(ctx.user, op, kind, id);
};

export const METHODS: Record<string, MethodDef> = {
  'one.system.version': { params: [], run: (c) => c.cloud.version },
  'one.system.config': {
    params: [],
    run: (c) => configXml({ admin: c.admin, monitoringIntervalHost: c.cloud.monitoringIntervalHost }),
  },

  'one.host.info': { params: ['i'], optional: ['b'], idParam: 1, run: (c, [id]) => c.cloud.hostXml(id, undefined, c.user) },
  'one.hostpool.info': { params: [], run: (c) => c.cloud.hostPoolXml(c.user) },

  // ACL rules: only administrators read or change them (oned authorizes MANAGE on the ACL object).
  'one.acl.info': { params: [], run: (c) => (adminOnly(c, 'acl', -1, 'USE'), c.cloud.aclPoolXml()) },
  'one.acl.addrule': { params: ['s', 's', 's'], optional: ['s'], mutating: true, run: (c, [user, resource, rights, zone = '']) => (adminOnly(c, 'acl', -1), c.cloud.aclAdd(user, resource, rights, zone)) },
  'one.acl.delrule': { params: ['i'], idParam: 1, mutating: true, run: (c, [id]) => (adminOnly(c, 'acl', id), c.cloud.aclDelete(id)) },
  'one.host.update': {
    params: ['i', 's'], optional: ['i'], idParam: 1, mutating: true,
    run: (c, [id, text, type = 0]) => {
      c.cloud.mustHost(id);
      adminOnly(c, 'host', id);
      c.cloud.hostUpdate(id, text, type);
      return id;
    },
  },
  'one.host.status': {
    params: ['i', 'i'], idParam: 1, mutating: true,
    run: (c, [id, status]) => {
      c.cloud.mustHost(id);
      adminOnly(c, 'host', id);
      c.cloud.hostStatus(id, status);
      return id;
    },
  },

  'one.vm.info': {
    params: ['i'], optional: ['b'], idParam: 1,
    run: (c, [id]) => {
      const vm = c.cloud.mustVm(id);
      if (!c.cloud.vmAllowed(c.user, vm, 'USE')) throw notAuthorized(c.user, 'USE', 'vm', id);
      return c.cloud.vmXml(id);
    },
  },
  'one.vmpool.info': {
    params: ['i', 'i', 'i', 'i'], optional: ['s'],
    run: (c, [filter, start, end, state, query = '']) => vmPool(c, filter, start, end, state, query, false),
  },
  'one.vmpool.infoextended': {
    params: ['i', 'i', 'i', 'i'], optional: ['s'],
    run: (c, [filter, start, end, state, query = '']) => vmPool(c, filter, start, end, state, query, true),
  },
  'one.vmpool.infoset': {
    params: ['s', 'b'],
    run: (c, [set, extended]) => {
      // oned reads each comma-separated word's leading digits and skips words without any ("1,x" = VM 1).
      const wanted = new Set(String(set).split(',').map((x) => /^\s*(\d+)/.exec(x)?.[1]).filter((x) => x !== undefined).map(Number));
      const vms = [...wanted].sort((a, b) => b - a)
        .map((id) => c.cloud.vm(id))
        .filter((vm): vm is NonNullable<typeof vm> => !!vm && c.cloud.vmAllowed(c.user, vm, 'USE'));
      return c.cloud.vmPoolRpc(vms, extended);
    },
  },
  'one.vm.action': {
    params: ['s', 'i'], idParam: 2, mutating: true,
    run: (c, [action, id]) => {
      c.cloud.vmAction(action, id, c.user);
      return id;
    },
  },
  'one.vm.recover': {
    params: ['i', 'i'], idParam: 1, mutating: true,
    run: (c, [id, op]) => {
      c.cloud.vmRecover(id, op, c.user);
      return id;
    },
  },
  'one.vm.migrate': {
    params: ['i', 'i', 'b'], optional: ['b', 'i', 'i'], idParam: 1, mutating: true,
    run: (c, [id, host, live, enforce = false, ds = -1]) => {
      c.cloud.vmMigrate(id, host, live, enforce, ds, c.user);
      return id;
    },
  },
  'one.vm.deploy': {
    params: ['i', 'i'], optional: ['b', 'i', 's'], idParam: 1, mutating: true,
    run: (c, [id, host, enforce = false, ds = -1]) => {
      c.cloud.vmDeploy(id, host, enforce, ds, c.user);
      return id;
    },
  },
  'one.vm.lock': {
    params: ['i', 'i'], optional: ['b'], idParam: 1, mutating: true,
    run: (c, [id, level, test = false]) => {
      c.cloud.vmLock(id, level, test, c.user);
      return id;
    },
  },
  'one.vm.unlock': {
    params: ['i'], idParam: 1, mutating: true,
    run: (c, [id]) => {
      c.cloud.vmUnlock(id, c.user);
      return id;
    },
  },
  'one.vm.update': {
    params: ['i', 's'], optional: ['i'], idParam: 1, mutating: true,
    run: (c, [id, text, type = 0]) => {
      c.cloud.vmUpdate(id, text, type, c.user);
      return id;
    },
  },

  'one.datastorepool.info': { params: [], run: (c) => c.cloud.datastorePoolXml() },
  'one.datastore.info': { params: ['i'], optional: ['b'], idParam: 1, run: (c, [id]) => c.cloud.datastoreXml(id) },

  'one.user.info': {
    params: ['i'], optional: ['b'], idParam: 1,
    run: (c, [id]) => {
      const uid = id === -1 ? c.user.id : id;
      const xml = c.cloud.userXml(uid);
      if (uid !== c.user.id && !c.admin) throw notAuthorized(c.user, 'USE', 'user', uid);
      return xml;
    },
  },
  'one.user.login': {
    params: ['s', 's', 'i'], optional: ['i'],
    run: (c, [name, token, valid, egid = -1]) => c.cloud.login(c.user, name, token, valid, egid),
  },
  'one.zone.raftstatus': { params: [], run: (c) => c.cloud.raftXml() },

  'one.document.allocate': { params: ['s', 'i'], mutating: true, run: (c, [text, type]) => c.cloud.documentAllocate(text, type, c.user) },
  'one.document.info': { params: ['i'], optional: ['b'], idParam: 1, run: (c, [id]) => c.cloud.documentXml(id, c.user) },
  'one.document.update': {
    params: ['i', 's'], optional: ['i'], idParam: 1, mutating: true,
    run: (c, [id, text, type = 0]) => {
      c.cloud.documentUpdate(id, text, type, c.user);
      return id;
    },
  },
  'one.document.delete': {
    params: ['i'], idParam: 1, mutating: true,
    run: (c, [id]) => {
      c.cloud.documentDelete(id, c.user);
      return id;
    },
  },
  'one.document.lock': {
    params: ['i', 'i'], optional: ['b'], idParam: 1, mutating: true,
    run: (c, [id, level, test = false]) => {
      c.cloud.documentLock(id, level, test, c.user);
      return id;
    },
  },
  'one.document.unlock': {
    params: ['i'], idParam: 1, mutating: true,
    run: (c, [id]) => {
      c.cloud.documentUnlock(id, c.user);
      return id;
    },
  },
  'one.documentpool.info': {
    params: ['i', 'i', 'i', 'i'],
    run: (c, [filter, start, end, type]) => c.cloud.documentPoolXml(c.user, filter, start, end, type),
  },

  'one.hook.info': {
    params: ['i'], optional: ['b'], idParam: 1,
    run: (c, [id]) => {
      const xml = c.cloud.hookXml(id, true);
      adminOnly(c, 'hook', id, 'USE');
      return xml;
    },
  },
  'one.hookpool.info': { params: [], run: (c) => (c.admin ? c.cloud.hookPoolXml() : '<HOOK_POOL></HOOK_POOL>') },
  'one.hook.update': {
    params: ['i', 's'], optional: ['i'], idParam: 1, mutating: true,
    run: (c, [id, text, type = 0]) => {
      c.cloud.mustHook(id);
      adminOnly(c, 'hook', id);
      c.cloud.hookUpdate(id, text, type);
      return id;
    },
  },
  ...FIREEDGE_METHODS,
};

/** Methods whose calls change something (the simulator's mutatingCalls()). */
export const MUTATING_METHODS = new Set(Object.entries(METHODS).filter(([, m]) => m.mutating).map(([k]) => k));

function vmPool(c: Ctx, filter: number, start: number, end: number, state: number, query: string, extended: boolean): RpcEscaped {
  if (query) throw new OneError(ErrorCode.INTERNAL, 'Error getting pool: JSON queries need a MySQL backend');
  return c.cloud.vmPoolRpc(c.cloud.selectVms(c.user, filter, start, end, state), extended);
}

// ---------------------------------------------------------------------------

export type RpcOutcome =
  | { kind: 'ok'; value: Value }
  | { kind: 'error'; code: number; message: string; objectId: number }
  | { kind: 'fault'; code: number; message: string };

/** xmlrpc-c's paramList getters (getInt, getString, getBoolean) reject a wrong type with these texts. */
const WRONG_TYPE: Record<ParamType, string> = {
  i: 'Parameter that is supposed to be integer is not',
  s: 'Parameter that is supposed to be a string is not',
  b: 'Parameter that is supposed to be boolean is not',
};

function fits(t: ParamType, v: unknown): boolean {
  if (t === 'i') return typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
  if (t === 's') return typeof v === 'string';
  return typeof v === 'boolean';
}

/** xmlrpc-c's checks: missing or ill-typed parameters are faults, not reply arrays. */
export function checkParams(method: string, params: unknown[]): RpcOutcome | undefined {
  const def = METHODS[method];
  if (!def) return { kind: 'fault', code: -506, message: `Method '${method}' not defined` };
  const types: ParamType[] = ['s', ...def.params];
  for (let i = 0; i < types.length; i++) {
    if (i >= params.length) return { kind: 'fault', code: -501, message: 'Not enough parameters' };
    if (!fits(types[i], params[i])) {
      return { kind: 'fault', code: -501, message: WRONG_TYPE[types[i]] };
    }
  }
  const opt = def.optional ?? [];
  for (let j = 0; j < opt.length && types.length + j < params.length; j++) {
    const v = params[types.length + j];
    if (!fits(opt[j], v)) {
      return { kind: 'fault', code: -501, message: WRONG_TYPE[opt[j]] };
    }
  }
  return undefined;
}

/** The object id a call is about (-1 if none). */
export function callObjectId(method: string, params: unknown[]): number {
  const i = METHODS[method]?.idParam;
  const v = i === undefined ? undefined : params[i];
  return typeof v === 'number' ? v : -1;
}

export function authenticationError(): RpcOutcome {
  return { kind: 'error', code: ErrorCode.AUTHENTICATION, message: "User couldn't be authenticated, aborting call.", objectId: -1 };
}

/** Runs an authenticated, well-typed call. */
export function execute(cloud: Cloud, user: SimUser, method: string, params: unknown[]): RpcOutcome {
  const o = run(cloud, user, method, params);
  // oned's API event (HookAPI): every authenticated call, applied or refused, its reply in CALL_INFO.
  if (o.kind !== 'fault') cloud.apiEvent(method, params.slice(1), o.kind === 'ok' ? { ok: true, value: o.value } : { ok: false, ...o });
  return o;
}

function run(cloud: Cloud, user: SimUser, method: string, params: unknown[]): RpcOutcome {
  const def = METHODS[method];
  if (def.mutating && cloud.raft.state === 1) {
    return { kind: 'error', code: ErrorCode.INTERNAL, message: 'Cannot process request, oned cluster in election mode', objectId: -1 };
  }
  try {
    const value = def.run({ cloud, user, admin: cloud.isAdmin(user) }, params.slice(1));
    return { kind: 'ok', value };
  } catch (e) {
    // oned names the object in the reply only when it could not be found or used (NO_EXISTS, AUTHORIZATION...);
    // a refused action or status change answers -1.
    if (e instanceof OneError) return { kind: 'error', code: e.code, message: e.message, objectId: e.code === ErrorCode.ACTION || e.code === ErrorCode.INTERNAL ? -1 : e.objectId };
    return { kind: 'error', code: ErrorCode.INTERNAL, message: `Internal error: ${(e as Error).message}`, objectId: -1 };
  }
}

// ---------------------------------------------------------------------------
// Serialisation (xmlrpc-c style; i4 ints, i8 for the Raft index)

const escText = escRpc;

function valueXml(v: Value): string {
  if (v instanceof RpcEscaped) return `<value><string>${v.escaped}</string></value>`;
  if (typeof v === 'string') return `<value><string>${escText(v)}</string></value>`;
  if (typeof v === 'boolean') return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
  return `<value><i4>${v}</i4></value>`;
}

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\r\n<methodResponse>\r\n<params>\r\n<param><value><array><data>\r\n';
const TAIL = '</data></array></value></param>\r\n</params>\r\n</methodResponse>\r\n';

export function responseXml(o: RpcOutcome, method: string): string {
  if (o.kind === 'ok') {
    return `${HEAD}<value><boolean>1</boolean></value>\r\n${valueXml(o.value)}\r\n<value><i4>0</i4></value>\r\n${TAIL}`;
  }
  if (o.kind === 'error') {
    return `${HEAD}<value><boolean>0</boolean></value>\r\n${valueXml(`[${method}] ${o.message}`)}\r\n` +
      `<value><i4>${o.code}</i4></value>\r\n<value><i4>${o.objectId}</i4></value>\r\n<value><i8>-1</i8></value>\r\n${TAIL}`;
  }
  return '<?xml version="1.0" encoding="UTF-8"?>\r\n<methodResponse>\r\n<fault>\r\n<value><struct>\r\n' +
    `<member><name>faultCode</name>\r\n<value><i4>${o.code}</i4></value></member>\r\n` +
    `<member><name>faultString</name>\r\n<value><string>${escText(o.message)}</string></value></member>\r\n` +
    '</struct></value>\r\n</fault>\r\n</methodResponse>\r\n';
}

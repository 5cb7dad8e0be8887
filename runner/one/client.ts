// A typed, promise-based OpenNebula client over XML-RPC (see transport.ts).
// Replies are oned's arrays (OpenNebula XML-RPC reference); failures become OneError with
// oned's code and message; every call has a deadline.
import type { OneApi } from '../../model/ports';
import { OneError, OneErrorCode } from '../../model/errors';
import * as xml from '../../model/oneXml';
import { poolSlices } from './poolSlices';
import { serializeMethodCall } from './methodCall';
import { TransportTimeout, XmlRpcFault, XmlRpcTransport } from './transport';

/** About this much pool XML is parsed between two turns of the event loop (a few ms of work). */
const POOL_SLICE_CHARS = 64 * 1024;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface OneClientOptions {
  endpoint: string;
  /** "user:password" or "user:token". */
  session: string;
  timeoutMs?: number;
  /** Sockets kept open to oned; oned itself allows MAX_CONN 15. */
  maxSockets?: number;
}

type XmlRpcValue = string | number | boolean;

export class OneClient implements OneApi {
  private readonly transport: XmlRpcTransport;
  private readonly timeoutMs: number;
  private readonly session: string;
  readonly endpoint: string;

  constructor(opts: OneClientOptions, transport?: XmlRpcTransport) {
    this.transport = transport ?? new XmlRpcTransport(opts.endpoint, opts.maxSockets ?? 12);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.session = opts.session;
    this.endpoint = opts.endpoint;
  }

  /** The same oned and credentials over sockets of its own: the runner's reads cannot starve its flows, nor the reverse. */
  withOwnSockets(maxSockets: number): OneClient {
    return new OneClient({ endpoint: this.endpoint, session: this.session, timeoutMs: this.timeoutMs }, this.transport.withOwnSockets(maxSockets));
  }

  /** Another client for the same oned with other credentials (UI sign-in). */
  as(session: string): OneClient {
    return new OneClient({ endpoint: this.endpoint, session, timeoutMs: this.timeoutMs }, this.transport);
  }

  /** One raw call: the session goes first, as oned expects. Returns reply[1]. */
  async call<T = unknown>(method: string, ...params: XmlRpcValue[]): Promise<T> {
    let reply: unknown;
    try {
      reply = await this.transport.call(method, [this.session, ...params], this.timeoutMs);
    } catch (e) {
      throw toOneError(method, this.endpoint, this.timeoutMs, e);
    }
    if (!Array.isArray(reply) || reply.length < 3 || typeof reply[0] !== 'boolean') {
      throw new OneError(method, OneErrorCode.FAULT, `[${method}] unexpected reply shape from oned`);
    }
    if (!reply[0]) throw new OneError(method, Number(reply[2]), String(reply[1]), reply.length > 3 ? Number(reply[3]) : -1);
    return reply[1] as T;
  }

  /** Sockets to oned are kept alive; close them when done (CLI, tests). */
  close(): void {
    this.transport.close();
  }

  private async xmlCall<T>(parse: (s: string) => T, method: string, ...params: XmlRpcValue[]): Promise<T> {
    const body = await this.call<string>(method, ...params);
    return parsed(method, () => parse(body));
  }

  /**
   * A pool reply parsed a slice of whole elements at a time, yielding to the
   * event loop in between, so a big pool never stalls the runner's other work
   * (hook acknowledgements) for the whole parse; the result is the same.
   */
  private async poolCall<T>(parse: (s: string) => T[], root: string, element: string, method: string, ...params: XmlRpcValue[]): Promise<T[]> {
    const body = await this.call<string>(method, ...params);
    const slices = body.length > POOL_SLICE_CHARS ? poolSlices(body, root, element, POOL_SLICE_CHARS) : undefined;
    return parsed(method, async () => {
      if (!slices) return parse(body);
      const out: T[] = [];
      for (const [i, slice] of slices.entries()) {
        if (i > 0) await nextTurn();
        for (const x of parse(slice)) out.push(x);
      }
      return out;
    });
  }

  systemVersion = () => this.call<string>('one.system.version');
  systemConfig = () => this.xmlCall(xml.parseConfig, 'one.system.config');
  hostInfo = (id: number) => this.xmlCall(xml.parseHost, 'one.host.info', id);
  hostPoolInfo = () => this.poolCall(xml.parseHostPool, 'HOST_POOL', 'HOST', 'one.hostpool.info');
  hostUpdate = (id: number, template: string, merge: boolean) => this.call<number>('one.host.update', id, template, merge ? 1 : 0);
  hostStatus = (id: number, status: 0 | 1 | 2) => this.call<number>('one.host.status', id, status);
  vmInfo = (id: number) => this.xmlCall(xml.parseVm, 'one.vm.info', id);
  vmPoolInfo = (filter: number, start: number, end: number, state: number) =>
    this.poolCall(xml.parseVmPool, 'VM_POOL', 'VM', 'one.vmpool.info', filter, start, end, state);
  vmPoolInfoExtended = (filter: number, start: number, end: number, state: number) =>
    this.poolCall(xml.parseVmPool, 'VM_POOL', 'VM', 'one.vmpool.infoextended', filter, start, end, state);
  vmPoolInfoSet = (ids: number[], extended: boolean) => this.poolCall(xml.parseVmPool, 'VM_POOL', 'VM', 'one.vmpool.infoset', ids.join(','), extended);
  vmAction = (action: string, id: number) => this.call<number>('one.vm.action', action, id);
  vmRecover = (id: number, operation: number) => this.call<number>('one.vm.recover', id, operation);
  vmLock = (id: number, level: number) => this.call<number>('one.vm.lock', id, level);
  vmUnlock = (id: number) => this.call<number>('one.vm.unlock', id);
  datastorePoolInfo = () => this.poolCall(xml.parseDatastorePool, 'DATASTORE_POOL', 'DATASTORE', 'one.datastorepool.info');
  /**
   * oned's clock as the Date header of its reply to one.system.version says
   * (xmlrpc-c's Abyss writes it to the second), with this machine's clock when
   * the call was sent and answered. A request of its own: the transport keeps
   * only the body.
   */
  async onedDate(): Promise<{ date?: number; sentAt: number; receivedAt: number }> {
    const sentAt = Date.now();
    const res = await fetch(this.endpoint, {
      method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: serializeMethodCall('one.system.version', [this.session]),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    await res.arrayBuffer();
    const receivedAt = Date.now();
    const date = Date.parse(res.headers.get('date') ?? '');
    return { ...(Number.isFinite(date) ? { date } : {}), sentAt, receivedAt };
  }

  /** Hooks without their execution log (oned answers an empty pool to non-administrators). */
  hookPoolInfo = () => this.xmlCall(xml.parseHookPool, 'one.hookpool.info');
  /** One hook with HOOKLOG, its last execution records. */
  hookInfo = (id: number) => this.xmlCall(xml.parseHook, 'one.hook.info', id);
  /** one.hook.update: merge (1) or replace (0) the hook's template; the readiness probe merges its nonce. */
  hookUpdate = (id: number, template: string, merge: boolean) => this.call<number>('one.hook.update', id, template, merge ? 1 : 0);
  userInfo = (id: number) => this.xmlCall(xml.parseUser, 'one.user.info', id);
  /** A login token for `username`, valid `validSeconds` (as FireEdge signs users in): "username:token" is then a session. */
  userLogin = (username: string, token: string, validSeconds: number, egid = -1) => this.call<string>('one.user.login', username, token, validSeconds, egid);
  zoneRaftStatus = () => this.xmlCall(xml.parseRaftStatus, 'one.zone.raftstatus');
  documentAllocate = (template: string, type: number) => this.call<number>('one.document.allocate', template, type);
  documentInfo = (id: number) => this.xmlCall(xml.parseDocument, 'one.document.info', id);
  documentUpdate = (id: number, template: string, merge: boolean) => this.call<number>('one.document.update', id, template, merge ? 1 : 0);
  documentDelete = (id: number) => this.call<number>('one.document.delete', id);
  documentPoolInfo = (filter: number, start: number, end: number, type: number) =>
    this.poolCall(xml.parseDocumentPool, 'DOCUMENT_POOL', 'DOCUMENT', 'one.documentpool.info', filter, start, end, type);
}

/** A reply that does not parse is oned's fault, reported with the method. */
async function parsed<T>(method: string, parse: () => T | Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (e) {
    throw new OneError(method, OneErrorCode.FAULT, `[${method}] reply did not parse: ${(e as Error).message}`);
  }
}

function toOneError(method: string, endpoint: string, timeoutMs: number, e: unknown): OneError {
  if (e instanceof OneError) return e;
  if (e instanceof XmlRpcFault) return new OneError(method, OneErrorCode.FAULT, `[${method}] XML-RPC fault ${e.faultCode}: ${e.faultString}`);
  if (e instanceof TransportTimeout) return new OneError(method, OneErrorCode.TIMEOUT, `[${method}] no answer from oned at ${endpoint} within ${timeoutMs} ms`);
  const err = e as NodeJS.ErrnoException;
  const why = err?.code === 'ECONNREFUSED' ? 'connection refused (is oned running?)'
    : err?.code === 'ENOTFOUND' ? 'host not found'
    : err?.code === 'ECONNRESET' ? 'connection reset'
    : err?.message ?? String(e);
  return new OneError(method, OneErrorCode.TRANSPORT, `[${method}] cannot reach oned at ${endpoint}: ${why}`);
}

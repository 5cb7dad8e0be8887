// The simulated oned: an HTTP server answering XML-RPC at /RPC2 (parsed with
// the `xmlrpc` package's deserializer, answered in xmlrpc-c's dialect) and a
// JSON control API under /sim/ on the same port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { Cloud, ErrorCode, type SimClock, type SimTimer } from './cloud';
import type { HookRun, SimEvent } from './model';
import { MUTATING_METHODS, authenticationError, callObjectId, checkParams, execute, responseXml, type RpcOutcome } from './rpc';
import { readMethodCall } from './methodCallReader';
import { FaultsSpecSchema, parseScenario, type ErrorFault, type FaultsSpec, type Scenario } from './scenario';

export interface CallRecord {
  seq: number;
  /** Arrival time, ms (simulator clock). */
  at: number;
  method: string;
  /** Parameters as received; the session (params[0]) is replaced by "<session>". */
  params: unknown[];
  ok: boolean;
  /** 0 on success, oned's error code on failure, the (negative) fault code for XML-RPC faults. */
  code: number;
  fault?: true;
  /** Error or fault text. */
  message?: string;
  durationMs: number;
}

interface ErrorFaultState {
  method: string;
  id?: number;
  action?: string;
  code: number;
  message?: string;
  remaining: number;
}

const CODE_BY_NAME: Record<string, number> = ErrorCode;
const DEFAULT_MESSAGES: Record<number, string> = {
  256: "User couldn't be authenticated, aborting call.",
  512: 'Not authorized to perform the operation (simulated fault).',
  1024: 'Error getting object (simulated fault).',
  2048: 'Error performing action (simulated fault).',
  4096: 'Wrong argument (simulated fault).',
  8192: 'Internal error (simulated fault).',
  16384: 'Error allocating object (simulated fault).',
  32768: 'Resource is locked (simulated fault).',
  65536: 'Error replicating log entry (simulated fault).',
};

/** Run-time fault injection. */
export class Faults {
  latencyMs = 0;
  methodLatencyMs: Record<string, number> = {};
  objectLatencyMs: Record<string, number> = {};
  authFailure = false;
  private errorList: ErrorFaultState[] = [];

  constructor(private readonly cloud: Cloud) {}

  /** Merges a fault spec: given fields replace the current ones (errors are appended). */
  set(spec: FaultsSpec): void {
    const s = FaultsSpecSchema.parse(spec);
    if (s.latencyMs !== undefined) this.latencyMs = s.latencyMs;
    if (s.methodLatencyMs) this.methodLatencyMs = { ...this.methodLatencyMs, ...s.methodLatencyMs };
    if (s.objectLatencyMs) this.objectLatencyMs = { ...this.objectLatencyMs, ...s.objectLatencyMs };
    if (s.authFailure !== undefined) this.authFailure = s.authFailure;
    for (const e of s.errors ?? []) this.addError(e);
    for (const r of s.restoreHosts ?? []) this.cloud.scheduleRestore(r.hostId, r.afterMs);
    for (const f of s.failHosts ?? []) this.cloud.scheduleFail(f.hostId, f.afterMs, f.restoreAfterMs);
    for (const b of s.bootFailures ?? []) this.cloud.failBoots(b);
  }

  /** Global latency, or the latency of one method. */
  setLatency(ms: number, method?: string): void {
    if (method) this.methodLatencyMs[method] = ms;
    else this.latencyMs = ms;
  }

  addError(e: ErrorFault): void {
    const code = typeof e.code === 'number' ? e.code : CODE_BY_NAME[e.code];
    this.errorList.push({ method: e.method, id: e.id, action: e.action, code, message: e.message, remaining: e.times ?? Infinity });
  }

  setAuthFailure(on: boolean): void {
    this.authFailure = on;
  }

  clear(): void {
    this.latencyMs = 0;
    this.methodLatencyMs = {};
    this.objectLatencyMs = {};
    this.authFailure = false;
    this.errorList = [];
  }

  get errors(): ReadonlyArray<Readonly<ErrorFaultState>> {
    return this.errorList;
  }

  /** Current faults (same as snapshot()). */
  get() {
    return this.snapshot();
  }

  snapshot() {
    return {
      latencyMs: this.latencyMs,
      methodLatencyMs: { ...this.methodLatencyMs },
      objectLatencyMs: { ...this.objectLatencyMs },
      authFailure: this.authFailure,
      errors: this.errorList.map((e) => ({ ...e, remaining: Number.isFinite(e.remaining) ? e.remaining : null })),
    };
  }

  /** Latency for this call: global, per method, and per object (a slow host for one flow). */
  delayFor(method: string, params: unknown[] = []): number {
    const id = callObjectId(method, params);
    const perObject = id === undefined || id < 0 ? 0 : (this.objectLatencyMs[`${method}:${id}`] ?? this.objectLatencyMs[`*:${id}`] ?? 0);
    return this.latencyMs + (this.methodLatencyMs[method] ?? 0) + perObject;
  }

  /** The injected error for this call, if any (consumes one of its `times`). */
  take(method: string, params: unknown[]): RpcOutcome | undefined {
    const id = callObjectId(method, params);
    for (const e of this.errorList) {
      if (e.remaining <= 0) continue;
      if (e.method !== '*' && e.method !== method) continue;
      if (e.id !== undefined && e.id !== id) continue;
      if (e.action !== undefined && params[1] !== e.action) continue;
      e.remaining--;
      this.errorList = this.errorList.filter((x) => x.remaining > 0);
      return { kind: 'error', code: e.code, message: e.message ?? DEFAULT_MESSAGES[e.code] ?? 'Simulated failure.', objectId: id };
    }
    return undefined;
  }
}

export interface StartOptions {
  scenario: Scenario;
  /** 0 (default) = pick a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Timestamps (STIME, ETIME, call log...) and, when it has setTimer, every timer (scheduler, monitoring, latency). */
  clock?: SimClock;
}

export interface Simulator {
  /** XML-RPC endpoint, http://127.0.0.1:PORT/RPC2 */
  readonly url: string;
  readonly port: number;
  /** Base of the control API, http://127.0.0.1:PORT/sim */
  readonly controlUrl: string;
  readonly cloud: Cloud;
  readonly calls: CallRecord[];
  mutatingCalls(): CallRecord[];
  resetCalls(): void;
  readonly faults: Faults;
  /** Calls waiting out their injected latency (a virtual-clock driver counts them as parked, not busy). */
  readonly delayedCalls: number;
  /** Hook executions (finished ones). */
  readonly hookRuns: HookRun[];
  /** Resolves when the hook commands started so far have finished. */
  hooksIdle(): Promise<void>;
  /** Host/VM state transitions. */
  readonly events: SimEvent[];
  /** Stop listening (connections refused) / listen again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  readonly isDown: boolean;
  /** !isDown */
  isUp(): boolean;
  close(): Promise<void>;
}

class SimulatorImpl implements Simulator {
  readonly calls: CallRecord[] = [];
  readonly faults: Faults;
  private server: http.Server;
  private seq = 0;
  private downFlag = false;
  private downHold?: NodeJS.Timeout;
  private closed = false;
  private readonly delays = new Set<SimTimer>();
  port = 0;

  constructor(readonly cloud: Cloud, private readonly bindHost: string) {
    this.faults = new Faults(cloud);
    this.server = this.createServer();
  }

  get url(): string {
    return `http://${this.urlHost}:${this.port}/RPC2`;
  }
  get controlUrl(): string {
    return `http://${this.urlHost}:${this.port}/sim`;
  }
  private get urlHost(): string {
    const h = this.bindHost === '0.0.0.0' || this.bindHost === '::' ? '127.0.0.1' : this.bindHost;
    return h.includes(':') ? `[${h}]` : h;
  }
  get hookRuns(): HookRun[] {
    return this.cloud.hookRuns;
  }
  get events(): SimEvent[] {
    return this.cloud.events;
  }
  get isDown(): boolean {
    return this.downFlag;
  }
  get delayedCalls(): number {
    return this.delays.size;
  }

  hooksIdle(): Promise<void> {
    return this.cloud.hooksIdle();
  }

  isUp(): boolean {
    return !this.downFlag && !this.closed;
  }

  mutatingCalls(): CallRecord[] {
    return this.calls.filter((c) => MUTATING_METHODS.has(c.method));
  }

  resetCalls(): void {
    this.calls.length = 0;
  }

  private createServer(): http.Server {
    const s = http.createServer((req, res) => this.route(req, res));
    s.keepAliveTimeout = 15_000;
    return s;
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once('error', onError);
      this.server.listen(port, this.bindHost, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.cloud.zoneEndpoint = this.url;
  }

  async down(): Promise<void> {
    if (this.downFlag || this.closed) return;
    this.downFlag = true;
    await this.stopServer();
  }

  async up(): Promise<void> {
    if (!this.downFlag || this.closed) return;
    this.server = this.createServer();
    await this.listen(this.port);
    this.downFlag = false;
  }

  private async stopServer(): Promise<void> {
    const s = this.server;
    if (!s.listening) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeAllConnections();
    await closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.downHold);
    for (const t of this.delays) t.cancel();
    this.delays.clear();
    this.cloud.stop();
    if (!this.downFlag) await this.stopServer();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.cloud.timeout(() => {
        this.delays.delete(t);
        resolve();
      }, ms);
      this.delays.add(t);
    });
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '/';
    const path = url.split('?')[0];
    if (path === '/RPC2' || path === '/RPC2/') {
      if (req.method !== 'POST') {
        res.writeHead(405, { Allow: 'POST', 'Content-Type': 'text/plain' }).end('XML-RPC: POST only\n');
        return;
      }
      this.handleRpc(req, res);
      return;
    }
    if (path.startsWith('/sim/') || path === '/sim') {
      this.handleControl(req, res, path, new URLSearchParams(url.split('?')[1] ?? '')).catch((e) => {
        sendJson(res, 500, { error: (e as Error).message });
      });
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  }

  // -------------------------------------------------------------------------
  // XML-RPC

  private handleRpc(req: http.IncomingMessage, res: http.ServerResponse): void {
    const at = this.cloud.nowMs();
    const t0 = performance.now();
    const chunks: Buffer[] = [];
    const failed = (err: Error) => {
      const o: RpcOutcome = { kind: 'fault', code: -503, message: `XML-RPC parse error: ${err.message}` };
      this.record(at, t0, '', [], o);
      this.send(res, o, '');
    };
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('error', failed);
    req.once('end', () => {
      req.off('error', failed);
      const call = readMethodCall(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
      if (!(call instanceof Promise)) {
        void this.answer(res, at, t0, call.method, call.params);
        return;
      }
      call.then((c) => this.answer(res, at, t0, c.method, c.params), failed);
    });
  }

  private async answer(res: http.ServerResponse, at: number, t0: number, method: string, params: unknown[]): Promise<void> {
    const delay = this.faults.delayFor(method, params);
    if (delay > 0) await this.sleep(delay);
    if (this.closed) return;
    if (this.downFlag || res.destroyed) {
      // oned went away while this call was in flight: not applied, no answer
      this.record(at, t0, method, params, { kind: 'fault', code: -32300, message: 'oned went down before answering' });
      return;
    }
    const o = this.dispatch(method, params);
    this.record(at, t0, method, params, o);
    this.send(res, o, method);
  }

  private dispatch(method: string, params: unknown[]): RpcOutcome {
    const fault = checkParams(method, params);
    if (fault) return fault;
    if (this.faults.authFailure) return authenticationError();
    const user = this.cloud.authenticate(params[0] as string);
    if (!user) return authenticationError();
    const injected = this.faults.take(method, params);
    if (injected) return injected;
    return execute(this.cloud, user, method, params);
  }

  private record(at: number, t0: number, method: string, params: unknown[], o: RpcOutcome): void {
    const p = params.length ? ['<session>', ...params.slice(1)] : [];
    this.calls.push({
      seq: ++this.seq, at, method, params: p, ok: o.kind === 'ok',
      code: o.kind === 'ok' ? 0 : o.code,
      ...(o.kind === 'fault' ? { fault: true as const } : {}),
      ...(o.kind !== 'ok' ? { message: o.message } : {}),
      durationMs: Math.round((performance.now() - t0) * 1000) / 1000,
    });
    const limit = this.cloud.options.callLogLimit;
    if (this.calls.length > limit) this.calls.splice(0, this.calls.length - limit + Math.ceil(limit / 10));
  }

  private send(res: http.ServerResponse, o: RpcOutcome, method: string): void {
    if (res.destroyed || res.writableEnded) return;
    // Encoded once: Buffer.byteLength and then end(string) went over a pool reply's megabytes twice.
    const body = Buffer.from(responseXml(o, method), 'utf8');
    res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': body.length, Date: this.cloud.httpDate() });
    res.end(body);
  }

  // -------------------------------------------------------------------------
  // control API

  private async handleControl(req: http.IncomingMessage, res: http.ServerResponse, path: string, q: URLSearchParams): Promise<void> {
    const m = req.method ?? 'GET';
    const parts = path.split('/').filter(Boolean).slice(1); // drop "sim"
    const body = m === 'POST' || m === 'PUT' ? await readJson(req) : undefined;
    if (body instanceof Error) return sendJson(res, 400, { error: `invalid JSON body: ${body.message}` });
    const key = `${m} ${parts.map((p) => (/^\d+$/.test(p) ? ':id' : p)).join('/')}`;
    const id = Number(parts.find((p) => /^\d+$/.test(p)));
    const since = Number(q.get('since') ?? 0);
    try {
      switch (key) {
        case 'GET state':
          return sendJson(res, 200, { ...this.cloud.summary(), down: this.downFlag, faults: this.faults.snapshot() });
        case 'GET hosts/:id':
          return sendJson(res, 200, this.cloud.hostView(this.cloud.mustHost(id)));
        case 'GET vms/:id':
          return sendJson(res, 200, this.cloud.vmView(this.cloud.mustVm(id)));
        case 'POST hosts/:id/fail': {
          const b = z.object({ restoreAfterMs: z.number().nonnegative().optional() }).parse(body ?? {});
          this.cloud.failHost(id, b);
          return sendJson(res, 200, this.cloud.hostView(this.cloud.mustHost(id)));
        }
        case 'POST hosts/:id/restore': {
          const b = z.object({ afterMs: z.number().nonnegative().optional() }).parse(body ?? {});
          if (b.afterMs) this.cloud.scheduleRestore(id, b.afterMs);
          else this.cloud.restoreHost(id);
          return sendJson(res, 200, this.cloud.hostView(this.cloud.mustHost(id)));
        }
        case 'GET calls':
          return sendJson(res, 200, { calls: this.calls.filter((c) => c.seq > since) });
        case 'DELETE calls':
          this.resetCalls();
          return sendJson(res, 200, { ok: true });
        case 'GET faults':
          return sendJson(res, 200, this.faults.snapshot());
        case 'POST faults':
          this.faults.set(body as FaultsSpec);
          return sendJson(res, 200, this.faults.snapshot());
        case 'DELETE faults':
          this.faults.clear();
          return sendJson(res, 200, this.faults.snapshot());
        case 'GET hooks':
          return sendJson(res, 200, { runs: this.cloud.hookRuns });
        case 'POST clock': {
          // oned's clock drifting from the front-end's (no NTP): what its replies' Date header says.
          const b = z.object({ offsetSeconds: z.number() }).strict().parse(body ?? {});
          this.cloud.clockOffsetMs = b.offsetSeconds * 1000;
          return sendJson(res, 200, { offsetSeconds: b.offsetSeconds });
        }
        case 'GET events':
          return sendJson(res, 200, { events: this.cloud.events.filter((e) => e.seq > since) });
        case 'POST raft': {
          const b = z.object({ state: z.number().int().min(0).max(3), term: z.number().int().nonnegative().optional() }).parse(body ?? {});
          this.cloud.raft.state = b.state;
          if (b.term !== undefined) this.cloud.raft.term = b.term;
          return sendJson(res, 200, { ...this.cloud.raft });
        }
        case 'POST scheduler/pass':
          this.cloud.schedulerPass();
          return sendJson(res, 200, { ok: true });
        case 'POST down': {
          const b = z.object({ forMs: z.number().positive().optional() }).parse(body ?? {});
          sendJson(res, 202, { ok: true, downForMs: b.forMs ?? null });
          res.once('finish', () => {
            void this.down().then(() => {
              if (!b.forMs) return;
              // The simulator's timers do not hold the process open, and with the server closed nothing else does:
              // as a process (dist/sim.mjs) it exited instead of coming back. Held until it is up (or closed).
              this.downHold = setInterval(() => undefined, 60_000);
              this.cloud.timeout(() => void this.up().finally(() => clearInterval(this.downHold)), b.forMs);
            });
          });
          return;
        }
        default:
          return sendJson(res, 404, { error: `no control route ${m} ${path}` });
      }
    } catch (e) {
      if (e instanceof z.ZodError) return sendJson(res, 400, { error: z.prettifyError(e) });
      const code = (e as { code?: number }).code === ErrorCode.NO_EXISTS ? 404 : 400;
      return sendJson(res, code, { error: (e as Error).message });
    }
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(s) });
  res.end(s);
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      s += d;
    });
    req.on('end', () => {
      if (!s.trim()) return resolve(undefined);
      try {
        resolve(JSON.parse(s));
      } catch (e) {
        resolve(e as Error);
      }
    });
    req.on('error', (e) => resolve(e));
  });
}

/** Builds the cloud from the scenario, listens, starts the scheduler. */
export async function startSimulator(opts: StartOptions): Promise<Simulator> {
  const scenario = parseScenario(opts.scenario);
  const cloud = new Cloud(scenario, opts.clock);
  const sim = new SimulatorImpl(cloud, opts.host ?? '127.0.0.1');
  sim.faults.latencyMs = scenario.options.latencyMs;
  if (scenario.faults) sim.faults.set(scenario.faults);
  await sim.listen(opts.port ?? 0);
  cloud.start();
  return sim;
}

export { Cloud, OneError, ErrorCode } from './cloud';
export type { SimClock, SimTimer, HostView, VmView } from './cloud';
export type { HookRun, SimEvent, SimHost, SimVm, SimHistory } from './model';
export { generateScenario, parseScenario, ScenarioSchema } from './scenario';
export type { Scenario, ParsedScenario, FaultsSpec, ErrorFault } from './scenario';

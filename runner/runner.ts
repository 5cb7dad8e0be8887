// Builds a runner from its configuration and runs its background work:
// resume unfinished flows, watch leadership, reconcile, test fencing.
import { existsSync, readFileSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import type { Host } from '../model/one';
import { describeError } from '../model/errors';
import { realClock, type Clock, type FencePort } from '../model/ports';
import { parseListen, readMonitordInterval, type Config } from './config';
import type { RunnerContext } from './context';
import { EventBus } from './eventBus';
import { createFencePort } from './fence/agentPort';
import { systemResolve, type ResolveName } from './fence/bmcAddress';
import { runFenceTest } from './fence/fenceTest';
import { createSecretStore } from './fence/secrets';
import { fenceDefaults, fenceMethodsForHost } from '../model/hostPolicy/fenceLevels';
import { hostHaSettings } from '../model/hostPolicy/haSettings';
import { DisarmSwitch, MassFailureBrake } from './flow/brakes';
import { FlowManager } from './flow/manager';
import type { FlowSettings } from './flow/recoveryFlow';
import { createApp, type AppExtensions } from './http/app';
import { ApiDoc } from './http/openapi';
import { DocumentJournalStore } from './journal/documentStore';
import { FileJournalStore } from './journal/fileStore';
import { Journal } from './journal/journal';
import type { JournalStore } from './journal/store';
import { JsonLogger, stdoutSink, type LogSink } from './log';
import { Metrics } from './metrics';
import { OneClient } from './one/client';
import { OnedProbe } from './onedView';
import { resolveEndpoint, resolveSession } from './one/credentials';
import { mkdirSync } from 'node:fs';

export const VERSION = '0.1.0';

export interface RunnerOptions {
  /** The hook token itself (tests, demo); otherwise read from config.tokenFile. */
  token?: string;
  clock?: Clock;
  logSink?: LogSink;
  /** Replace the fence port (tests). */
  fence?: FencePort;
  /** Replace the OpenNebula client (scenario driver: a client whose calls it can see). */
  one?: OneClient;
  /** Replace the journal store (scenario driver). */
  journalStore?: JournalStore;
  demo?: RunnerContext['demo'];
  extensions?: (ctx: RunnerContext) => AppExtensions;
  /** Resolves FENCE_IP host names (tests give their own answers; default getaddrinfo). */
  resolveName?: ResolveName;
}

export function readToken(config: Config, explicit?: string): string {
  if (explicit) return explicit;
  if (!config.tokenFile) throw new Error('no hook token: set ONEHA_TOKEN_FILE (config key tokenFile) to a file holding the token');
  if (!existsSync(config.tokenFile)) throw new Error(`config key tokenFile: ${config.tokenFile} does not exist`);
  const t = readFileSync(config.tokenFile, 'utf8').split('\n')[0].trim();
  if (t.length < 16) throw new Error(`config key tokenFile: the token in ${config.tokenFile} is shorter than 16 characters`);
  return t;
}

export function flowSettings(config: Config): FlowSettings {
  const monitord = config.monitoring.intervalSeconds ? undefined : readMonitordInterval(config.monitoring.monitordConf);
  return {
    defaults: config.defaults,
    configuredInterval: config.monitoring.intervalSeconds
      ? { seconds: config.monitoring.intervalSeconds, source: 'config' }
      : monitord ? { seconds: monitord, source: 'monitord.conf' } : undefined,
    pollSeconds: config.monitoring.pollSeconds,
    inventorySource: config.inventory.source,
    vmConcurrency: config.concurrency.vms,
    vmTries: config.retries.vmTries,
    retryDelayMs: config.retries.delayMs,
    stepTries: config.retries.stepTries,
    transientDeadlineSeconds: config.retries.deadlineSeconds,
    afterRecovery: config.afterRecovery.hostStatus,
    verify: {
      pollSeconds: config.verify.pollSeconds,
      deadlineSeconds: config.verify.deadlineSeconds,
      ladder: { retries: config.verify.retries, recreate: config.verify.recreate, backoffSeconds: config.verify.backoffSeconds },
      unlockLocked: config.verify.unlockLocked,
    },
  };
}

/**
 * Sockets to oned: the flows' and the API reads' (status probe, host pool,
 * operator actions) are separate pools, so a burst of recoveries cannot make
 * the console wait for a socket, nor a slow read hold up a recovery. 12 in
 * all, under oned's MAX_CONN (15) with room for its other clients.
 */
const FLOW_SOCKETS = 9;
const READ_SOCKETS = 3;

function oneClientFor(config: Config): { one: OneClient; origin: string } {
  const endpoint = resolveEndpoint(config.one.endpoint);
  const session = resolveSession(config.one.authFile);
  return {
    one: new OneClient({ endpoint: endpoint.value, session: session.value, timeoutMs: config.one.timeoutMs, maxSockets: FLOW_SOCKETS }),
    origin: `oned ${endpoint.value} (from ${endpoint.source}), credentials from ${session.source}`,
  };
}

export class Runner {
  readonly ctx: RunnerContext;
  /** The flows' oned client (ctx.one, for the API, has sockets of its own). */
  private readonly flowsOne: OneClient;
  readonly app: ReturnType<typeof createApp>;
  private server?: ServerType;
  /** Aborted by stop(): ends the background loops and their pending sleeps. */
  private readonly stopping = new AbortController();

  constructor(readonly config: Config, opts: RunnerOptions = {}) {
    const clock = opts.clock ?? realClock;
    const token = readToken(config, opts.token);
    const secrets = createSecretStore({ file: config.fence.secretsFile });
    const secretValues = () => {
      const vals = [token];
      for (const d of secrets.describe()) {
        const c = secrets.get(d.ref);
        if (c?.password) vals.push(c.password);
      }
      return vals;
    };
    const log = new JsonLogger(opts.logSink ?? stdoutSink, {}, { values: secretValues }, () => clock.now());
    const { one, origin } = opts.one ? { one: opts.one, origin: `oned ${opts.one.endpoint} (client given by the caller)` } : oneClientFor(config);
    this.flowsOne = one;
    const reads = one.withOwnSockets(READ_SOCKETS);
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const store: JournalStore = opts.journalStore ?? (config.journal.store === 'opennebula'
      ? new DocumentJournalStore(one, config.journal.documentType)
      : new FileJournalStore(config.dataDir, {
        compactBytes: config.journal.compactMegabytes * 2 ** 20, compactSeconds: config.journal.compactSeconds,
        rejected: { maxCount: config.journal.rejectedMax, maxBytes: config.journal.rejectedMegabytes * 2 ** 20 }, log: log.child({ component: 'journal' }),
      }));
    const bus = new EventBus();
    const journal = new Journal(store, bus, () => clock.now(), config.journal.retain);
    const metrics = new Metrics(journal);
    bus.subscribe((e) => metrics.observe(e));
    const fence = opts.fence ?? createFencePort({
      secrets, agentDir: config.fence.agentDir, timeoutMs: config.fence.timeoutMs, retries: config.fence.retries,
      retryDelayMs: config.fence.retryDelayMs, log: log.child({ component: 'fence' }), clock, allowLoopback: config.fence.allowLoopback, resolve: opts.resolveName,
    });
    const fenceMethods = (host: Host) => fenceMethodsForHost(host, fenceDefaults(config));
    const disarm = new DisarmSwitch(config.dataDir, () => clock.now());
    const massBrake = new MassFailureBrake(config.brakes.massFailure, () => clock.now());
    const manager = new FlowManager(journal, { one, fence, clock, progress: { emit() {} } }, {
      maxFlows: config.concurrency.flows,
      dedupeWindowSeconds: config.dedupeWindowSeconds,
      massWindowSeconds: config.brakes.massFailure.windowSeconds,
      settings: flowSettings(config),
      fenceMethods,
      logFor: (f) => log.child(f),
    }, massBrake, disarm);
    const fenceTests = new Map<number, Awaited<ReturnType<typeof runFenceTest>>>();
    this.ctx = {
      config, version: VERSION, resolveName: opts.resolveName ?? systemResolve, one: reads, onedProbe: new OnedProbe(() => reads.systemVersion(), () => clock.now()), journal, manager, bus, metrics, fence, fenceMethods, secrets, fenceTests,
      runFenceTest: async (host) => {
        let methods;
        try {
          methods = fenceMethods(host);
        } catch (e) {
          const r = { hostId: host.id, reachable: false, method: 'none', durationMs: 0, error: describeError(e), at: clock.now() };
          fenceTests.set(host.id, r);
          return r;
        }
        const r = await runFenceTest(host, methods, fence, clock);
        fenceTests.set(host.id, r);
        log.info(`fence test of host ${host.id}: ${r.reachable ? `reachable, power ${r.power}` : `FAILED: ${r.error}`}`, { hostId: host.id });
        return r;
      },
      disarm, massBrake, log, clock, api: new ApiDoc(), token: () => token, demo: opts.demo, startedAt: clock.now(), stopping: this.stopping.signal,
    };
    this.app = createApp(this.ctx, opts.extensions?.(this.ctx));
    log.info(`${origin}, journal ${store.kind}`);
  }

  /** Loads the journal and resumes unfinished flows; then serves and starts the background work. */
  async start(): Promise<{ url: string; port: number }> {
    await this.resume();
    const address = await this.listen();
    this.startBackground();
    return address;
  }

  /** Loads the journal, learns leadership and resumes unfinished flows. */
  async resume(): Promise<void> {
    const { ctx } = this;
    const loaded = await ctx.journal.load();
    await this.checkLeader();
    const resumed = ctx.manager.resumeAll();
    ctx.log.info(`journal: ${loaded.length} recoveries loaded, ${resumed} resumed`);
    await ctx.manager.admitOrphans();
  }

  async listen(): Promise<{ url: string; port: number }> {
    const { ctx, config } = this;
    const { hostname, port } = parseListen(config.listen);
    const info = await new Promise<{ port: number }>((resolve, reject) => {
      this.server = serve({ fetch: this.app.fetch, hostname, port }, (i) => resolve(i));
      this.server.once('error', reject);
    });
    const url = `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${info.port}`;
    ctx.log.info(`listening on ${url}`);
    return { url, port: info.port };
  }

  /** Leadership checks, reconciliation (now, then periodically) and scheduled fence tests, on the runner's clock. */
  startBackground(): void {
    const { ctx, config } = this;
    // The first GET /v1/status has an answer to show.
    void ctx.onedProbe.refresh();
    this.every(config.leaderCheckSeconds, async () => {
      if (!(await this.checkLeader())) return;
      // A disarm that expired releases what it held, within one leader check.
      for (const id of await ctx.manager.releaseDisarmed('the disarm expiry')) ctx.log.warn(`released ${id}: HA is armed again (the disarm expired)`, { recoveryId: id });
    });
    // After listening, so hooks are acknowledged while oned's host pool is read.
    void this.reconcile().then((ids) => ctx.log.info(`start-up reconciliation: ${ids.length} HA hosts in ERROR without a recovery`));
    if (config.reconcile.intervalSeconds > 0) this.every(config.reconcile.intervalSeconds, () => this.reconcile());
    if (config.fence.testIntervalSeconds > 0) this.every(config.fence.testIntervalSeconds, () => this.fenceTestAll());
  }

  private every(seconds: number, fn: () => Promise<unknown>) {
    const { signal } = this.stopping;
    const { clock } = this.ctx;
    void (async () => {
      for (;;) {
        await clock.sleep(seconds * 1000, signal);
        if (signal.aborted) return;
        await fn().catch((e) => this.ctx.log.warn(describeError(e)));
      }
    })();
  }

  /** Acts only where the local oned is the Raft leader or alone (OpenNebula XML-RPC reference). */
  async checkLeader(): Promise<boolean> {
    const { ctx } = this;
    const was = ctx.manager.isLeader;
    let leader = was;
    try {
      const raft = await this.flowsOne.zoneRaftStatus();
      leader = raft.state === 0 || raft.state === 3;
    } catch (e) {
      ctx.log.warn(`cannot read raft status (${describeError(e)}); keeping leader=${was}`);
    }
    if (leader !== was) {
      ctx.log.warn(leader ? 'this front-end is now the leader: acting' : 'this front-end is not the leader: flows wait');
      ctx.manager.setLeader(leader);
      if (leader) await this.reconcile();
    }
    return leader;
  }

  async reconcile(): Promise<string[]> {
    try {
      const ids = await this.ctx.manager.reconcile();
      for (const id of ids) this.ctx.log.warn(`reconciled: host ${this.ctx.journal.get(id)?.hostId} is in ERROR with no recovery; started ${id}`, { recoveryId: id });
      return ids;
    } catch (e) {
      this.ctx.log.warn(`reconciliation failed: ${describeError(e)}`);
      return [];
    }
  }

  async fenceTestAll(): Promise<void> {
    const hosts = await this.flowsOne.hostPoolInfo();
    for (const h of hosts) if (hostHaSettings(h).enabled) await this.ctx.runFenceTest(h);
  }

  /**
   * Graceful stop (SIGTERM): hooks are refused with 503 + Retry-After (the
   * hook script retries, the next runner takes them), event streams end (the
   * console shows it is reconnecting), no new flow starts, and the journal is
   * committed and closed: flows in progress stop at their next event and
   * resume from the journal at the next start. Connections still open after
   * `graceMs` are cut.
   */
  stop(graceMs = 2000): Promise<void> {
    this.stopped ??= this.stopNow(graceMs);
    return this.stopped;
  }

  private stopped?: Promise<void>;
  private async stopNow(graceMs: number): Promise<void> {
    this.stopping.abort();
    this.ctx.manager.stop();
    const server = this.server;
    const closed = new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    const http = server as { closeIdleConnections?: () => void; closeAllConnections?: () => void } | undefined;
    // Event streams end on the abort and their connections fall idle a moment later: close those as they do.
    const idle = setInterval(() => http?.closeIdleConnections?.(), 50);
    http?.closeIdleConnections?.();
    const cut = setTimeout(() => http?.closeAllConnections?.(), graceMs);
    await closed;
    clearInterval(idle);
    clearTimeout(cut);
    await this.ctx.journal.close();
  }
}


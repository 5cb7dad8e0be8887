// Builds a runner from its configuration (the services from composeRunner.ts, the
// HTTP app on top) and runs its background work: resume unfinished flows,
// watch leadership, reconcile, test fencing.
import { serve, type ServerType } from '@hono/node-server';
import { describeError } from '../model/errors';
import { hostHaSettings } from '../model/hostPolicy/haSettings';
import { parseListen, type Config } from './config';
import { READ_SOCKETS } from './compose';
import { compose, readToken, type RunnerComposeOptions } from './composeRunner';
import type { RunnerContext } from './context';
import { runFenceTest } from './fence/fenceTest';
import { rehearseAll } from './rehearsal';
import { createApp, type AppExtensions } from './http/app';
import { ApiDoc } from './http/openapi';
import type { OneClient } from './one/client';
import { OnedProbe } from './onedView';
import { readinessFor } from './readinessService';
import { VERSION } from './version';

export { VERSION };

export interface RunnerOptions extends RunnerComposeOptions {
  /** The hook token itself (tests, demo); otherwise read from config.tokenFile. */
  token?: string;
  /** oned is the embedded simulated cloud (the demo): /v1/status says so. */
  simulated?: boolean;
  /** Route groups and sessions added from outside (the admin console, the demo's controls). */
  extensions?: (ctx: RunnerContext) => AppExtensions;
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
    const token = readToken(config, opts.token);
    const services = compose(config, { ...opts, secretValues: () => [token] });
    const { clock, log, fence, fenceMethods } = services;
    this.flowsOne = services.one;
    const reads = services.one.withOwnSockets(READ_SOCKETS);
    const fenceTests = new Map<number, Awaited<ReturnType<typeof runFenceTest>>>();
    this.ctx = {
      ...services,
      one: reads, onedProbe: new OnedProbe(() => reads.systemVersion(), () => clock.now()),
      version: VERSION, fenceTests,
      runFenceTest: async (host: Parameters<RunnerContext['runFenceTest']>[0]) => {
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
      api: new ApiDoc(), token: () => token, simulated: !!opts.simulated, startedAt: clock.now(), stopping: this.stopping.signal,
    };
    this.app = createApp(this.ctx, opts.extensions?.(this.ctx));
    log.info(`${services.origin}, journal ${services.journal.store.kind}`);
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
    if (config.rehearsal.intervalSeconds > 0) this.every(config.rehearsal.intervalSeconds, () => rehearseAll(ctx));
    // Readiness (API, console, gauges) answers its last computation: made now, then every refreshSeconds.
    const readiness = readinessFor(ctx);
    void readiness.refresh().catch((e) => ctx.log.warn(`readiness: ${describeError(e)}`));
    this.every(config.readiness.refreshSeconds, () => readiness.refresh());
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


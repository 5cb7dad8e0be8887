// The one composition root: from a Config to the services every way of
// running oneha uses. `oneha serve` (runner.ts), the drop-in and `oneha
// invoke` (cli/), the function bundles (standalone.ts), the demo and the
// scenario driver all build their clock, log, secrets, OpenNebula client,
// fence port, fence levels, flow settings, journal and flow manager here, so
// each is made one way. Callers replace a piece by passing it in
// (ComposeOptions), never by building the rest themselves.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { FenceMethod } from '../model/fence';
import { fenceDefaults, fenceMethodsForHost } from '../model/hostPolicy/fenceLevels';
import type { Host } from '../model/one';
import { noProgress, realClock, type Clock, type FencePort, type Log, type Ports } from '../model/ports';
import { readMonitordInterval, type Config } from './config';
import { EventBus } from './eventBus';
import { createFencePort } from './fence/agentPort';
import { systemResolve, type ResolveName } from './fence/bmcAddress';
import { createSecretStore, type SecretStore } from './fence/secrets';
import { DisarmSwitch, MassFailureBrake } from './flow/brakes';
import { FlowManager } from './flow/manager';
import type { FlowSettings } from './flow/recoveryFlow';
import { DocumentJournalStore } from './journal/documentStore';
import { FileJournalStore } from './journal/fileStore';
import { Journal } from './journal/journal';
import type { JournalStore } from './journal/store';
import { JsonLogger, stdoutSink, type LogSink } from './log';
import { Metrics } from './metrics';
import { OneClient } from './one/client';
import { resolveEndpoint, resolveSession } from './one/credentials';

/**
 * Sockets to oned: the flows' and the API reads' (status probe, host pool,
 * operator actions) are separate pools, so a burst of recoveries cannot make
 * the console wait for a socket, nor a slow read hold up a recovery. 12 in
 * all, under oned's MAX_CONN (15) with room for its other clients.
 */
export const FLOW_SOCKETS = 9;
export const READ_SOCKETS = 3;

export interface ComposeOptions<L extends Log = JsonLogger> {
  clock?: Clock;
  /** The log itself (the drop-in's text log); otherwise JSON lines to logSink (default stdout). */
  log?: L;
  logSink?: LogSink;
  /** Replace the OpenNebula client (scenario driver: a client whose calls it can see). */
  one?: OneClient;
  /** Replace the fence port (tests, scenario driver: simulated BMCs). */
  fence?: FencePort;
  /** Resolves FENCE_IP host names (tests give their own answers; default getaddrinfo). */
  resolveName?: ResolveName;
  /** Every host fenced with this fence_host.sh-style command (the drop-in's --fence-command). */
  fenceCommand?: string;
  /** Values the log never prints (the hook token); BMC passwords are added from the secret store. */
  secretValues?: () => string[];
}

/** The pieces every way of running oneha shares. */
export interface Basics<L extends Log = JsonLogger> {
  config: Config;
  clock: Clock;
  log: L;
  /** BMC credentials: write-only from the API (describe() tells only whether set). */
  secrets: SecretStore;
  /** Built on first use: a pure function never needs oned's address or credentials. */
  readonly one: OneClient;
  readonly fence: FencePort;
  /** Resolves FENCE_IP host names (fence/bmcAddress.ts). */
  resolveName: ResolveName;
  /** The fence levels of a host: its template over the configured defaults. */
  fenceMethods(host: Host): FenceMethod[];
  settings: FlowSettings;
  /** Where oned and its credentials came from, for the start-up log. */
  readonly origin: string;
}

/** The runner's services: the basics plus the journal, the brakes and the flow manager. */
export interface Services extends Basics {
  journal: Journal;
  bus: EventBus;
  metrics: Metrics;
  manager: FlowManager;
  disarm: DisarmSwitch;
  massBrake: MassFailureBrake;
}

export function composeBasics<L extends Log = JsonLogger>(config: Config, opts: ComposeOptions<L> = {}): Basics<L> {
  const clock = opts.clock ?? realClock;
  const secrets = createSecretStore({ file: config.fence.secretsFile });
  const scrubbed = () => {
    const vals = opts.secretValues?.() ?? [];
    for (const d of secrets.describe()) {
      const c = secrets.get(d.ref);
      if (c?.password) vals.push(c.password);
    }
    return vals;
  };
  // Without a log of the caller's, L is the default JsonLogger.
  const log = opts.log ?? (new JsonLogger(opts.logSink ?? stdoutSink, {}, { values: scrubbed }, () => clock.now()) as Log as L);
  const defaults = fenceDefaults(config);
  let one = opts.one;
  let origin = opts.one ? `oned ${opts.one.endpoint} (client given by the caller)` : '';
  let fence = opts.fence;
  return {
    config, clock, log, secrets, resolveName: opts.resolveName ?? systemResolve,
    get one() {
      if (!one) {
        const endpoint = resolveEndpoint(config.one.endpoint);
        const session = resolveSession(config.one.authFile);
        one = new OneClient({ endpoint: endpoint.value, session: session.value, timeoutMs: config.one.timeoutMs, maxSockets: FLOW_SOCKETS });
        origin = `oned ${endpoint.value} (from ${endpoint.source}), credentials from ${session.source}`;
      }
      return one;
    },
    get origin() {
      void this.one;
      return origin;
    },
    get fence() {
      fence ??= createFencePort({
        secrets, agentDir: config.fence.agentDir, timeoutMs: config.fence.timeoutMs, retries: config.fence.retries,
        retryDelayMs: config.fence.retryDelayMs, log: log instanceof JsonLogger ? log.child({ component: 'fence' }) : log, clock,
        allowLoopback: config.fence.allowLoopback, resolve: opts.resolveName,
      });
      return fence;
    },
    fenceMethods: opts.fenceCommand
      ? () => [{ kind: 'command', command: opts.fenceCommand! }]
      : (host) => fenceMethodsForHost(host, defaults),
    settings: flowSettings(config),
  };
}

/** The ports a function asks for, from the basics; asking a port the function did not declare is a bug, said so. */
export function portsFor(b: Basics<Log>, names: readonly (keyof Ports)[], fn = 'this function'): Ports {
  const unused = (port: string) => new Proxy({}, { get: () => { throw new Error(`${fn} does not use the ${port} port`); } });
  return {
    one: names.includes('one') ? b.one : unused('one'),
    fence: names.includes('fence') ? b.fence : unused('fence'),
    clock: b.clock,
    log: b.log,
    progress: noProgress,
  } as Ports;
}

export interface RunnerComposeOptions extends Omit<ComposeOptions, 'log' | 'fenceCommand'> {
  /** Replace the journal store (scenario driver). */
  journalStore?: JournalStore;
}

/** Everything `oneha serve` runs on (the HTTP app and the background work are runner.ts's). */
export function compose(config: Config, opts: RunnerComposeOptions = {}): Services {
  const basics = composeBasics(config, opts);
  const { clock, log } = basics;
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store: JournalStore = opts.journalStore ?? (config.journal.store === 'opennebula'
    ? new DocumentJournalStore(basics.one, config.journal.documentType)
    : new FileJournalStore(config.dataDir, {
      compactBytes: config.journal.compactMegabytes * 2 ** 20, compactSeconds: config.journal.compactSeconds,
      rejected: { maxCount: config.journal.rejectedMax, maxBytes: config.journal.rejectedMegabytes * 2 ** 20 }, log: log.child({ component: 'journal' }),
    }));
  const bus = new EventBus();
  const journal = new Journal(store, bus, () => clock.now(), config.journal.retain);
  const metrics = new Metrics(journal);
  bus.subscribe((e) => metrics.observe(e));
  const disarm = new DisarmSwitch(config.dataDir, () => clock.now());
  const massBrake = new MassFailureBrake(config.brakes.massFailure, () => clock.now());
  const manager = new FlowManager(journal, { one: basics.one, fence: basics.fence, clock, progress: noProgress }, {
    maxFlows: config.concurrency.flows,
    dedupeWindowSeconds: config.dedupeWindowSeconds,
    massWindowSeconds: config.brakes.massFailure.windowSeconds,
    settings: basics.settings,
    fenceMethods: basics.fenceMethods,
    logFor: (f) => log.child(f),
  }, massBrake, disarm);
  return Object.assign(basics, { journal, bus, metrics, manager, disarm, massBrake });
}

/** The hook token: given (tests, demo) or the first line of config.tokenFile. */
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
      perMode: config.verify.perMode,
      unlockLocked: config.verify.unlockLocked,
    },
  };
}

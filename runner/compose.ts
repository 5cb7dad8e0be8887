// The one composition root: from a Config to the services every way of
// running oneha uses. `oneha serve` (runner.ts), the drop-in and `oneha
// invoke` (cli/), the function bundles (standalone.ts), the demo and the
// scenario driver all build their clock, log, secrets, OpenNebula client,
// fence port, fence levels and flow settings here, and the runner its
// journal, brakes and flow manager on top of them (composeRunner.ts), so
// each is made one way. Callers replace a piece by passing it in
// (ComposeOptions), never by building the rest themselves.
import type { FenceMethod } from '../model/fence';
import { fenceDefaults, fenceMethodsForHost } from '../model/hostPolicy/fenceLevels';
import type { Host } from '../model/one';
import { noProgress, realClock, type Clock, type FencePort, type Log, type Ports } from '../model/ports';
import { readMonitordInterval, type Config } from './config';
import type { ResolveName } from './fence/bmcAddress';
import { createSecretStore, type SecretStore } from './fence/secrets';
import type { FlowSettings } from './flow/recoveryFlow';
import { JsonLogger, stdoutSink, type LogSink } from './log';
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

export function composeBasics<L extends Log = JsonLogger>(config: Config, opts: ComposeOptions<L> = {}): Basics<L> {
  const clock = opts.clock ?? realClock;
  const secrets = createSecretStore({ file: config.fence.secretsFile });
  const scrubbed = () => [...(opts.secretValues?.() ?? []), ...secrets.passwords()];
  // Without a log of the caller's, L is the default JsonLogger.
  const log = opts.log ?? (new JsonLogger(opts.logSink ?? stdoutSink, {}, { values: scrubbed }, () => clock.now()) as Log as L);
  const defaults = fenceDefaults(config);
  let one = opts.one;
  let origin = opts.one ? `oned ${opts.one.endpoint} (client given by the caller)` : '';
  let fence = opts.fence;
  return {
    // getaddrinfo's module is loaded on the first name to resolve.
    config, clock, log, secrets, resolveName: opts.resolveName ?? (async (name) => (await import('./fence/bmcAddress')).systemResolve(name)),
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
      fence ??= onFirstPowerCall(async () => (await import('./fence/agentPort')).createFencePort({
        secrets, agentDir: config.fence.agentDir, timeoutMs: config.fence.timeoutMs, retries: config.fence.retries,
        retryDelayMs: config.fence.retryDelayMs, log: log instanceof JsonLogger ? log.child({ component: 'fence' }) : log, clock,
        allowLoopback: config.fence.allowLoopback, resolve: opts.resolveName,
      }));
      return fence;
    },
    fenceMethods: opts.fenceCommand
      ? () => [{ kind: 'command', command: opts.fenceCommand! }]
      : (host) => fenceMethodsForHost(host, defaults),
    settings: flowSettings(config),
  };
}

/**
 * The fence port, made on its first call: the fence-agent runner (child
 * processes, name resolution) is not loaded by a drop-in or a function that
 * decides before fencing (bench startup).
 */
function onFirstPowerCall(make: () => Promise<FencePort>): FencePort {
  let port: Promise<FencePort> | undefined;
  return { power: async (method, action, host) => (await (port ??= make())).power(method, action, host) };
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

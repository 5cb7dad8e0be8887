// Everything a route or a background task of the runner may use, built once
// at start (runner/runner.ts) and passed explicitly.
import type { ResolveName } from './fence/bmcAddress';
import type { Clock, FencePort } from '../model/ports';
import type { Host } from '../model/one';
import type { FenceMethod } from '../model/fence';
import type { Config } from './config';
import type { EventBus } from './eventBus';
import type { DisarmSwitch, MassFailureBrake } from './flow/brakes';
import type { FlowManager } from './flow/manager';
import type { ApiDoc } from './http/openapi';
import type { Journal } from './journal/journal';
import type { JsonLogger } from './log';
import type { Metrics } from './metrics';
import type { OneClient } from './one/client';
import type { OnedProbe } from './onedView';

import type { SecretStore } from './fence/secrets';
import type { FenceTestResult } from './fence/fenceTest';

export interface RunnerContext {
  config: Config;
  version: string;
  /** Resolves FENCE_IP host names (fence/bmcAddress.ts). */
  resolveName: ResolveName;
  /** oned for the API's reads and operator actions: sockets of its own, apart from the flows'. */
  one: OneClient;
  /** oned's reachability as GET /v1/status shows it, never awaited on a request. */
  onedProbe: OnedProbe;
  journal: Journal;
  manager: FlowManager;
  bus: EventBus;
  metrics: Metrics;
  fence: FencePort;
  fenceMethods(host: Host): FenceMethod[];
  /** BMC credentials: write-only from the API (describe() tells only whether set). */
  secrets: SecretStore;
  fenceTests: Map<number, FenceTestResult>;
  runFenceTest(host: Host): Promise<FenceTestResult>;
  disarm: DisarmSwitch;
  massBrake: MassFailureBrake;
  log: JsonLogger;
  clock: Clock;
  api: ApiDoc;
  token(): string;
  /** Set when the runner drives the embedded simulated cloud (demo controls). */
  demo?: { simUrl: string; controlUrl: string; onRestore?(hostId: number): void };
  startedAt: number;
  /** Aborted when the runner stops (SIGTERM): hooks answer 503 + Retry-After, event streams end. */
  stopping: AbortSignal;
}

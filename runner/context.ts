// Everything a route or a background task of the runner may use: the
// composed services (runner/compose.ts, runner/composeRunner.ts) and what the HTTP side adds, built
// once at start (runner/runner.ts) and passed explicitly.
import type { Host } from '../model/one';
import type { Services } from './composeRunner';
import type { ApiDoc } from './http/openapi';
import type { FenceTestResult } from './fence/fenceTest';
import type { OneClient } from './one/client';
import type { OnedProbe } from './onedView';

export interface RunnerContext extends Services {
  version: string;
  /** oned for the API's reads and operator actions: sockets of its own, apart from the flows' (Services.one). */
  one: OneClient;
  /** oned's reachability as GET /v1/status shows it, never awaited on a request. */
  onedProbe: OnedProbe;
  fenceTests: Map<number, FenceTestResult>;
  runFenceTest(host: Host): Promise<FenceTestResult>;
  api: ApiDoc;
  token(): string;
  /** True when oned is the embedded simulated cloud (the demo): shown in /v1/status. */
  simulated: boolean;
  startedAt: number;
  /** Aborted when the runner stops (SIGTERM): hooks answer 503 + Retry-After, event streams end. */
  stopping: AbortSignal;
}

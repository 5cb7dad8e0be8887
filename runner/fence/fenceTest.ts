// "Fence test" for the admin console: can oneha reach this host's fence
// device and read its power state? Status only, so it is safe to press on a
// healthy, busy host: it never powers anything off.
import type { Host } from '../../model/one';
import { describeMethod, type FenceMethod } from '../../model/fence';
import type { Clock, FencePort } from '../../model/ports';

export interface FenceTestResult {
  hostId: number;
  reachable: boolean;
  power?: 'on' | 'off';
  /** The method tested (describeMethod), or "none". */
  method: string;
  durationMs: number;
  error?: string;
  at: number;
}

/**
 * Tests the host's first agent level (the one a real fence tries first).
 * A command cannot be tested: running it would fence the host.
 */
export async function runFenceTest(host: Host, methods: FenceMethod[], port: FencePort, clock: Clock): Promise<FenceTestResult> {
  const at = clock.now();
  const agent = methods.find((m) => m.kind === 'agent');
  if (!agent) {
    const error = methods.length === 0
      ? `no fencing configured for host ${host.name} (${host.id}): set ONEHA_FENCE_AGENT and FENCE_IP, or a fence command`
      : 'a fence command cannot be tested without fencing the host (it cannot report power state)';
    return { hostId: host.id, reachable: false, method: methods[0] ? describeMethod(methods[0]) : 'none', durationMs: 0, error, at };
  }
  const method = describeMethod(agent);
  try {
    const a = await port.power(agent, 'status', host);
    const durationMs = a.durationMs;
    if (a.ok && a.power) return { hostId: host.id, reachable: true, power: a.power, method, durationMs, at };
    return { hostId: host.id, reachable: false, method, durationMs, error: a.error ?? 'no power state reported', at };
  } catch (e) {
    return { hostId: host.id, reachable: false, method, durationMs: clock.now() - at, error: `fence port failed: ${e instanceof Error ? e.message : String(e)}`, at };
  }
}

// wait: give a failed host N monitoring cycles to come back before anything
// drastic happens. Watches the host (it does not sleep blindly and look once)
// and ends as soon as the host leaves ERROR/MONITORING_ERROR.
import * as z from 'zod';
import { defineFunction } from './define';
import { HOST_STATE_NAMES, isHostFailed } from '../model/one';
import { describeError, OneError } from '../model/errors';

export const FALLBACK_INTERVAL_SECONDS = 60;

export const WaitInput = z.object({
  hostId: z.number().int().nonnegative(),
  pause: z.number().int().nonnegative(),
  /** oneha's own setting, or what the runner read from the front-end's monitord.conf. */
  configuredInterval: z.object({ seconds: z.number().positive(), source: z.enum(['config', 'monitord.conf']) }).optional(),
  /** When the failure was first seen (ms); a resumed or reconciled flow does not wait again for time already spent. */
  since: z.number().optional(),
  /** How often to look at the host; default: a tenth of the interval, between 1 and 10 s. */
  pollSeconds: z.number().positive().optional(),
});

export const WaitOutput = z.object({
  result: z.enum(['still-failed', 'came-back', 'skipped']),
  intervalSeconds: z.number(),
  intervalSource: z.enum(['oned', 'config', 'monitord.conf', 'default', 'none']),
  waitedMs: z.number(),
  hostState: z.number().int().optional(),
  checks: z.number().int(),
});
export type WaitResult = z.infer<typeof WaitOutput>;

export const wait = defineFunction({
  name: 'wait',
  description: 'Watch the failed host for N monitoring intervals; "came-back" as soon as it leaves ERROR.',
  effectful: false,
  ports: ['one', 'clock', 'log'],
  input: WaitInput,
  output: WaitOutput,
  async run(input, { one, clock, log }): Promise<WaitResult> {
    const start = clock.now();
    if (input.pause === 0) {
      log.info(`host ${input.hostId}: pause is 0, not waiting`, { hostId: input.hostId });
      return { result: 'skipped', intervalSeconds: 0, intervalSource: 'none', waitedMs: 0, checks: 0 };
    }
    const { seconds, source } = await monitoringInterval(input, one, log);
    const deadline = (input.since ?? start) + input.pause * seconds * 1000;
    const pollMs = (input.pollSeconds ?? Math.min(10, Math.max(1, seconds / 10))) * 1000;
    log.info(`host ${input.hostId}: waiting ${input.pause} cycles of ${seconds}s (interval from ${source}) for the host to come back`, {
      hostId: input.hostId, intervalSeconds: seconds, intervalSource: source, waitUntil: deadline,
    });
    let checks = 0;
    let lastState: number | undefined;
    for (;;) {
      const now = clock.now();
      const final = now >= deadline;
      try {
        const host = await one.hostInfo(input.hostId);
        checks++;
        lastState = host.state;
        if (!isHostFailed(host.state)) {
          log.info(`host ${input.hostId}: came back (${HOST_STATE_NAMES[host.state] ?? host.state}), nothing to recover`, { hostId: input.hostId });
          return { result: 'came-back', intervalSeconds: seconds, intervalSource: source, waitedMs: now - start, hostState: host.state, checks };
        }
      } catch (e) {
        // A hiccup while watching is not a verdict; the last look must succeed, though.
        // Wrong credentials or a missing host are not hiccups.
        if (final || !(e instanceof OneError && e.transient)) throw e;
        log.warn(`host ${input.hostId}: could not read host state (${describeError(e)}), will look again`, { hostId: input.hostId });
      }
      if (final) break;
      await clock.sleep(Math.min(pollMs, deadline - now));
    }
    log.info(`host ${input.hostId}: still failed after ${input.pause} cycles`, { hostId: input.hostId });
    return { result: 'still-failed', intervalSeconds: seconds, intervalSource: source, waitedMs: clock.now() - start, hostState: lastState, checks };
  },
});

async function monitoringInterval(
  input: z.output<typeof WaitInput>,
  one: { systemConfig(): Promise<{ monitoringIntervalHost?: number }> },
  log: { warn(m: string, f?: Record<string, unknown>): void },
): Promise<{ seconds: number; source: WaitResult['intervalSource'] }> {
  try {
    const config = await one.systemConfig();
    if (config.monitoringIntervalHost) return { seconds: config.monitoringIntervalHost, source: 'oned' };
  } catch (e) {
    log.warn(`one.system.config failed (${describeError(e)}); using the configured monitoring interval`, { hostId: input.hostId });
  }
  if (input.configuredInterval) return input.configuredInterval;
  return { seconds: FALLBACK_INTERVAL_SECONDS, source: 'default' };
}

// wait: give a failed host N monitoring cycles to come back before anything
// drastic happens. Watches the host (it does not sleep blindly and look once)
// and ends as soon as the host leaves ERROR/MONITORING_ERROR. Evidence ends
// it early the other way: where the host has an agent fence method, its BMC's
// power state is read (status only, at most once per poll), and an OFF proves
// the host dead (power loss, a crashed chassis), so the rest of the wait is
// skipped. An ON or an unreachable BMC proves nothing and never shortens it.
import * as z from '../model/zod';
import { Int, NonNegativeInt, Positive } from '../model/numbers';
import { defineFunction } from './define';
import { HOST_STATE_NAMES, isHostFailed, type Host } from '../model/one';
import { describeError, OneError } from '../model/errors';
import { describeMethod, FenceMethodSchema, type FenceMethod } from '../model/fence';
import type { Clock, FencePort, Log } from '../model/ports';
import { agentAddress } from './fence';

export const FALLBACK_INTERVAL_SECONDS = 60;

export const WaitInput = z.object({
  hostId: NonNegativeInt,
  pause: NonNegativeInt,
  /** oneha's own setting, or what the runner read from the front-end's monitord.conf. */
  configuredInterval: z.optional(z.object({ seconds: Positive, source: z.enum(['config', 'monitord.conf']) })),
  /** When the failure was first seen (ms); a resumed or reconciled flow does not wait again for time already spent. */
  since: z.optional(z.number()),
  /** How often to look at the host; default: a tenth of the interval, between 1 and 10 s. */
  pollSeconds: z.optional(Positive),
  /** The host's fence levels: the first agent level with an address is asked for power status during the wait. */
  methods: z.optional(z.array(FenceMethodSchema)),
});

export const WaitOutput = z.object({
  /**
   * power-off: the BMC reported OFF during the wait, so the rest of it was skipped.
   * interrupted: the flow cut it short (a hook joined with another -p); it waits again with that pause.
   */
  result: z.enum(['still-failed', 'came-back', 'skipped', 'power-off', 'interrupted']),
  intervalSeconds: z.number(),
  intervalSource: z.enum(['oned', 'config', 'monitord.conf', 'default', 'none']),
  waitedMs: z.number(),
  hostState: z.optional(Int),
  checks: Int,
  /** Power status reads during the wait, and when (and by which method) OFF was seen. */
  powerReads: z.optional(Int),
  powerOffSeenAt: z.optional(z.number()),
  powerOffSeenBy: z.optional(z.string()),
});
export type WaitResult = z.infer<typeof WaitOutput>;

export const wait = defineFunction({
  name: 'wait',
  description: 'Watch the failed host for N monitoring intervals; "came-back" as soon as it leaves ERROR.',
  effectful: false,
  ports: ['one', 'clock', 'log', 'fence', 'interrupt'],
  input: WaitInput,
  output: WaitOutput,
  // An interrupted wait is waited again (with the pause the flow has now), also by a resumed flow.
  reusable: (out) => out.result !== 'interrupted',
  async run(input, { one, clock, log, fence, interrupt }): Promise<WaitResult> {
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
    const power = powerWatch(input, { fence, log, clock });
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
          return { result: 'came-back', intervalSeconds: seconds, intervalSource: source, waitedMs: now - start, hostState: host.state, checks, ...power.summary() };
        }
        // The last look needs no power read: fencing (status first) comes next anyway.
        if (!final && (await power.isOff(host))) {
          const at = power.summary().powerOffSeenAt!;
          log.info(`host ${input.hostId}: power off seen at ${new Date(at).toISOString()} (${power.summary().powerOffSeenBy} status reported OFF); the host is dead, not waiting the remaining ${Math.round((deadline - at) / 1000)} s`, {
            hostId: input.hostId, powerOffSeenAt: at,
          });
          return { result: 'power-off', intervalSeconds: seconds, intervalSource: source, waitedMs: clock.now() - start, hostState: host.state, checks, ...power.summary() };
        }
      } catch (e) {
        // A hiccup while watching is not a verdict; the last look must succeed, though.
        // Wrong credentials or a missing host are not hiccups.
        if (final || !(e instanceof OneError && e.transient)) throw e;
        log.warn(`host ${input.hostId}: could not read host state (${describeError(e)}), will look again`, { hostId: input.hostId });
      }
      if (final) break;
      // Measured after the reads: a slow BMC answer does not stretch the wait past its deadline.
      await clock.sleep(Math.max(0, Math.min(pollMs, deadline - clock.now())), interrupt);
      if (interrupt?.aborted) {
        return { result: 'interrupted', intervalSeconds: seconds, intervalSource: source, waitedMs: clock.now() - start, hostState: lastState, checks, ...power.summary() };
      }
    }
    log.info(`host ${input.hostId}: still failed after ${input.pause} cycles`, { hostId: input.hostId });
    return { result: 'still-failed', intervalSeconds: seconds, intervalSource: source, waitedMs: clock.now() - start, hostState: lastState, checks, ...power.summary() };
  },
});

/**
 * The power reads of one wait: the first agent level that has an address,
 * status only (never off or on), one read per call. Only an answered OFF
 * counts; an error is logged once (when it first happens) and proves nothing.
 */
function powerWatch(input: z.output<typeof WaitInput>, { fence, log, clock }: { fence: FencePort; log: Log; clock: Clock }) {
  let method: FenceMethod | undefined;
  let reads = 0;
  let failing = false;
  let seen: { at: number; by: string } | undefined;
  return {
    async isOff(host: Host): Promise<boolean> {
      method ??= input.methods?.find((m) => m.kind === 'agent' && agentAddress(m, host) !== undefined);
      if (!method) return false;
      reads++;
      let answer;
      try {
        answer = await fence.power(method, 'status', host);
      } catch (e) {
        answer = { ok: false, error: e instanceof Error ? e.message : String(e) };
      }
      if (answer.ok && answer.power === 'off') {
        seen = { at: clock.now(), by: describeMethod(method) };
        return true;
      }
      if (!answer.ok && !failing) {
        log.warn(`host ${input.hostId}: power status during the wait failed (${answer.error ?? 'no answer'}); that proves nothing, the wait goes on`, { hostId: input.hostId });
      }
      failing = !answer.ok;
      return false;
    },
    summary: () => ({
      ...(reads ? { powerReads: reads } : {}),
      ...(seen ? { powerOffSeenAt: seen.at, powerOffSeenBy: seen.by } : {}),
    }),
  };
}

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

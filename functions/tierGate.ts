// Restart tiers (ONEHA_PRIORITY): the carry-out step acts on the HIGHEST
// tier first and starts the next tier only when the VMs it acted on are
// ready (ONEHA_READY: RUNNING on another host, or RUNNING and READY = YES
// from the guest) or the tier's timeout (ONEHA_READY_TIMEOUT, the largest of
// its VMs') has passed. A VM that failed (a *_FAILURE state, gone) is not
// waited for: verify's ladder deals with it. Each wait is journaled on the
// running step (Progress.commit) and logged, so the timeline shows when each
// tier started and why.
import { describeError } from '../model/errors';
import type { Ports } from '../model/ports';
import { retry } from '../model/retry';
import { guestReady } from '../model/vmPolicy';
import type { PlannedAction } from './select';
import { progressOf, VERIFY_CHUNK } from './verify';

export interface TierWait {
  tier: string;
  next: string;
  /** The tier's VMs that were acted on (done or already done). */
  acted: PlannedAction[];
  pollSeconds: number;
}

export interface TierWaitResult {
  result: 'ready' | 'timeout';
  afterMs: number;
  notReady: number[];
}

export async function waitForTier(
  hostId: number, w: TierWait, { one, clock, log, progress }: Pick<Ports, 'one' | 'clock' | 'log' | 'progress'>,
): Promise<TierWaitResult> {
  const start = clock.now();
  const timeoutSeconds = Math.max(0, ...w.acted.map((a) => a.ready?.timeoutSeconds ?? 0));
  const deadline = start + timeoutSeconds * 1000;
  const ids = w.acted.map((a) => a.vmId);
  await progress.commit?.({ kind: 'tier', tier: w.tier, phase: 'waiting', next: w.next, vms: ids, timeoutSeconds, at: start });
  log.info(`tier ${w.tier}: waiting for ${ids.length} VM${ids.length === 1 ? '' : 's'} to be ready before tier ${w.next} (at most ${timeoutSeconds} s)`, { hostId });
  const pending = new Map(w.acted.map((a) => [a.vmId, a]));
  // The guest's READY = YES is in USER_TEMPLATE, which only the extended body carries.
  const extended = w.acted.some((a) => a.ready?.kind === 'GUEST');
  for (;;) {
    try {
      const left = [...pending.keys()];
      const chunks: number[][] = [];
      for (let i = 0; i < left.length; i += VERIFY_CHUNK) chunks.push(left.slice(i, i + VERIFY_CHUNK));
      const read = (await Promise.all(chunks.map((c) => retry({ tries: 3, delayMs: 1000, backoff: 'linear' }, () => one.vmPoolInfoSet(c, extended), clock)))).flat();
      const byId = new Map(read.map((v) => [v.id, v]));
      for (const [id, a] of pending) {
        const vm = byId.get(id);
        const p = progressOf(a.operation, hostId, vm);
        if (p.phase === 'failed') {
          log.warn(`tier ${w.tier}: VM ${id} (${a.vmName}) is ${p.reason}: not waited for`, { hostId, vmId: id });
          pending.delete(id);
        } else if (p.phase === 'arrived' && (a.ready?.kind !== 'GUEST' || (vm !== undefined && guestReady(vm)))) {
          pending.delete(id);
        }
      }
    } catch (e) {
      log.warn(`tier ${w.tier}: could not read its VMs (${describeError(e)}); waiting on`, { hostId });
    }
    const now = clock.now();
    if (!pending.size || now >= deadline) {
      const result = pending.size ? 'timeout' : 'ready';
      const notReady = [...pending.keys()];
      await progress.commit?.({ kind: 'tier', tier: w.tier, phase: result, next: w.next, afterMs: now - start, notReady, at: now });
      if (result === 'ready') log.info(`tier ${w.tier} ready after ${((now - start) / 1000).toFixed(1)} s: starting tier ${w.next}`, { hostId });
      else log.warn(`tier ${w.tier}: ${notReady.length} VM${notReady.length === 1 ? '' : 's'} not ready after ${timeoutSeconds} s (${notReady.join(', ')}): starting tier ${w.next}`, { hostId });
      return { result, afterMs: now - start, notReady };
    }
    await clock.sleep(Math.min(w.pollSeconds * 1000, deadline - now));
  }
}

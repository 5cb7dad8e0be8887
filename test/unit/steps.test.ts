import { describe, expect, it } from 'vitest';
import { carryOut, verdictFor } from '../../functions/carryOut';
import { LcmState, VmState } from '../../model/one';
import { OneError, OneErrorCode } from '../../model/errors';
import { noProgress, silentLog, type FencePort } from '../../model/ports';
import type { FenceMethod, PowerAction } from '../../model/fence';
import { wait } from '../../functions/wait';
import { fakeOne, host, vm } from '../helpers/fakeOne';
import { VirtualClock } from '../helpers/virtualClock';

const { ACTIVE, SUSPENDED, POWEROFF, PENDING, DONE } = VmState;
const { UNKNOWN, RUNNING } = LcmState;

describe('verdictFor: never act twice', () => {
  it.each([
    ['resched of UNKNOWN VM on the failed host', 'resched', vm(1, ACTIVE, UNKNOWN, 7), true],
    ['resched already requested', 'resched', vm(1, ACTIVE, UNKNOWN, 7, { resched: 1 }), 'already-done'],
    ['VM already moved', 'resched', vm(1, ACTIVE, RUNNING, 3), 'already-done'],
    ['resched of SUSPENDED refused by oned', 'resched', vm(1, SUSPENDED, 0, 7), 'skipped'],
    ['recreate already under way (PENDING)', 'recreate', vm(1, PENDING, 0, 7), 'already-done'],
    ['recreate of DONE VM', 'recreate', vm(1, DONE, 0, 7), 'failed'],
    ['delete of DONE VM', 'delete', vm(1, DONE, 0, 7), 'already-done'],
    ['delete of POWEROFF VM', 'delete', vm(1, POWEROFF, 0, 7), true],
  ] as const)('%s', (_w, op, v, expected) => {
    const r = verdictFor(op, 7, v);
    expect(r.act ? true : r.outcome).toBe(expected);
  });
  it('a VM gone from oned: deleted means done, otherwise failed', () => {
    expect(verdictFor('delete', 7, undefined)).toMatchObject({ act: false, outcome: 'already-done' });
    expect(verdictFor('resched', 7, undefined)).toMatchObject({ act: false, outcome: 'failed' });
  });
});

describe('carryOut', () => {
  const actions = [1, 2, 3, 4].map((id) => ({ vmId: id, vmName: `vm-${id}`, state: 'ACTIVE/UNKNOWN', operation: 'resched' as const }));

  it('one VM failing never stops the others; transient errors are retried; every VM gets an outcome', async () => {
    let flaky = 0;
    const one = fakeOne({
      vmPoolInfoSet: async (ids) => ids.map((id) => vm(id, ACTIVE, UNKNOWN, 7)),
      vmAction: async (_a, id) => {
        if (id === 2) throw new OneError('one.vm.action', OneErrorCode.ACTION, 'not available');
        if (id === 3 && flaky++ < 1) throw new OneError('one.vm.action', OneErrorCode.INTERNAL, 'busy');
        return id;
      },
    });
    const clock = new VirtualClock();
    const r = await carryOut({ hostId: 7, actions, concurrency: 2, tries: 3, retryDelayMs: 1000, dryRun: false }, { one, clock, log: silentLog, progress: noProgress });
    expect(r.outcomes.map((o) => [o.vmId, o.outcome, o.tries])).toEqual([[1, 'done', 1], [2, 'failed', 1], [3, 'done', 2], [4, 'done', 1]]);
    expect(r.outcomes[1].detail).toMatch(/ACTION: not available/);
    // One read of all VMs, then one action each (plus the retry, after a fresh look at VM 3 alone): no per-VM vm.info.
    expect(one.calls.filter((c) => c.startsWith('vmPoolInfoSet'))).toEqual(['vmPoolInfoSet([1,2,3,4], false)', 'vmPoolInfoSet([3], false)']);
    expect(one.calls.filter((c) => c.startsWith('vmAction'))).toHaveLength(5);
  });

  it('bounded concurrency: never more than N calls in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const many = Array.from({ length: 40 }, (_, i) => ({ vmId: i + 1, vmName: `v${i}`, state: 'x', operation: 'delete' as const }));
    const one = fakeOne({
      vmPoolInfoSet: async (ids) => ids.map((id) => vm(id, ACTIVE, UNKNOWN, 7)),
      vmRecover: async (id) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        return id;
      },
    });
    const r = await carryOut({ hostId: 7, actions: many, concurrency: 5, tries: 1, retryDelayMs: 0, dryRun: false }, { one, clock: new VirtualClock(), log: silentLog, progress: noProgress });
    expect(r.done).toBe(40);
    expect(peak).toBe(5);
  });

  it('dry run plans without acting', async () => {
    const one = fakeOne({ vmPoolInfoSet: async (ids) => ids.map((id) => vm(id, ACTIVE, UNKNOWN, 7)) });
    const r = await carryOut({ hostId: 7, actions, concurrency: 8, tries: 1, retryDelayMs: 0, dryRun: true }, { one, clock: new VirtualClock(), log: silentLog, progress: noProgress });
    expect(r.outcomes.every((o) => o.outcome === 'dry-run' && o.detail.startsWith('would call one.vm.action("resched"'))).toBe(true);
    expect(one.calls.some((c) => c.startsWith('vmAction'))).toBe(false);
  });
});

/** A fence port that must not be used. */
const noFence: FencePort = { power: async () => { throw new Error('no power read expected'); } };

describe('wait', () => {
  const run = (clock: VirtualClock, one: ReturnType<typeof fakeOne>, input: Partial<Parameters<typeof wait.run>[0]> = {}) =>
    wait.run({ hostId: 7, pause: 3, ...input } as Parameters<typeof wait.run>[0], { one, clock, log: silentLog, fence: noFence });

  it('uses MONITORING_INTERVAL_HOST from oned when reported, and ends as soon as the host is back', async () => {
    const clock = new VirtualClock();
    let state = 3;
    clock.at(95_000, 'host back', () => { state = 2; });
    const one = fakeOne({ systemConfig: async () => ({ monitoringIntervalHost: 60 }), hostInfo: async () => host(7, state) });
    const r = await run(clock, one);
    expect(r).toMatchObject({ result: 'came-back', intervalSeconds: 60, intervalSource: 'oned', hostState: 2 });
    expect(r.waitedMs).toBeGreaterThanOrEqual(95_000);
    expect(r.waitedMs).toBeLessThan(180_000);
  });

  it('falls back to the configured interval, then 60 s; still-failed at the deadline', async () => {
    const one = fakeOne({ systemConfig: async () => ({}), hostInfo: async () => host(7, 3) });
    const c1 = new VirtualClock();
    expect(await run(c1, one, { configuredInterval: { seconds: 30, source: 'monitord.conf' } })).toMatchObject({ result: 'still-failed', intervalSeconds: 30, intervalSource: 'monitord.conf', waitedMs: 90_000 });
    const c2 = new VirtualClock();
    expect(await run(c2, one, { pause: 2 })).toMatchObject({ result: 'still-failed', intervalSeconds: 60, intervalSource: 'default', waitedMs: 120_000 });
  });

  it('MONITORING_ERROR counts as failed too; pause 0 does not wait at all', async () => {
    const one = fakeOne({ systemConfig: async () => ({}), hostInfo: async () => host(7, 5) });
    expect((await run(new VirtualClock(), one, { pause: 1 })).result).toBe('still-failed');
    const none = fakeOne({});
    expect(await run(new VirtualClock(), none, { pause: 0 })).toMatchObject({ result: 'skipped', checks: 0 });
    expect(none.calls).toEqual([]);
  });

  it('a resumed wait does not start over: time already spent counts', async () => {
    const clock = new VirtualClock(100_000);
    const one = fakeOne({ systemConfig: async () => ({}), hostInfo: async () => host(7, 3) });
    const r = await run(clock, one, { pause: 2, since: 40_000 });
    expect(r.waitedMs).toBe(60_000); // deadline 40 s + 120 s = 160 s, now 100 s
  });

  it('a failed look while watching is tolerated; the last look must succeed', async () => {
    let n = 0;
    const one = fakeOne({
      systemConfig: async () => ({}),
      hostInfo: async () => {
        if (n++ === 1) throw new OneError('one.host.info', OneErrorCode.TRANSPORT, 'refused');
        return host(7, 3);
      },
    });
    expect((await run(new VirtualClock(), one, { pause: 1 })).result).toBe('still-failed');
    const down = fakeOne({ systemConfig: async () => ({}), hostInfo: async () => { throw new OneError('one.host.info', OneErrorCode.TRANSPORT, 'refused'); } });
    await expect(run(new VirtualClock(), down, { pause: 1 })).rejects.toThrow(/refused/);
  });
});

describe('wait: a BMC reporting OFF ends it early', () => {
  const ipmi: FenceMethod = { kind: 'agent', agent: 'fence_ipmilan', options: {} };
  const failedHost = () => host(7, 3, { template: { FENCE_IP: '10.0.0.7' } });
  /** A BMC whose answer is set by the test; every action it is asked is recorded with its time. */
  const bmc = (clock: VirtualClock, answer: () => { ok: boolean; power?: 'on' | 'off'; error?: string }) => {
    const asked: Array<[number, PowerAction]> = [];
    const fence: FencePort = { power: async (_m, action) => (asked.push([clock.now(), action]), { ...answer(), durationMs: 0 }) };
    return { fence, asked };
  };
  const one = () => fakeOne({ systemConfig: async () => ({ monitoringIntervalHost: 30 }), hostInfo: async () => failedHost() });
  const run = (clock: VirtualClock, fence: FencePort, methods: FenceMethod[] = [ipmi]) =>
    wait.run({ hostId: 7, pause: 5, pollSeconds: 3, methods }, { one: one(), clock, log: silentLog, fence });

  it('OFF skips the rest of the wait: status only, at most once per poll, and when it was seen', async () => {
    const clock = new VirtualClock();
    let power: 'on' | 'off' = 'on';
    clock.at(20_000, 'power lost', () => { power = 'off'; });
    const { fence, asked } = bmc(clock, () => ({ ok: true, power }));
    const r = await run(clock, fence);
    expect(r).toMatchObject({ result: 'power-off', powerOffSeenBy: 'fence_ipmilan' });
    // Polls every 3 s: the first read after 20 s sees OFF, long before 5 x 30 s.
    expect(r.powerOffSeenAt).toBe(21_000);
    expect(r.waitedMs).toBe(21_000);
    expect(asked.every(([, a]) => a === 'status')).toBe(true);
    expect(asked.map(([t]) => t)).toEqual([0, 3000, 6000, 9000, 12_000, 15_000, 18_000, 21_000]);
    expect(r.powerReads).toBe(asked.length);
  });

  it('ON or an unreachable BMC never shortens the wait', async () => {
    for (const answer of [{ ok: true, power: 'on' as const }, { ok: false, error: 'Unable to connect/login to fencing device' }]) {
      const clock = new VirtualClock();
      const { fence, asked } = bmc(clock, () => answer);
      const r = await run(clock, fence);
      expect(r).toMatchObject({ result: 'still-failed', waitedMs: 150_000 });
      expect(r.powerOffSeenAt).toBeUndefined();
      expect(asked.length).toBe(50); // one per poll, none at the last look
    }
    const clock = new VirtualClock();
    const throwing: FencePort = { power: async () => { throw new Error('agent crashed'); } };
    expect(await run(clock, throwing)).toMatchObject({ result: 'still-failed', waitedMs: 150_000 });
  });

  it('no agent level with an address, or fencing off (no methods): no power read at all', async () => {
    const clock = new VirtualClock();
    const command: FenceMethod = { kind: 'command', command: '/usr/local/bin/fence_host.sh' };
    const withIp: FenceMethod = { kind: 'agent', agent: 'fence_redfish', options: {} };
    const noIpHost = fakeOne({ systemConfig: async () => ({ monitoringIntervalHost: 30 }), hostInfo: async () => host(7, 3) });
    expect(await wait.run({ hostId: 7, pause: 1, methods: [withIp, command] }, { one: noIpHost, clock, log: silentLog, fence: noFence })).toMatchObject({ result: 'still-failed' });
    expect(await run(new VirtualClock(), noFence, [command])).toMatchObject({ result: 'still-failed' });
    expect(await run(new VirtualClock(), noFence, [])).toMatchObject({ result: 'still-failed' });
  });
});

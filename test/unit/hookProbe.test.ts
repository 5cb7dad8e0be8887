// The hook probe (runner/hookProbe.ts) and how the readiness hook part judges
// it (probeVerdict, hookFact), on a virtual clock. The CALL_INFO bodies are
// shaped as a real oned 7.5.80's hook manager passes them (test/sim/hooks.test.ts
// checks the simulator against the same recording).
import { describe, expect, it } from 'vitest';
import { HookProbe } from '../../runner/hookProbe';
import { hookFact, probeVerdict, type HookSeen, type ProbeInput } from '../../runner/readiness';
import { VirtualClock } from '../helpers/virtualClock';

const param = (pos: number, type: 'IN' | 'OUT', value: string) =>
  `    <PARAMETER>\n      <POSITION>${pos}</POSITION>\n      <TYPE>${type}</TYPE>\n      <VALUE>${value}</VALUE>\n    </PARAMETER>\n`;
/** $API of a one.hook.update(id, text, 1) that oned applied, base64 as on the hook's stdin. */
const apiOf = (id: number, text: string) => Buffer.from('<CALL_INFO>\n  <RESULT>1</RESULT>\n  <PARAMETERS>\n' +
  param(1, 'IN', '****') + param(2, 'IN', String(id)) + param(3, 'IN', text) + param(4, 'IN', '1') +
  param(1, 'OUT', 'true') + param(2, 'OUT', String(id)) + param(3, 'OUT', '0') + '  </PARAMETERS>\n  <EXTRA/>\n</CALL_INFO>').toString('base64');

/** oned as the probe sees it: each update is recorded, and `echo` decides whether the hook manager brings it back. */
function fakeOned(probe: () => HookProbe, echo: 'at-once' | 'never' | 'refuse') {
  const updates: Array<[number, string, boolean]> = [];
  return {
    updates,
    async hookUpdate(id: number, template: string, merge: boolean) {
      updates.push([id, template, merge]);
      if (echo === 'refuse') throw new Error('[one.hook.update] User [2] : Not authorized to perform MANAGE HOOK [7].');
      // The hook manager may run the hook before oned's answer reaches the runner.
      if (echo === 'at-once') expect(probe().receive(apiOf(id, template))).toMatchObject({ matched: true });
      return id;
    },
  };
}
const limits = { minIntervalMs: 60_000, timeoutMs: 30_000 };

describe('the hook probe', () => {
  it('merges ONEHA_PROBE = "<nonce>" into the probe hook, and notes the probe that comes back; at most one per interval', async () => {
    const clock = new VirtualClock(1_000_000);
    const probe = new HookProbe(clock);
    const one = fakeOned(() => probe, 'at-once');
    const f = await probe.run(one, 7, limits);
    expect(one.updates).toHaveLength(1);
    const [id, text, merge] = one.updates[0];
    expect([id, merge]).toEqual([7, true]);
    expect(text).toMatch(/^ONEHA_PROBE = "[0-9a-f]{32}"$/);
    expect(f).toMatchObject({ sent: { at: 1_000_000, hookId: 7 }, returned: { sentAt: 1_000_000, at: 1_000_000 } });
    expect(f.sent!.error).toBeUndefined();
    expect(clock.now()).toBe(1_000_000); // came back: no wait
    // A computation within the interval judges the last probe and sends none.
    await clock.advance(1_059_000);
    await probe.run(one, 7, limits);
    expect(one.updates).toHaveLength(1);
    await clock.advance(1_060_000);
    await probe.run(one, 7, limits);
    expect(one.updates).toHaveLength(2);
    expect(one.updates[1][1]).not.toBe(text); // a new nonce each time
    // Received once only: a replay of the same CALL_INFO is ignored.
    expect(probe.receive(apiOf(7, one.updates[1][1]))).toMatchObject({ matched: false, reason: expect.stringMatching(/not a probe this runner is waiting for/) });
  });

  it('waits on the runner\'s clock up to the timeout for a probe that does not come back, and a late one still counts', async () => {
    const clock = new VirtualClock(0);
    const probe = new HookProbe(clock);
    const one = fakeOned(() => probe, 'never');
    const f = await probe.run(one, 7, limits);
    expect(clock.now()).toBe(30_000);
    expect(f.sent).toMatchObject({ at: 0, hookId: 7 });
    expect(f.returned).toBeUndefined();
    expect(f.unanswered).toEqual([one.updates[0][1].slice(15, 47)]);
    expect(probe.receive(apiOf(7, one.updates[0][1]))).toEqual({ matched: true, sentAt: 0, returnedAt: 30_000 });
    expect(probe.facts().unanswered).toEqual([]);
  });

  it('another one.hook.update that runs the probe hook, a refused update and a body that is no $API', async () => {
    const clock = new VirtualClock(0);
    const probe = new HookProbe(clock);
    expect(probe.receive(apiOf(3, 'ARGUMENTS = "$TEMPLATE -r -p 2"'))).toMatchObject({ matched: false, reason: expect.stringMatching(/^not a probe: the call carries no ONEHA_PROBE/) });
    expect(probe.receive(apiOf(7, 'ONEHA_PROBE = "0123456789abcdef0123456789abcdef"'))).toMatchObject({ matched: false });
    expect(() => probe.receive('<CALL_INFO> raw')).toThrow(/not the base64 of an API hook's \$API/);
    expect(() => probe.receive(Buffer.from('<HOST><ID>1</ID></HOST>').toString('base64'))).toThrow(/expected a <CALL_INFO> document/);
    const refused = await probe.run(fakeOned(() => probe, 'refuse'), 7, limits);
    expect(refused.sent!.error).toMatch(/Not authorized to perform MANAGE HOOK/);
    expect(clock.now()).toBe(0); // nothing to wait for
  });
});

describe('the hook part with the probe (probeVerdict, hookFact)', () => {
  const hostError: HookSeen = { id: 3, name: 'oneha_host_error', type: 'state', template: { RESOURCE: 'HOST', STATE: 'ERROR', COMMAND: 'oneha/onehook.sh' }, log: [] };
  const probeHook = (log: HookSeen['log'] = []): HookSeen =>
    ({ id: 7, name: 'oneha_probe', type: 'api', template: { CALL: 'one.hook.update', COMMAND: 'oneha/onehook.sh', ARGUMENTS: '$API' }, log });
  const T = Date.UTC(2026, 10, 27, 12, 0, 0);
  const p = (o: Partial<ProbeInput>): ProbeInput => ({ hook: probeHook(), now: T, timeoutMs: 30_000, ...o });
  const LOST = 'a'.repeat(32);
  const EARLIER = 'b'.repeat(32);
  /** A run of the probe hook, for the update that carried `nonce` (null: another hook's update). */
  const rec = (executionId: number, atMs: number, code: number, stderr = '', nonce: string | null = LOST) =>
    ({ executionId, timestamp: Math.floor(atMs / 1000), code, stderr, arguments: apiOf(nonce ? 7 : 3, nonce ? `ONEHA_PROBE = "${nonce}"` : 'DESCRIPTION = "x"') });

  it('passes when the last probe came back; unknown while it is on its way; a newer one on its way keeps the older proof', () => {
    expect(probeVerdict(p({ sent: { at: T - 5000 }, returned: { sentAt: T - 5000, at: T - 4200 } }))).toEqual({ ok: true, detail: 'the probe sent at 2026-11-27T11:59:55Z came back through oned\'s hook manager in 0.8 s' });
    expect(probeVerdict(p({ sent: { at: T - 5000 } }))).toEqual({ ok: null, detail: 'probe sent at 2026-11-27T11:59:55Z through probe hook 7 (oneha_probe); not back yet' });
    expect(probeVerdict(p({ sent: { at: T - 5000 }, returned: { sentAt: T - 65_000, at: T - 64_000 } }))).toMatchObject({ ok: true, detail: expect.stringMatching(/\(a newer one is on its way\)$/) });
    expect(probeVerdict(p({}))).toMatchObject({ ok: null, detail: expect.stringMatching(/no probe sent yet/) });
  });

  it('fails with the fix: no probe hook, an update oned refused, or a probe lost (why, from the probe hook\'s own record)', () => {
    expect(probeVerdict(p({ hook: undefined }))).toMatchObject({ ok: false, fix: expect.stringMatching(/^onehook create \/usr\/share\/oneha\/probe.hook/) });
    expect(probeVerdict(p({ sent: { at: T - 1000, error: 'Not authorized to perform MANAGE HOOK [7]' } }))).toMatchObject({ ok: false, detail: expect.stringMatching(/could not send a probe through probe hook 7 \(oneha_probe\): Not authorized/), fix: expect.stringMatching(/oneadmin group/) });
    const lost = (log: HookSeen['log']) => probeVerdict(p({ hook: probeHook(log), sent: { at: T - 40_000 }, returned: { sentAt: T - 100_000, at: T - 99_000 }, unanswered: [LOST, EARLIER] }));
    // No run of the probe hook for a probe still unanswered (the one that came back, another hook's update, do not count): the hook manager did not run it.
    expect(lost([rec(0, T - 100_000, 0, '', 'c'.repeat(32)), rec(1, T - 39_000, 0, '', null)])).toMatchObject({ ok: false, detail: expect.stringMatching(/did not come back within 30 s, and oned has no record of running it/), fix: expect.stringMatching(/opennebula-hem/) });
    // The run that carried the lost probe says why, even when runs for other updates (or an earlier lost probe) were recorded after it.
    expect(lost([rec(1, T - 39_000, 2, 'oneha: wrong token (401)\n'), rec(2, T - 38_000, 4, 'oneha: runner unreachable', null)]).detail).toMatch(/\(execution 1 at .*\) exited 2/);
    expect(lost([rec(1, T - 50_000, 4, 'oneha: runner unreachable', EARLIER)]).detail).toMatch(/exited 4, the runner was unreachable/);
    expect(lost([rec(1, T - 39_000, 0)])).toMatchObject({ ok: false, detail: expect.stringMatching(/exited 0, so it reached another runner$/), fix: expect.stringMatching(/ONEHA_URL/) });
    expect(lost([rec(1, T - 39_000, 2, 'oneha: wrong token (401)\n')])).toMatchObject({ ok: false, detail: expect.stringMatching(/\(execution 1 at 2026-11-27T11:59:21Z\) exited 2, the runner refused its token: oneha: wrong token \(401\)$/), fix: expect.stringMatching(/ONEHA_TOKEN/) });
    expect(lost([rec(1, T - 39_000, 4)]).fix).toMatch(/start the runner/);
    expect(lost([rec(1, T - 39_000, 3)]).fix).toMatch(/ARGUMENTS = "\$API" and ARGUMENTS_STDIN = "yes"/);
  });

  it('in the hook part: the probe decides over old records, but a failure event that never reached the runner stays a failure', () => {
    const back = p({ sent: { at: T - 5000 }, returned: { sentAt: T - 5000, at: T - 4000 } });
    const lostProbe = p({ sent: { at: T - 40_000 } });
    expect(hookFact([hostError, probeHook()], undefined, undefined, back)).toMatchObject({ ok: true, detail: expect.stringMatching(/^hook 3 \(oneha_host_error: oneha\/onehook.sh\) installed; the probe sent at/) });
    // A run that reached the runner long ago does not hide a probe lost now.
    const oldOk = { ...hostError, log: [rec(0, T - 86_400_000, 0)] };
    expect(hookFact([oldOk, probeHook()], undefined, undefined, lostProbe)).toMatchObject({ ok: false, detail: expect.stringMatching(/did not come back within 30 s/) });
    // A probe on its way: the records say what they said before.
    expect(hookFact([oldOk, probeHook()], undefined, undefined, p({ sent: { at: T - 1000 } }))).toMatchObject({ ok: true, detail: expect.stringMatching(/reached the runner; probe sent at .* not back yet$/) });
    const lostEvent = { ...hostError, log: [rec(4, T - 3_600_000, 4, 'oneha: runner unreachable')] };
    expect(hookFact([lostEvent, probeHook()], undefined, undefined, back)).toMatchObject({ ok: false, fix: expect.stringMatching(/onehook retry 3 4/) });
    // The probe hook is not a host-error hook: alone, it is not "installed".
    expect(hookFact([probeHook()], undefined, undefined, back)).toMatchObject({ ok: false, fix: 'onehook create deploy/onehook/host_error.hook' });
  });
});

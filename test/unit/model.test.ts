// The model layer: one error mapping, one retry loop, one host policy codec
// from which the PUT body, the flow's options and the view are derived, and
// the pure mass-failure decision.
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { classify, InputError, OneError, OneErrorCode, StepError } from '../../model/errors';
import {
  EDITABLE_FIELDS, FIELDS, fenceMethodsForHost, hostHaSettings, hostPolicyView, HostSettingsBody, readField, settingsToAttributes,
} from '../../model/hostPolicy';
import { massFailureVerdict } from '../../model/massFailure';
import { retry } from '../../model/retry';
import { SecretStoreError } from '../../runner/fence/secrets';
import { testHost } from '../helpers/bmc/fenceRig';

describe('classify', () => {
  it.each([
    [new OneError('one.host.info', OneErrorCode.NO_EXISTS, 'no host'), { code: 'NO_EXISTS', kind: 'not-found', transient: false }],
    [new OneError('one.host.info', OneErrorCode.TIMEOUT, 'slow'), { code: 'TIMEOUT', kind: 'oned', transient: true }],
    [new OneError('one.vm.action', OneErrorCode.LOCKED, 'locked'), { code: 'LOCKED', kind: 'oned', transient: true }],
    [new StepError('bad-base64', 'x'), { code: 'bad-base64', kind: 'step', transient: false }],
    [new StepError('not-held', 'x', undefined, 'conflict'), { code: 'not-held', kind: 'conflict', transient: false }],
    [new InputError('select', [], 'x'), { code: 'invalid-input', kind: 'invalid-input', transient: false }],
    [new SecretStoreError('read-only'), { code: 'secret-store', kind: 'conflict', transient: false }],
    [z.string().safeParse(1).error, { code: 'invalid-output', kind: 'invalid-output', transient: false }],
    [new Error('boom'), { code: 'error', kind: 'internal', transient: false }],
    ['a string', { code: 'error', kind: 'internal', transient: false }],
  ])('%s', (e, expected) => {
    expect(classify(e)).toEqual(expected);
  });
});

describe('retry', () => {
  const sleeps: number[] = [];
  const clock = { sleep: async (ms: number) => void sleeps.push(ms) };
  it('retries transient errors with the policy backoff on the given clock, then succeeds', async () => {
    sleeps.length = 0;
    let n = 0;
    const out = await retry({ tries: 4, delayMs: 100, backoff: 'exponential', maxDelayMs: 300 }, async () => {
      if (++n < 4) throw new OneError('m', OneErrorCode.INTERNAL, 'busy');
      return 'ok';
    }, clock);
    expect(out).toBe('ok');
    expect(sleeps).toEqual([100, 200, 300]);
  });
  it('gives up at once on a non-transient error, and after the last try otherwise', async () => {
    sleeps.length = 0;
    await expect(retry({ tries: 5, delayMs: 10 }, async () => { throw new OneError('m', OneErrorCode.AUTHENTICATION, 'no'); }, clock)).rejects.toThrow('no');
    expect(sleeps).toEqual([]);
    let tries = 0;
    await expect(retry({ tries: 3, delayMs: 10 }, async (a) => { tries = a; throw new OneError('m', OneErrorCode.TRANSPORT, 'down'); }, clock)).rejects.toThrow('down');
    expect(tries).toBe(3);
    expect(sleeps).toEqual([10, 20]);
  });
});

describe('host policy codec', () => {
  it('derives the PUT body from the table rows that carry one, and null clears only where the row says so', () => {
    expect(EDITABLE_FIELDS).toEqual(['ha', 'mode', 'pause', 'fencing', 'force', 'fenceIp', 'fenceAgent', 'fenceOptions', 'verifyRetries', 'verifyRecreate', 'unlockLocked']);
    expect(HostSettingsBody.safeParse({ mode: null, fencing: null }).success).toBe(true);
    expect(HostSettingsBody.safeParse({ ha: null }).success).toBe(false);
    expect(HostSettingsBody.safeParse({ fenceCommand: '/x' }).success).toBe(false);
    const bad = HostSettingsBody.safeParse({ fenceOptions: { password: 'x' } });
    expect(bad.error?.issues[0].path).toEqual(['fenceOptions', 'password']);
  });
  it('writes what it reads back: body -> attributes -> the flow options and the view', () => {
    const attrs = settingsToAttributes({ ha: true, mode: 'recreate', pause: 4, fencing: false, fenceIp: '10.0.0.9', fenceAgent: 'fence_ipmilan', fenceOptions: { lanplus: '1' } });
    expect(attrs).toEqual({
      ONEHA_HA: 'YES', ONEHA_MODE: 'recreate', ONEHA_PAUSE: '4', ONEHA_FENCING: 'NO', FENCE_IP: '10.0.0.9', ONEHA_FENCE_AGENT: 'fence_ipmilan', ONEHA_FENCE_OPTIONS: 'lanplus=1',
    });
    const host = testHost(3, attrs);
    expect(hostHaSettings(host)).toEqual({ enabled: true, overrides: { mode: 'recreate', pause: 4, fencing: false }, converge: {}, problems: [] });
    expect(readField(host.template, 'fenceOptions')).toEqual({ ok: true, value: { lanplus: '1' } });
    const view = hostPolicyView(host, { mode: 'migrate', pause: 2, fencing: true, force: false }, (h) => fenceMethodsForHost(h, {}), { retries: 2, recreate: false, unlockLocked: false });
    expect(view.mode).toEqual({ value: 'recreate', source: 'host' });
    expect(view.fence.methods).toEqual([{ kind: 'agent', agent: 'fence_ipmilan', options: { lanplus: '1', ip: '10.0.0.9' } }]);
    expect(settingsToAttributes({ mode: null, fenceOptions: null })).toEqual({ ONEHA_MODE: '', ONEHA_FENCE_OPTIONS: '' });
  });
  it('reports an unreadable switch with its field and ignores it (a value is never guessed); ONEHA_HA is trimmed like the rest', () => {
    const s = hostHaSettings(testHost(1, { ONEHA_HA: ' no ', ONEHA_PAUSE: 'soon' }));
    expect(s.enabled).toBe(false);
    expect(s.overrides).toEqual({});
    expect(s.problems).toEqual([{ field: 'pause', attr: 'ONEHA_PAUSE', message: 'ONEHA_PAUSE = "soon" is not valid' }]);
  });
  it('the converge ladder and the lock setting per host: written, read back, shown with their source; a bad value is reported, never guessed', () => {
    const attrs = settingsToAttributes({ verifyRetries: 5, verifyRecreate: true, unlockLocked: true });
    expect(attrs).toEqual({ ONEHA_VERIFY_RETRIES: '5', ONEHA_VERIFY_RECREATE: 'YES', ONEHA_UNLOCK_LOCKED: 'YES' });
    expect(hostHaSettings(testHost(1, attrs)).converge).toEqual({ retries: 5, recreate: true, unlockLocked: true });
    const defaults = { retries: 2, recreate: false, unlockLocked: false };
    const view = hostPolicyView(testHost(1, { ONEHA_VERIFY_RETRIES: '0' }), { mode: 'migrate', pause: 2, fencing: true, force: false }, () => [], defaults);
    expect(view.converge).toEqual({ retries: { value: 0, source: 'host' }, recreate: { value: false, source: 'default' }, unlockLocked: { value: false, source: 'default' } });
    expect(HostSettingsBody.safeParse({ verifyRetries: 11 }).success).toBe(false);
    expect(HostSettingsBody.safeParse({ unlockLocked: null }).success).toBe(true);
    const bad = hostHaSettings(testHost(1, { ONEHA_VERIFY_RETRIES: '2; rm -rf /', ONEHA_UNLOCK_LOCKED: 'maybe' }));
    expect(bad.converge).toEqual({});
    expect(bad.problems.map((p) => p.attr)).toEqual(['ONEHA_VERIFY_RETRIES', 'ONEHA_UNLOCK_LOCKED']);
  });
  it('refuses to write fence options it would refuse to read', () => {
    expect(() => FIELDS.fenceOptions.write({ plug: 'a b' })).toThrow(/whitespace/);
  });
});

describe('massFailureVerdict', () => {
  const h = (id: number, state: number, t: Record<string, string> = {}) => ({ ...testHost(id, t), state });
  const cfg = { share: 0.5, count: 0, windowSeconds: 600 };
  it('counts HA hosts only, and recent failures not yet in ERROR; a tripped brake keeps holding', () => {
    const hosts = [h(1, 3), h(2, 2), h(3, 2), h(4, 3, { ONEHA_HA: 'NO' }), h(5, 8)];
    expect(massFailureVerdict(hosts, new Set(), cfg)).toEqual({ trips: false });
    const v = massFailureVerdict(hosts, new Set([2]), cfg);
    expect(v.trips).toBe(true);
    expect(v.reason).toMatch(/^mass failure: 2 of 3 HA hosts failed \(node1, node2\), more than 50 %/);
    expect(massFailureVerdict(hosts, new Set(), { ...cfg, share: 1, count: 1 }).reason).toMatch(/at least 1/);
    expect(massFailureVerdict(hosts, new Set(), cfg, true)).toEqual({ trips: false, reason: expect.stringMatching(/tripped within the last 600 s/) });
  });
});

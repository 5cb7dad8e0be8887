// The converge ladder per mode (issue 16 item 2): written once in
// model/ladder.ts, set in the runner's config for every mode and per mode,
// overridden per host; the most specific wins, rung by rung.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LADDER, ladderFor } from '../../model/ladder';
import { hostHaSettings } from '../../model/hostPolicy/haSettings';
import { hostPolicyView } from '../../model/hostPolicy/view';
import { loadConfig } from '../../runner/config';
import { host as testHost } from '../helpers/fakeOne';
import { HostState } from '../../model/one';

describe('the converge ladder per mode', () => {
  it('config: verify.perMode sets a mode\'s own rungs over verify.*; a deleted VM has no ladder, so perMode.delete is refused by name', () => {
    const c = loadConfig({}, { verify: { retries: 1, perMode: { recreate: { recreate: true }, migrate: { backoffSeconds: 30 } } } });
    expect(c.verify).toMatchObject({ retries: 1, recreate: false, backoffSeconds: 10, perMode: { recreate: { recreate: true }, migrate: { backoffSeconds: 30 } } });
    expect(loadConfig({}).verify.perMode).toEqual({});
    expect(() => loadConfig({}, { verify: { perMode: { delete: { retries: 1 } } } } as never)).toThrow(/config key verify\.perMode: .*delete/i);
    expect(() => loadConfig({}, { verify: { perMode: { recreate: { retries: 11 } } } })).toThrow(/config key verify\.perMode\.recreate\.retries:/);
    expect(() => loadConfig({}, { verify: { perMode: { migrate: { recreat: true } } } } as never)).toThrow(/verify\.perMode\.migrate: .*recreat/);
  });

  it('precedence, rung by rung: the host\'s own over the mode\'s over the runner\'s', () => {
    const runner = { retries: 2, recreate: false, backoffSeconds: 10 };
    const perMode = { recreate: { recreate: true, retries: 0 } };
    expect(ladderFor(runner, perMode.recreate)).toEqual({ retries: 0, recreate: true, backoffSeconds: 10 });
    expect(ladderFor(runner, undefined)).toEqual(runner);
    // The host says ONEHA_VERIFY_RECREATE=NO: it wins over recreate mode's allowance; its retries stay the mode's.
    const own = hostHaSettings(testHost(1, HostState.ERROR, { template: { ONEHA_VERIFY_RECREATE: 'NO' } })).converge;
    expect(ladderFor(runner, perMode.recreate, own)).toEqual({ retries: 0, recreate: false, backoffSeconds: 10 });
    // An undefined rung never hides a less specific one.
    expect(ladderFor(DEFAULT_LADDER, { retries: undefined }, {})).toEqual(DEFAULT_LADDER);
  });

  it('the host view shows the runner\'s ladder for the host\'s mode, the host\'s own as "host"', () => {
    const defaults = { mode: 'migrate' as const, pause: 2, fencing: true, force: false };
    const converge = { retries: 2, recreate: false, unlockLocked: false, perMode: { recreate: { recreate: true } } };
    const migrating = hostPolicyView(testHost(1, HostState.ERROR), defaults, () => [], converge);
    expect(migrating.converge.recreate).toEqual({ value: false, source: 'default' });
    const recreating = hostPolicyView(testHost(1, HostState.ERROR, { template: { ONEHA_MODE: 'recreate' } }), defaults, () => [], converge);
    expect(recreating.converge.recreate).toEqual({ value: true, source: 'default' });
    const refusing = hostPolicyView(testHost(1, HostState.ERROR, { template: { ONEHA_MODE: 'recreate', ONEHA_VERIFY_RECREATE: 'NO' } }), defaults, () => [], converge);
    expect(refusing.converge.recreate).toEqual({ value: false, source: 'host' });
  });
});

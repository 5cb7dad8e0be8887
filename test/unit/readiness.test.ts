import { describe, expect, it } from 'vitest';
import type { Host, Vm } from '../../model/one';
import { hookFact, poolReadiness, scoreOf, type HookSeen, type ReadinessInput } from '../../runner/readiness';
import { host as baseHost, vm as baseVm } from '../helpers/fakeOne';

const GB = 1024 * 1024;
const host = (id: number, vms: number[], template: Record<string, string> = {}, freeGb = 8): Host => baseHost(id, 2, {
  vms, template: { FENCE_IP: `10.0.0.${id}`, ...template },
  share: { cpuUsage: 0, memUsage: (16 - freeGb) * GB, totalCpu: 800, totalMem: 16 * GB, maxCpu: 800, maxMem: 16 * GB },
});
const vm = (id: number, hid: number, o: Partial<Vm> = {}): Vm => baseVm(id, 3, 3, hid, { cpu: 1, memory: 2048, ...o });
const agent = { kind: 'agent' as const, agent: 'fence_ipmilan', options: {} };

const input = (o: Partial<ReadinessInput> = {}): ReadinessInput => ({
  hosts: [host(0, [1, 2]), host(1, [3]), host(2, [4, 5], {}, 1)],
  vms: [vm(1, 0), vm(2, 0), vm(3, 1), vm(4, 2, { memory: 7000 }), vm(5, 2, { memory: 7000 })],
  datastores: [{ id: 0, name: 'system', type: 1, tmMad: 'shared', shared: 'YES' }, { id: 100, name: 'local', type: 1, tmMad: 'ssh', shared: 'NO' }],
  now: 10 * 86_400_000,
  defaults: { mode: 'migrate', pause: 2, force: false, fencing: true },
  fenceMethods: () => [agent],
  credentialsSet: () => true,
  lastFenceTest: () => ({ reachable: true, at: 10 * 86_400_000 - 3_600_000 }),
  fenceTestMaxAgeMs: 7 * 86_400_000,
  unlockLocked: false,
  reserveK: 1,
  hook: { ok: true, detail: 'seen' },
  clockSkewMs: 200,
  maxClockSkewMs: 5000,
  ...o,
});
const byId = (r: ReturnType<typeof poolReadiness>, id: number) => r.hosts.find((h) => h.hostId === id)!;
const failing = (r: ReturnType<typeof poolReadiness>, id: number) => byId(r, id).parts.filter((p) => p.ok === false).map((p) => p.key);

describe('readiness per host', () => {
  it('the last rehearsal: unknown until one ran; a recent one counts when a failure would recover every planned VM, an old or degraded one fails with its fix', () => {
    const now = 10 * 86_400_000;
    const part = (o: Partial<ReadinessInput>) => byId(poolReadiness(input(o)), 0).parts.find((p) => p.key === 'rehearsal')!;
    expect(part({})).toMatchObject({ ok: null, detail: 'not rehearsed: oneha rehearse 0 (or config rehearsal.intervalSeconds)' });
    const at = (hoursAgo: number, outcome = 'completed') => ({ lastRehearsal: () => ({ at: now - hoursAgo * 3_600_000, outcome, leftDown: 1, mttrSeconds: 95 }), rehearsalMaxAgeMs: 168 * 3_600_000 });
    expect(part(at(2))).toMatchObject({ ok: true, detail: 'completed 2 h ago: 1 VM left down, predicted MTTR 95 s' });
    expect(part(at(2)).fix).toBeUndefined();
    expect(part(at(2, 'degraded'))).toMatchObject({ ok: false, fix: 'oneha rehearse 0: the plan, each VM left down and why' });
    expect(part(at(200))).toMatchObject({ ok: false, detail: 'completed 8 days ago (too old): 1 VM left down, predicted MTTR 95 s' });
    // 10 of 110 points: a degraded rehearsal costs a host that has everything else 9 %.
    expect(byId(poolReadiness(input(at(2, 'degraded'))), 0).score).toBe(91);
  });

  it('a host with everything in place scores 100; each missing part names what was seen and its fix', () => {
    const r = poolReadiness(input());
    expect(byId(r, 0).score).toBe(100);
    expect(byId(r, 0).parts.map((p) => p.key)).toEqual(['fencing', 'credentials', 'fenceTest', 'datastores', 'locks', 'capacity', 'hook', 'clock', 'rehearsal']);
    // node 2's two 7 GB VMs cannot both fit on 8 + 8 GB once node 0 and 1 keep their own: one does.
    expect(failing(r, 2)).toEqual([]);
    const tight = poolReadiness(input({ hosts: [host(0, [1, 2], {}, 4), host(1, [3], {}, 4), host(2, [4, 5], {}, 1)] }));
    expect(failing(tight, 2)).toEqual(['capacity']);
    expect(byId(tight, 2).score).toBe(80);
    expect(byId(tight, 2).parts.find((p) => p.key === 'capacity')!.fix).toMatch(/enable or add hosts/);
    expect(tight.clusters[0]).toMatchObject({ n1: false });
  });

  it('a 55 % host: no credentials, a fence test that failed, a VM on a local datastore and a locked one', () => {
    const r = poolReadiness(input({
      vms: [vm(1, 0, { history: [{ seq: 0, hostname: 'host-0', hid: 0, dsId: 100, action: 0 }] }), vm(2, 0, { lock: 1 }), vm(3, 1), vm(4, 2), vm(5, 2)],
      credentialsSet: (h) => h.id !== 0,
      lastFenceTest: (id) => (id === 0 ? { reachable: false, at: 10 * 86_400_000 - 60_000, error: 'Unable to connect' } : undefined),
    }));
    const h0 = byId(r, 0);
    expect(failing(r, 0)).toEqual(['credentials', 'fenceTest', 'datastores', 'locks']);
    expect(h0.score).toBe(55); // 45 of the 100 points fail
    expect(h0.parts.find((p) => p.key === 'fenceTest')!.detail).toBe('failed 1 min ago: Unable to connect');
    expect(h0.parts.find((p) => p.key === 'locks')!.fix).toMatch(/^onevm unlock 2/);
    expect(h0.parts.find((p) => p.key === 'datastores')!.detail).toMatch(/1 VM on a system datastore that is not shared, left down by migrate: 1/);
    // oneha allowed to unlock: the lock no longer counts; recreate handles local datastores.
    const allowed = poolReadiness(input({ vms: input().vms.map((v) => (v.id === 2 ? { ...v, lock: 1 } : v)), unlockLocked: true }));
    expect(failing(allowed, 0)).not.toContain('locks');
    expect(failing(poolReadiness(input({ defaults: { mode: 'recreate', pause: 2, force: false, fencing: true }, vms: [vm(1, 0, { history: [{ seq: 0, hostname: 'h', hid: 0, dsId: 100, action: 0 }] })] })), 0)).not.toContain('datastores');
  });

  it('fencing off or unusable fails the fencing part; unknown parts do not count; HA off has no score', () => {
    const r = poolReadiness(input({
      hosts: [host(0, [], { ONEHA_FENCING: 'NO' }), host(1, [], {}), host(2, [], { ONEHA_HA: 'NO' })],
      fenceMethods: (h) => { if (h.id === 1) throw new Error('ONEHA_FENCE_AGENT = "x" is not valid'); return [agent]; },
      hook: undefined, clockSkewMs: undefined,
    }));
    expect(byId(r, 0).parts[0]).toMatchObject({ key: 'fencing', ok: false, fix: expect.stringMatching(/ONEHA_FENCING = "YES"/) });
    expect(byId(r, 1).parts[0].detail).toMatch(/fence settings cannot be used: ONEHA_FENCE_AGENT/);
    expect(byId(r, 0).parts.find((p) => p.key === 'hook')!.ok).toBeNull();
    expect(byId(r, 2).score).toBeNull();
    expect(scoreOf([{ key: 'hook', label: '', ok: null, weight: 10, detail: '' }, { key: 'locks', label: '', ok: true, weight: 5, detail: '' }])).toBe(100);
  });
});

describe('the hook part: oned\'s hooks and their last run (one.hookpool.info, one.hook.info)', () => {
  const hook = (id: number, command: string, log: HookSeen['log'] = [], o: Partial<HookSeen> = {}): HookSeen => ({
    id, name: `h${id}`, type: 'state', template: { RESOURCE: 'HOST', STATE: 'ERROR', COMMAND: command, ARGUMENTS: '$TEMPLATE -m -p 5' }, log, ...o,
  });
  const run = (executionId: number, timestamp: number, code: number, stderr = '') => ({ executionId, timestamp, code, stderr });

  it('installed and its last run reached the runner: passes; never run: unknown unless a hook event is in the journal', () => {
    expect(hookFact([hook(3, 'oneha/onehook.sh', [run(0, 100, 4), run(1, 200, 0)])], undefined)).toMatchObject({ ok: true, detail: expect.stringMatching(/^hook 3 \(h3: oneha\/onehook.sh\) installed; its last run \(execution 1 at 1970-01-01T00:03:20Z\) reached the runner$/) });
    expect(hookFact([hook(3, 'oneha/onehook.sh')], undefined)).toMatchObject({ ok: null, detail: expect.stringMatching(/oned has not run it yet/) });
    expect(hookFact([hook(3, '/var/lib/one/remotes/hooks/oneha/onehook.sh')], 5_000)).toMatchObject({ ok: true, detail: expect.stringMatching(/last reached the runner at 1970-01-01T00:00:05Z/) });
  });

  it('a last run that failed names onehook.sh\'s exit, its stderr, the fix and the retry; a later event in the journal supersedes it', () => {
    const failed = hookFact([hook(3, 'oneha/onehook.sh', [run(0, 100, 0), run(7, 300, 4, 'oneha: runner unreachable at http://127.0.0.1:2720 for 50s (last: connection refused)\n')])], 200_000);
    expect(failed.ok).toBe(false);
    expect(failed.detail).toMatch(/execution 7 at .* failed with exit 4, the runner was unreachable: oneha: runner unreachable at http:\/\/127.0.0.1:2720 for 50s \(last: connection refused\)$/);
    expect(failed.fix).toMatch(/^start the runner .*; then `onehook retry 3 7` re-sends that event$/);
    expect(hookFact([hook(3, 'oneha/onehook.sh', [run(7, 300, 2)])], undefined).fix).toMatch(/ONEHA_TOKEN/);
    expect(hookFact([hook(3, 'oneha/onehook.sh', [run(7, 300, 4)])], 301_000).ok).toBe(true);
  });

  it('no oneha hook, host_error.rb only, the foreground drop-in, or both installed: fails with the fix; other hooks are ignored', () => {
    expect(hookFact([], undefined)).toEqual({ ok: false, detail: 'no HOST ERROR hook runs oneha/onehook.sh (one.hookpool.info)', fix: 'onehook create deploy/onehook/host_error.hook' });
    expect(hookFact([hook(0, 'ft/host_error.rb')], undefined)).toMatchObject({ ok: false, detail: expect.stringMatching(/only host_error.rb is installed \(hook 0/) });
    expect(hookFact([hook(0, 'oneha/host_error.sh')], undefined)).toMatchObject({ ok: false, fix: expect.stringMatching(/oneha\/onehook.sh \(stage 2/) });
    expect(hookFact([hook(0, 'ft/host_error.rb'), hook(4, 'oneha/onehook.sh', [run(0, 1, 0)])], undefined)).toMatchObject({ ok: false, detail: expect.stringMatching(/two recoveries would act on the same failure/), fix: expect.stringMatching(/^onehook delete 0 /) });
    // A hook on another state or resource, or an API hook, is not a host-error hook.
    expect(hookFact([hook(1, 'oneha/onehook.sh', [], { template: { RESOURCE: 'HOST', STATE: 'DISABLED', COMMAND: 'oneha/onehook.sh' } })], undefined).ok).toBe(false);
    // Hooks not readable (not an administrator, oned down): unknown, unless the journal proves it.
    expect(hookFact(undefined, undefined, 'oned shows hooks to administrators only')).toEqual({ ok: null, detail: 'hooks not read: oned shows hooks to administrators only' });
    expect(hookFact(undefined, 1_000, 'x').ok).toBe(true);
  });

  it('the clock part: within readiness.maxClockSkewSeconds passes, with the uncertainty; not measured is unknown with why', () => {
    const clock = (o: Partial<ReadinessInput>) => byId(poolReadiness(input(o)), 0).parts.find((p) => p.key === 'clock')!;
    expect(clock({ clockSkewMs: -30_000, clockUncertaintyMs: 600 })).toMatchObject({ ok: false, detail: 'front-end 30.0 s (± 0.6 s) behind oned (the Date header of its reply); at most 5 s', fix: expect.stringMatching(/chronyd/) });
    expect(clock({ clockSkewMs: 300, clockUncertaintyMs: 510 }).ok).toBe(true);
    expect(clock({ clockSkewMs: undefined, clockNote: 'oned\'s reply had no Date header' })).toMatchObject({ ok: null, detail: 'not measured: oned\'s reply had no Date header' });
  });
});

// "What if it died now" (issue 14, deliverable 4) through the real runner
// and CLI against the simulator over real XML-RPC: a healthy host is
// rehearsed (nothing touched: no mutating oned call, no fence command run),
// then failed for real through the runner's hook endpoint, and the
// rehearsal's plan is compared with the real recovery's: the same VMs, the
// same actions in the same tier order, the same VMs left alone with the same
// reasons, the same locked VM left down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecoveryPlan } from '../../functions/select';
import type { VmOutcome } from '../../functions/carryOut';
import type { RehearsalReport } from '../../runner/rehearsal';
import { MUTATING_METHODS } from '../../sim/rpc';
import { BUNDLE, hostPayload, killAll, rawCall, requireBuild, run, sim, startSim, until } from '../helpers/processes';
import { startRunner, type RunnerHandle } from '../helpers/runnerProcess';

const shared = (hostId: number) => [{ hostId, dsId: 0 }];
const cloud = {
  hosts: [{ id: 0, name: 'node-a' }, { id: 1, name: 'node-b' }, { id: 2, name: 'node-c' }],
  datastores: [
    { id: 0, name: 'system', type: 'SYSTEM', tmMad: 'shared' },
    { id: 1, name: 'default', type: 'IMAGE', tmMad: 'shared' },
    { id: 100, name: 'local_system', type: 'SYSTEM', tmMad: 'ssh', shared: 'NO' },
  ],
  vms: [
    { id: 10, name: 'web', state: 'RUNNING', history: shared(1) },
    { id: 11, name: 'db', state: 'RUNNING', history: shared(1), userTemplate: { ONEHA_PRIORITY: 'HIGHEST', ONEHA_READY_TIMEOUT: '45' } },
    { id: 12, name: 'batch', state: 'RUNNING', history: shared(1), userTemplate: { ONEHA_PRIORITY: 'LOW' } },
    { id: 13, name: 'scratch', state: 'RUNNING', history: shared(1), userTemplate: { ONEHA_HA: 'NO' } },
    { id: 14, name: 'cache', state: 'RUNNING', history: [{ hostId: 1, dsId: 100 }] },
    { id: 15, name: 'pinned', state: 'RUNNING', history: shared(1) },
    { id: 16, name: 'elsewhere', state: 'RUNNING', history: shared(0) },
  ],
};

let s: Awaited<ReturnType<typeof startSim>>;
let r: RunnerHandle;
beforeAll(async () => {
  requireBuild();
  s = await startSim(cloud);
  r = await startRunner(s.url, { defaults: { mode: 'migrate', pause: 2 } });
  // A VM locked in oned: oned refuses resched for it, so both the rehearsal and the real run leave it down.
  const [ok] = await rawCall(s.url, 'one.vm.lock', [15, 1]);
  expect(ok).toBe(true);
});
afterAll(() => killAll());

const cli = (args: string[]) => run(process.execPath, [BUNDLE, ...args], { env: { ...r.env, ONEHA_URL: r.url } });
const mutatingOf = async (control: string, since = 0) => ((await sim(control, 'GET', `/calls?since=${since}`)).calls as Array<{ seq: number; method: string }>).filter((c) => MUTATING_METHODS.has(c.method));
const mutating = (since: number) => mutatingOf(s.control, since);
const lastSeq = async () => Math.max(0, ...((await sim(s.control, 'GET', '/calls')).calls as Array<{ seq: number }>).map((c) => c.seq));
const planShape = (actions: Array<{ vmId: number; operation: string; priority?: string }>) => actions.map((a) => `${a.priority ?? 'MEDIUM'} ${a.vmId} ${a.operation}`);
const skippedShape = (skipped: RecoveryPlan['skipped']) => skipped.map((v) => ({ vmId: v.vmId, reason: v.reason, code: v.code }));

describe('rehearsal: what if host 1 died now', () => {
  let rehearsal: RehearsalReport;

  it('POST /v1/hosts/1/rehearse runs the whole chain and touches nothing: no mutating oned call, no fence command', async () => {
    const since = await lastSeq();
    const res = await r.api('POST', '/v1/hosts/1/rehearse');
    expect(res.status, res.text).toBe(200);
    rehearsal = res.json;
    expect(await mutating(since)).toEqual([]);
    expect(r.fenced()).toEqual([]);
    const host = await sim(s.control, 'GET', '/hosts/1');
    expect(host.state).toBe(2); // still MONITORED
    expect(rehearsal).toMatchObject({ hostId: 1, hostName: 'node-b', trigger: 'operator', outcome: 'degraded', event: { flags: '-m -p 2', options: { mode: 'migrate', pause: 2, fencing: true } } });
    // The wait it would do: 2 cycles of the configured 1 s interval (the simulated oned does not report one).
    expect(rehearsal.wait).toEqual({ pause: 2, intervalSeconds: 1, intervalSource: 'config', seconds: 2 });
    // The runner's fence command is a level that cannot report power: not run, said so.
    expect(rehearsal.fence?.levels).toEqual([expect.objectContaining({ level: 1, ok: null, result: expect.stringMatching(/^would run command .*fence\.sh \(not run/) })]);
    // Tier order: HIGHEST, then MEDIUM by id, then LOW; the opted-out and the local-disk VMs are left with their reasons.
    expect(planShape(rehearsal.plan!.actions)).toEqual(['HIGHEST 11 resched', 'MEDIUM 10 resched', 'MEDIUM 15 resched', 'LOW 12 resched']);
    expect(rehearsal.plan!.actions.find((a) => a.vmId === 15)).toMatchObject({ outcome: 'locked' });
    expect(rehearsal.leftDown.map((v) => `${v.vmId} ${v.by}`)).toEqual(['13 select', '14 select', '15 carry-out']);
    expect(rehearsal.leftDown[0].reason).toMatch(/ONEHA_HA = NO/);
    expect(rehearsal.leftDown[1].reason).toMatch(/not shared/);
    expect(rehearsal.leftDown[2].reason).toMatch(/locked/);
    // Nothing journaled yet: the fence time is the configured bound and the VM start times the stated default.
    expect(rehearsal.mttr?.parts.map((p) => p.part)).toEqual(['wait', 'fence', 'vms']);
    expect(rehearsal.mttr?.parts[1].source).toMatch(/^upper bound/);
    expect(rehearsal.plan!.actions.every((a) => a.startSource.startsWith('default'))).toBe(true);
    // Kept as the host's last rehearsal; not a recovery.
    const last = await r.api('GET', '/v1/hosts/1/rehearsal');
    expect(last.status).toBe(200);
    expect(last.json).toEqual(rehearsal);
    expect((await r.api('GET', '/v1/recoveries')).json.total).toBe(0);
    expect((await r.api('GET', '/v1/hosts/0/rehearsal')).status).toBe(404);
    // Readiness shows it: a failure now would leave a VM it planned down, so the part fails, with its fix.
    const parts = (await r.api('GET', '/v1/hosts/1/readiness?refresh=1')).json.parts as Array<{ key: string; ok: boolean | null; detail: string; fix?: string }>;
    expect(parts.find((p) => p.key === 'rehearsal')).toMatchObject({ ok: false, detail: expect.stringMatching(/^degraded 0 min ago: 3 VMs left down, predicted MTTR \d+(\.\d)? s$/), fix: 'oneha rehearse 1: the plan, each VM left down and why' });
    expect((await r.api('GET', '/v1/hosts/0/readiness?refresh=1')).json.parts.find((p: { key: string }) => p.key === 'rehearsal')).toMatchObject({ ok: null });
  });

  it('then host 1 fails for real: the recovery does what the rehearsal said, in the same order, leaving the same VMs down for the same reasons', async () => {
    await sim(s.control, 'POST', '/hosts/1/fail');
    // A host in ERROR is not rehearsed: its real recovery is the answer.
    expect((await r.api('POST', '/v1/hosts/1/rehearse')).status).toBe(409);
    const id: string = (await r.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, 1, rehearsal.event.flags))).json.recoveryId;
    const done = await until(async () => {
      const d = (await r.api('GET', `/v1/recoveries/${id}`)).json;
      return ['completed', 'degraded', 'failed', 'fence-failed'].includes(d.status) && d;
    }, 60_000, 'the real recovery');
    expect(done.status).toBe(rehearsal.outcome);
    const plan: RecoveryPlan = (await r.api('GET', `/v1/recoveries/${id}/steps/select`)).json.output;
    expect(planShape(plan.actions)).toEqual(planShape(rehearsal.plan!.actions));
    expect(skippedShape(plan.skipped)).toEqual(skippedShape(rehearsal.plan!.skipped));
    // Each VM's fate: "would act" came true (done), the locked VM was refused the same way.
    const outcomes: VmOutcome[] = (await r.api('GET', `/v1/recoveries/${id}/steps/recover`)).json.output.outcomes;
    const fate = (o: string) => (o === 'dry-run' ? 'done' : o);
    expect(outcomes.map((o) => `${o.vmId} ${o.outcome}`).sort()).toEqual(rehearsal.plan!.actions.map((a) => `${a.vmId} ${fate(a.outcome)}`).sort());
    expect(r.fenced()).toEqual(['1']);
  });

  it('oneha rehearse: the host where db runs now, its start time measured by the recovery (table and --json)', async () => {
    const [, xml] = await rawCall(s.url, 'one.vm.info', [11]);
    const hostId = Number([...String(xml).matchAll(/<HID>(\d+)<\/HID>/g)].at(-1)?.[1]);
    expect([0, 2]).toContain(hostId);
    const table = await cli(['rehearse', String(hostId)]);
    expect(table.stdout).toMatch(/^HOST \d REHEARSAL \(nothing was touched\)$/m);
    expect(table.stdout).toMatch(/^PLAN \(migrate, in the order a recovery acts\)$/m);
    // Each VM's tier and what lets the next tier start (ONEHA_READY, ONEHA_READY_TIMEOUT).
    expect(table.stdout).toMatch(/^TIER +READY +ID +VM +ACTION +WOULD +START$/m);
    expect(table.stdout).toMatch(/^HIGHEST +RUNNING \(at most 45 s\) +11 +db +resched +one\.vm\.action\("resched", 11\)/m);
    expect(table.stdout).toMatch(/^MTTR$/m);
    const json: RehearsalReport = JSON.parse((await cli(['rehearse', String(hostId), '--json'])).stdout);
    expect(json.plan!.actions.find((a) => a.vmId === 11)?.startSource).toMatch(/^measured in recovery r/);
    expect(json.plan!.actions.find((a) => a.vmId === 11)?.ready).toEqual({ kind: 'RUNNING', timeoutSeconds: 45 });
    // The host's rehearsals, newest first: the two just run (table, then --json), each summarised.
    const history = await cli(['rehearsals', String(hostId)]);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toMatch(new RegExp(`^REHEARSALS OF HOST ${hostId} \\(\\S+\\) \\(newest first\\)$`, 'm'));
    expect(history.stdout).toMatch(/^AT +TRIGGER +OUTCOME +PLANNED +LEFT DOWN +MTTR +REASON$/m);
    const list = JSON.parse((await cli(['rehearsals', String(hostId), '--json'])).stdout) as { hostId: number; rehearsals: Array<{ at: number; trigger: string; outcome: string; planned: number; leftDown: number; mttrSeconds?: number }> };
    expect(list.hostId).toBe(hostId);
    expect(list.rehearsals).toHaveLength(2);
    expect(list.rehearsals[0]).toEqual({ at: json.at, trigger: 'operator', outcome: json.outcome, reason: expect.any(String), planned: json.plan!.actions.length, leftDown: json.leftDown.length, mttrSeconds: json.mttr!.seconds, durationMs: json.durationMs });
    expect(list.rehearsals[1].at).toBeLessThanOrEqual(list.rehearsals[0].at);
    // Host 1's history keeps its rehearsal from before it failed.
    expect((await r.api('GET', '/v1/hosts/1/rehearsals')).json.rehearsals).toMatchObject([{ trigger: 'operator', outcome: 'degraded', leftDown: 3 }]);
  });
});

describe('scheduled rehearsal (rehearsal.intervalSeconds)', () => {
  it('rehearses every healthy HA host on the runner\'s clock and keeps the report; a host with HA off is left alone', async () => {
    const s2 = await startSim({ hosts: [{ id: 0, name: 'n0' }, { id: 1, name: 'n1', template: { ONEHA_HA: 'NO' } }, { id: 2, name: 'n2' }], vms: [{ id: 5, name: 'v', state: 'RUNNING', history: [{ hostId: 0 }] }] });
    const r2 = await startRunner(s2.url, { rehearsal: { intervalSeconds: 1 } });
    const last = (id: number) => until(async () => {
      const res = await r2.api('GET', `/v1/hosts/${id}/rehearsal`);
      return res.status === 200 && (res.json as RehearsalReport);
    }, 30_000, `a scheduled rehearsal of host ${id}`);
    expect(await last(2)).toMatchObject({ hostId: 2, trigger: 'scheduled', outcome: 'completed' });
    expect(await last(0)).toMatchObject({ trigger: 'scheduled', plan: { actions: [{ vmId: 5, operation: 'resched' }] } });
    expect((await r2.api('GET', '/v1/hosts/1/rehearsal')).status).toBe(404);
    // Every scheduled run is in the host's history, newest first; a host never rehearsed has none.
    const runs = await until(async () => ((x) => x.length >= 2 && x)((await r2.api('GET', '/v1/hosts/2/rehearsals')).json.rehearsals as Array<{ at: number; trigger: string }>), 30_000, 'two scheduled rehearsals of host 2');
    expect(runs.every((x) => x.trigger === 'scheduled')).toBe(true);
    expect(runs.map((x) => x.at)).toEqual([...runs.map((x) => x.at)].sort((a, b) => b - a));
    expect((await r2.api('GET', '/v1/hosts/1/rehearsals')).json).toEqual({ hostId: 1, rehearsals: [] });
    expect(await mutatingOf(s2.control)).toEqual([]);
  });
});

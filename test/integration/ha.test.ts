// The runner in an HA front-end setting: reconciliation of hosts in ERROR
// that no hook reported, flows kept in OpenNebula documents and resumed by
// another runner, and acting only on the Raft leader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MUTATING_METHODS } from '../../sim/rpc';
import { hostPayload, killAll, rawCall, requireBuild, sim, startSim, until } from '../helpers/processes';
import { startRunner, type RunnerHandle } from '../helpers/runnerProcess';

function cloud(n: number, extra: object = {}) {
  const vms: object[] = [];
  for (let h = 0; h < n; h++) for (let i = 0; i < 2; i++) vms.push({ id: 100 + h * 10 + i, name: `vm-${h}-${i}`, state: 'RUNNING', cpu: 0.1, memory: 64, history: [{ hostId: h, dsId: 0 }] });
  return { hosts: Array.from({ length: n }, (_, i) => ({ id: i, name: `node-${i}`, cpu: 100_000, memory: 1 << 30 })), vms, options: { schedulerIntervalMs: 100 }, ...extra };
}
const recoveries = async (r: RunnerHandle) => (await r.api('GET', '/v1/recoveries')).json.recoveries as { id: string; status: string; trigger: string; hostId: number }[];
const detail = async (r: RunnerHandle, id: string) => (await r.api('GET', `/v1/recoveries/${id}`)).json;

beforeAll(() => requireBuild());
afterAll(() => killAll());

describe('reconciliation', () => {
  it('a host in ERROR that no hook reported gets a flow (reconciled), without waiting again for time already spent', async () => {
    const s = await startSim(cloud(6));
    await sim(s.control, 'POST', '/hosts/2/fail');
    // The hook fired while the runner was down: the host has been in ERROR for 2 s already.
    await new Promise((res) => setTimeout(res, 2200));
    const r = await startRunner(s.url, { reconcile: { intervalSeconds: 1 }, defaults: { mode: 'recreate', pause: 2, force: false, fencing: true } });
    const rec = await until(async () => (await recoveries(r)).find((x) => x.trigger === 'reconciled' && x.status === 'completed'), 20_000, 'a reconciled recovery');
    expect(rec.hostId).toBe(2);
    const d = await detail(r, rec.id);
    const wait = d.steps.find((x: { name: string }) => x.name === 'wait');
    expect(wait.output.result).toBe('still-failed');
    expect(wait.output.waitedMs).toBeLessThan(2000); // not the full 2 x 1 s pause: those cycles were already spent in ERROR
    expect(r.fenced()).toEqual(['2']);
    // The next passes do not start another one for the same failure.
    await new Promise((res) => setTimeout(res, 2500));
    expect((await recoveries(r)).filter((x) => x.hostId === 2)).toHaveLength(1);
  });
});

describe('journal in OpenNebula documents (Raft HA front-ends)', () => {
  it('another runner (the new leader) picks up a flow from one.document.* and finishes it', async () => {
    const s = await startSim(cloud(4));
    const a = await startRunner(s.url, { journal: { store: 'opennebula', documentType: 1042 } });
    await sim(s.control, 'POST', '/hosts/1/fail');
    const id = (await a.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, 1, '-m -p 4'))).json.recoveryId;
    await until(async () => (await detail(a, id))?.currentStep === 'wait', 10_000, 'the wait');
    const [ok, xml] = await rawCall(s.url, 'one.documentpool.info', [-2, -1, -1, 1042]);
    expect(ok).toBe(true);
    expect(xml).toContain(`oneha-${id}`);
    await a.kill('SIGKILL');
    // A runner on another front-end: its own empty data dir, the same oned.
    const b = await startRunner(s.url, { journal: { store: 'opennebula', documentType: 1042 } });
    const d = await until(async () => {
      const x = await detail(b, id);
      return x?.status === 'completed' ? x : undefined;
    }, 20_000, 'the second runner to finish the flow');
    expect(d.steps.filter((x: { name: string }) => x.name === 'decode')).toHaveLength(1);
    expect(a.fenced().concat(b.fenced())).toEqual(['1']);
    const calls = ((await sim(s.control, 'GET', '/calls')).calls as { method: string; params: unknown[] }[]).filter((c) => c.method === 'one.vm.action');
    expect(calls.map((c) => c.params[2]).sort()).toEqual([110, 111]);
  });
});

describe('leadership', () => {
  it('a runner whose oned is a Raft follower journals events but does not act', async () => {
    const s = await startSim(cloud(3, { raft: { state: 2, term: 4 } }));
    const r = await startRunner(s.url);
    await sim(s.control, 'POST', '/hosts/1/fail');
    const res = await r.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, 1, '-m -p 0'));
    expect(res.status).toBe(202);
    await new Promise((x) => setTimeout(x, 1500));
    expect((await detail(r, res.json.recoveryId)).status).toBe('received');
    expect((await r.api('GET', '/v1/status')).json.leader).toBe(false);
    expect(r.fenced()).toEqual([]);
    expect(((await sim(s.control, 'GET', '/calls')).calls as { method: string }[]).filter((c) => MUTATING_METHODS.has(c.method))).toEqual([]);
    expect(await (await fetch(`${r.url}/metrics`)).text()).toMatch(/oneha_leader 0/);
  });
});

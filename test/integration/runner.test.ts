// The runner as operators run it: a real process talking real XML-RPC to a
// simulator process; killed with SIGKILL at the worst moments and restarted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MUTATING_METHODS } from '../../sim/rpc';
import { hostPayload, killAll, rawCall, requireBuild, sim, startSim, until } from '../helpers/processes';
import { startRunner, type RunnerHandle } from '../helpers/runnerProcess';

type Call = { seq: number; method: string; params: unknown[]; ok: boolean; at: number };
const mutatingCalls = async (control: string): Promise<Call[]> => ((await sim(control, 'GET', '/calls')).calls as Call[]).filter((c) => MUTATING_METHODS.has(c.method));
const show = (c: Call) => `${c.method}(${c.params.slice(1).map((p) => JSON.stringify(p)).join(', ')})`;

/** A cloud of big hosts and many small VMs on a shared datastore. */
function cloud(hosts: number, vmsOn: Record<number, number>) {
  const vms: object[] = [];
  let id = 100;
  for (const [h, n] of Object.entries(vmsOn)) {
    for (let i = 0; i < n; i++) vms.push({ id: id++, name: `vm-${h}-${i}`, state: 'RUNNING', cpu: 0.1, memory: 64, history: [{ hostId: Number(h), dsId: 0 }] });
  }
  return {
    hosts: Array.from({ length: hosts }, (_, i) => ({ id: i, name: `node-${i}`, cpu: 100_000, memory: 1 << 30, template: { FENCE_IP: `10.0.0.${i}` } })),
    vms,
    options: { schedulerIntervalMs: 100 },
  };
}

async function completed(r: RunnerHandle, id: string, timeoutMs = 30_000) {
  return until(async () => {
    const d = (await r.api('GET', `/v1/recoveries/${id}`)).json;
    return ['completed', 'degraded', 'failed', 'fence-failed', 'came-back', 'held'].includes(d?.status) ? d : undefined;
  }, timeoutMs, `recovery ${id} to finish`);
}

beforeAll(() => requireBuild());
afterAll(() => killAll());

describe('runner: hook to recovery', () => {
  it('a posted hook payload becomes a completed recovery with exactly the expected calls', async () => {
    const s = await startSim('sample');
    const r = await startRunner(s.url);
    await sim(s.control, 'POST', '/hosts/1/fail');
    await sim(s.control, 'DELETE', '/calls');
    const res = await r.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, 1, '-m -p 1'), { 'content-type': 'text/plain' });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ status: 'accepted', link: `/v1/recoveries/${res.json.recoveryId}` });
    const d = await completed(r, res.json.recoveryId);
    expect(d.status).toBe('completed');
    expect(d.steps.map((x: { name: string; status: string }) => `${x.name}:${x.status}`)).toEqual(['decode:ok', 'wait:ok', 'fence:ok', 'inventory:ok', 'select:ok', 'recover:ok', 'verify:ok', 'finish:ok']);
    expect((await mutatingCalls(s.control)).map(show)).toEqual(['one.vm.action("resched", 41)', 'one.vm.action("resched", 44)', 'one.host.status(1, 1)']);
    // Completed means running: each VM's place and time, and the MTTR from oned's ERROR time.
    for (const v of d.vms) expect(v.verify).toMatchObject({ result: 'running', hostName: expect.stringMatching(/^kvm-node-0[134]$/), afterMs: expect.any(Number) });
    expect(d.counts).toMatchObject({ planned: 2, accepted: 2, recovered: 2, stuck: 0 });
    expect(d.mttrMs).toBeGreaterThan(0);
    expect(r.fenced()).toEqual(['1']);
    // Every VM not recovered has a reason.
    expect(d.notRecovered.map((v: { vmId: number }) => v.vmId).sort()).toEqual([42, 43]);
    expect(d.notRecovered.every((v: { reason: string }) => v.reason.length > 10)).toBe(true);
    // Logs are structured, with the recovery and host on every flow line.
    const flowLines = r.proc.output().split('\n').filter((l) => l.includes(res.json.recoveryId)).map((l) => JSON.parse(l));
    expect(flowLines.length).toBeGreaterThan(5);
    expect(flowLines.every((l) => l.hostId === 1 && l.ts && l.level)).toBe(true);
    expect(r.proc.output()).not.toContain(r.token);
    const metrics = (await fetch(`${r.url}/metrics`).then((x) => x.text()));
    expect(metrics).toMatch(/oneha_flows_total\{outcome="completed"\} 1/);
    expect(metrics).toMatch(/oneha_vms_total\{outcome="accepted"\} 2/);
    // the two VMs the plan left alone count as skipped, as the recovery lists them
    expect(metrics).toMatch(/oneha_vms_total\{outcome="skipped"\} 2/);
    expect(metrics).toMatch(/oneha_step_duration_seconds_count\{step="fence"\} 1/);
    expect(metrics).toMatch(/oneha_mttr_seconds_count 1/);
    expect(metrics).toMatch(/oneha_vm_time_to_running_seconds_count 2/);
    expect(metrics).toMatch(/oneha_vms_verified_total\{result="running"\} 2/);
  });
});

describe('runner: crash safety (SIGKILL and restart)', () => {
  let s: Awaited<ReturnType<typeof startSim>>;
  beforeAll(async () => {
    s = await startSim(cloud(10, { 1: 3, 2: 3, 3: 200 }));
  });

  async function crashAndResume(hostId: number, flags: string, killWhen: (d: any) => boolean, config: object = {}, fenceSleep = 0) {
    const r = await startRunner(s.url, { concurrency: { vms: 8, flows: 4 }, ...config }, { fenceSleep });
    await sim(s.control, 'POST', `/hosts/${hostId}/fail`);
    const before = (await sim(s.control, 'GET', '/calls')).calls.length;
    const res = await r.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, hostId, flags));
    const id = res.json.recoveryId;
    await until(async () => killWhen((await r.api('GET', `/v1/recoveries/${id}`)).json), 20_000, 'the moment to kill');
    await r.kill('SIGKILL');
    const atKill = (await r.api('GET', '/healthz').catch(() => ({ status: 0 }))).status;
    expect(atKill).toBe(0); // really dead
    await r.restart();
    const d = await completed(r, id);
    const calls = (await sim(s.control, 'GET', '/calls')).calls.slice(before).filter((c: Call) => MUTATING_METHODS.has(c.method)) as Call[];
    await r.kill('SIGTERM');
    return { d, calls, fenced: r.fenced() };
  }

  const vmCallsOnce = (calls: Call[]) => {
    const perVm = new Map<number, number>();
    // Applied calls only: the simulator drops (and logs as a fault) a call whose client died before it was applied.
    for (const c of calls.filter((x) => x.method === 'one.vm.action' && x.ok)) perVm.set(c.params[2] as number, (perVm.get(c.params[2] as number) ?? 0) + 1);
    return perVm;
  };

  it('killed during the wait: resumes, fences once, acts once per VM', async () => {
    const { d, calls, fenced } = await crashAndResume(1, '-m -p 3', (x) => x?.currentStep === 'wait');
    expect(d.status).toBe('completed');
    expect(fenced).toEqual(['1']);
    const perVm = vmCallsOnce(calls);
    expect([...perVm.values()]).toEqual([1, 1, 1]);
  });

  it('killed right after fencing: not fenced again, acts once per VM', async () => {
    await sim(s.control, 'POST', '/faults', { methodLatencyMs: { 'one.vmpool.infoset': 1500 } });
    const { d, calls, fenced } = await crashAndResume(2, '-m -p 0', (x) => x?.steps?.some((st: { name: string; status: string }) => st.name === 'fence' && st.status === 'ok'));
    await sim(s.control, 'DELETE', '/faults');
    expect(d.status).toBe('completed');
    expect(fenced).toEqual(['2']);
    expect([...vmCallsOnce(calls).values()]).toEqual([1, 1, 1]);
    expect(d.steps.filter((st: { name: string }) => st.name === 'fence')).toHaveLength(1);
  });

  it('killed in the middle of recovering 200 VMs: every VM gets exactly one mutating call', async () => {
    await sim(s.control, 'POST', '/faults', { methodLatencyMs: { 'one.vm.action': 40 } });
    const { d, calls, fenced } = await crashAndResume(3, '-m -p 0', (x) => (x?.vms?.length ?? 0) >= 40);
    await sim(s.control, 'DELETE', '/faults');
    expect(d.status).toBe('completed');
    expect(d.counts.recovered).toBe(200);
    expect(fenced).toEqual(['3']);
    const perVm = vmCallsOnce(calls);
    expect(perVm.size).toBe(200);
    expect([...perVm.values()].every((n) => n === 1)).toBe(true);
    expect(calls.filter((c) => c.method === 'one.host.status')).toHaveLength(1);
  });
});

describe('runner: duplicates, parallel hosts, bad input', () => {
  let s: Awaited<ReturnType<typeof startSim>>;
  let r: RunnerHandle;
  beforeAll(async () => {
    const hosts: Record<number, number> = {};
    for (let h = 10; h < 30; h++) hosts[h] = 2;
    s = await startSim(cloud(50, { 5: 4, ...hosts }));
    r = await startRunner(s.url, { concurrency: { vms: 8, flows: 4 }, limits: { bodyBytes: 1024 * 1024 } });
  });

  it('the same event posted 10 times concurrently gives one recovery', async () => {
    await sim(s.control, 'POST', '/hosts/5/fail');
    const payload = await hostPayload(s.url, 5, '-m -p 0');
    const answers = await Promise.all(Array.from({ length: 10 }, () => r.api('POST', '/v1/hooks/host-error', payload)));
    expect(answers.every((a) => a.status === 202)).toBe(true);
    const ids = new Set(answers.map((a) => a.json.recoveryId));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.json.status === 'accepted')).toHaveLength(1);
    const d = await completed(r, [...ids][0]);
    expect(d.status).toBe('completed');
    expect(r.fenced().filter((h) => h === '5')).toHaveLength(1);
    // A replay of the finished event within the window returns the same recovery...
    const again = await r.api('POST', '/v1/hooks/host-error', payload);
    expect(again.json).toMatchObject({ status: 'duplicate', recoveryId: [...ids][0] });
    // ...unless forced.
    const forced = await r.api('POST', '/v1/hooks/host-error?force=1', payload);
    expect(forced.json.status).toBe('accepted');
    expect(forced.json.recoveryId).not.toBe([...ids][0]);
    await completed(r, forced.json.recoveryId);
  });

  it('20 hosts failing at once: 20 recoveries, all complete, never more than 4 flows at a time', async () => {
    const hostIds = Array.from({ length: 20 }, (_, i) => i + 10);
    for (const h of hostIds) await sim(s.control, 'POST', `/hosts/${h}/fail`);
    const answers = await Promise.all(hostIds.map(async (h) => r.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, h, '-r -p 1'))));
    expect(answers.every((a) => a.status === 202 && a.json.status === 'accepted')).toBe(true);
    const done = await Promise.all(answers.map((a) => completed(r, a.json.recoveryId, 60_000)));
    expect(done.map((d) => d.status)).toEqual(Array(20).fill('completed'));
    // Bounded: the flows' lifetimes never overlap more than `concurrency.flows` deep.
    const spans = done.map((d) => [d.steps[0].startedAt, d.steps[d.steps.length - 1].endedAt] as const);
    const depth = Math.max(...spans.map(([a]) => spans.filter(([b, e]) => b <= a && a < e).length));
    expect(depth).toBeLessThanOrEqual(4);
    expect(depth).toBeGreaterThan(1);
    expect(new Set(r.fenced().filter((h) => Number(h) >= 10))).toEqual(new Set(hostIds.map(String)));
  }, 90_000);

  it.each([
    ['missing token', { auth: null, body: 'x -m' }, 401, 'missing-token'],
    ['wrong token', { auth: 'Bearer nope', body: 'x -m' }, 401, 'bad-token'],
    ['empty body', { body: '' }, 400, 'empty-payload'],
    ['bad base64', { body: '%%%notbase64 -m -p 5' }, 400, 'bad-base64'],
    ['XML that is not a HOST', { body: `${Buffer.from('<VM><ID>3</ID></VM>').toString('base64')} -m` }, 400, 'not-a-host'],
    ['missing mode', { hostFlags: '-p 5' }, 400, 'missing-mode'],
    ['unknown flag', { hostFlags: '-m --reboot' }, 400, 'unknown-flag'],
    ['bad JSON form', { body: '{"payload": 3}', json: true }, 400, 'bad-json'],
    ['20 MB body', { body: 'A'.repeat(20 * 1024 * 1024) }, 413, 'too-large'],
  ])('bad input: %s', async (_what, c: any, status, code) => {
    const body = c.hostFlags ? await hostPayload(s.url, 0, c.hostFlags) : c.body;
    const headers: Record<string, string> = { 'content-type': c.json ? 'application/json' : 'text/plain' };
    if (c.auth !== undefined) headers.authorization = c.auth ?? '';
    const res = await fetch(`${r.url}/v1/hooks/host-error`, {
      method: 'POST', body, headers: c.auth === null ? { 'content-type': headers['content-type'] } : { authorization: `Bearer ${r.token}`, ...headers },
    });
    expect(res.status).toBe(status);
    const json = await res.json();
    expect(json.error.code).toBe(code);
    if (status === 400) {
      // Accepted but invalid: kept as rejected, nothing lost. The view shows its beginning;
      // the whole payload is in the journal directory's rejected-payload file.
      const kept = (await r.api('GET', `/v1/recoveries/${json.recoveryId}`)).json;
      expect(kept).toMatchObject({ status: 'rejected', payload: body.slice(0, kept.payload.length) });
      if (body) { // an empty body has nothing to keep
        const rejected = readFileSync(join(r.dir, 'data', 'journal', 'rejected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
        expect(kept.payloadRef).toBe('rejected.jsonl');
        expect(rejected.find((x) => x.id === json.recoveryId)).toMatchObject({ payload: body, reason: kept.reason });
      }
    }
    expect((await r.api('GET', '/healthz')).status).toBe(200);
  });

  it('the JSON form of the hook body is accepted', async () => {
    await rawCall(s.url, 'one.host.status', [6, 0]);
    await sim(s.control, 'POST', '/hosts/6/fail');
    const payload = await hostPayload(s.url, 6, '-m -p 0');
    const [template, ...args] = payload.split(' ');
    const res = await r.api('POST', '/v1/hooks/host-error', { template, arguments: args.join(' ') });
    expect(res.status).toBe(202);
    expect((await completed(r, res.json.recoveryId)).status).toBe('completed');
  });

  it('lists recoveries by host and status, and serves an OpenAPI document of its routes', async () => {
    const list = (await r.api('GET', '/v1/recoveries?status=rejected')).json;
    expect(list.recoveries.length).toBe(6); // the six 400s of the bad-input table
    expect(list.recoveries.every((x: { status: string }) => x.status === 'rejected')).toBe(true);
    const byHost = (await r.api('GET', '/v1/recoveries?host=5')).json;
    expect(byHost.recoveries.every((x: { hostId: number }) => x.hostId === 5)).toBe(true);
    const doc = await (await fetch(`${r.url}/v1/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/hooks/host-error', '/v1/recoveries/{id}', '/v1/functions/{name}', '/metrics']));
    expect(doc.paths['/v1/recoveries/{id}/replay'].post.requestBody.content['application/json'].schema.properties.from.enum).toContain('select');
    expect((await fetch(`${r.url}/v1/recoveries`)).status).toBe(401);
  });

  it('runs one function by name with the real ports; effectful ones dry-run', async () => {
    const sel = await r.api('POST', '/v1/functions/inventory', { input: { hostId: 5 } });
    expect(sel.status).toBe(200);
    expect(sel.json.output.host.id).toBe(5);
    const dry = await r.api('POST', '/v1/functions/delete', { input: { hostId: 5, actions: [{ vmId: 100, vmName: 'x', state: 'x', operation: 'delete' }] }, dryRun: true });
    expect(dry.json.output.outcomes[0].outcome).toMatch(/dry-run|already-done/);
    const bad = await r.api('POST', '/v1/functions/select', { input: { nope: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid-input');
    expect((await r.api('POST', '/v1/functions/reboot', { input: {} })).status).toBe(404);
  });
});

// A slow oned for one flow (2 s per call about that host) hurts only that
// flow: the API answers at once and other hosts' recoveries go on. A hung
// oned does not hang the API's reads: they answer what was read last, with
// its age.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPayload, killAll, requireBuild, sim, startSim, until } from '../helpers/processes';
import { startRunner } from '../helpers/runnerProcess';

beforeAll(() => requireBuild());
afterAll(() => killAll());

describe('isolation', () => {
  it('2 s per call for host 1 delays neither the API nor host 2’s recovery', async () => {
    const vms = [1, 2].flatMap((h) => [0, 1].map((i) => ({ id: 100 + h * 10 + i, name: `vm-${h}-${i}`, state: 'RUNNING', cpu: 0.1, memory: 64, history: [{ hostId: h, dsId: 0 }] })));
    const s = await startSim({ hosts: Array.from({ length: 6 }, (_, i) => ({ id: i, name: `node-${i}`, cpu: 100_000, memory: 1 << 30 })), vms });
    const r = await startRunner(s.url);
    await sim(s.control, 'POST', '/hosts/1/fail');
    await sim(s.control, 'POST', '/hosts/2/fail');
    const slowPayload = await hostPayload(s.url, 1, '-m -p 1');
    await sim(s.control, 'POST', '/faults', { objectLatencyMs: { 'one.host.info:1': 2000, 'one.vm.action:110': 2000, 'one.vm.action:111': 2000 } });
    const slow = (await r.api('POST', '/v1/hooks/host-error', slowPayload)).json.recoveryId;
    const t0 = Date.now();
    const fast = (await r.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, 2, '-m -p 1'))).json.recoveryId;
    // The API stays quick while the slow flow waits on oned.
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const a = Date.now();
      expect((await r.api('GET', i % 2 ? '/healthz' : `/v1/recoveries/${slow}`)).status).toBe(200);
      latencies.push(Date.now() - a);
    }
    // A request that waited on the slow oned would take at least its 2 s delay.
    expect(Math.max(...latencies)).toBeLessThan(2000);
    const fastDone = await until(async () => (await r.api('GET', `/v1/recoveries/${fast}`)).json.status === 'completed', 15_000, 'the fast flow');
    expect(fastDone).toBe(true);
    const fastSeconds = (Date.now() - t0) / 1000;
    // Not held up by host 1: done while host 1's flow is still waiting on oned.
    expect((await r.api('GET', `/v1/recoveries/${slow}`)).json.status).toBe('running');
    const slowDone = await until(async () => {
      const d = (await r.api('GET', `/v1/recoveries/${slow}`)).json;
      return d.status === 'completed' ? d : undefined;
    }, 40_000, 'the slow flow');
    expect((Date.now() - t0) / 1000).toBeGreaterThan(fastSeconds + 2);
    expect(slowDone.counts.recovered).toBe(2);
  }, 60_000);

  it('GET /v1/status and GET /v1/hosts answer while oned hangs, with the age of what they show, before oned answers', async () => {
    const s = await startSim({ hosts: Array.from({ length: 3 }, (_, i) => ({ id: i, name: `node-${i}`, cpu: 100_000, memory: 1 << 30 })), vms: [] });
    const r = await startRunner(s.url);
    await until(async () => (await r.api('GET', '/v1/status')).json.oned.reachable === true, 20_000, 'the runner\'s first look at oned');
    expect((await r.api('GET', '/v1/hosts')).json.total).toBe(3);
    const calls = async () => (await sim(s.control, 'GET', '/calls')).calls as Array<{ seq: number; method: string }>;
    const mark = Math.max(0, ...(await calls()).map((c) => c.seq));
    // From now on oned answers nothing (an hour per call).
    await sim(s.control, 'POST', '/faults', { latencyMs: 3_600_000 });

    // Status: the last answer, older and older, and the look under way that oned does not answer.
    const status = await until(async () => {
      const st = (await r.api('GET', '/v1/status')).json;
      return st.oned.checkingForSeconds >= 1 && st.oned.checkedAgoSeconds >= 1 ? st : undefined;
    }, 30_000, 'a status showing a look at oned under way');
    expect(status.oned).toMatchObject({ reachable: true, version: expect.any(String) });
    // Many at once: each answers from memory (none waits for a socket to oned).
    const many = await Promise.all(Array.from({ length: 50 }, () => r.api('GET', '/v1/status')));
    expect(many.map((m) => m.status)).toEqual(many.map(() => 200));
    expect(many.every((m) => m.json.oned.reachable === true && m.json.oned.checkedAgoSeconds >= 1)).toBe(true);

    // Hosts: the pool read before the hang, with its age in the Age header.
    const hosts = await until(async () => {
      const h = await r.api('GET', '/v1/hosts');
      return h.status === 200 && Number(h.headers.get('age')) >= 2 ? h : undefined;
    }, 30_000, 'a host list older than 2 s');
    expect(hosts.json.total).toBe(3);

    // All of it answered before oned answered anything.
    expect((await calls()).filter((c) => c.seq > mark).map((c) => c.method)).toEqual([]);
  }, 90_000);
});

// Fault injection (latency, errors, auth failure, oned down), the call log
// and the HTTP control API.
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../sim/server';
import { call, ok, sampleScenario, sleep, waitFor } from './helpers';

const sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});
async function start(extra: object = {}): Promise<Simulator> {
  const sim = await startSimulator({ scenario: { ...sampleScenario(), ...extra } });
  sims.push(sim);
  return sim;
}

const timed = async <T>(p: Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const v = await p;
  return [v, performance.now() - t];
};

const json = async (sim: Simulator, path: string, method = 'GET', body?: unknown) => {
  const r = await fetch(`${sim.controlUrl}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  return { status: r.status, body: (await r.json()) as any };
};

describe('latency', () => {
  // Latencies well above scheduling noise, so that a loaded machine does not make these flaky.
  it('global and per-method delays, set at start and at run time', async () => {
    const sim = await start({ options: { latencyMs: 200 } });
    const [, slow] = await timed(call(sim.url, 'one.system.version', []));
    expect(slow).toBeGreaterThanOrEqual(195);
    sim.faults.set({ latencyMs: 0, methodLatencyMs: { 'one.vm.info': 250 } });
    // Lower bounds only: a loaded machine can make a call slower, never faster.
    // That the other calls carry no delay is read from the fault table itself.
    expect(sim.faults.delayFor('one.system.version')).toBe(0);
    const [, vmInfo] = await timed(call(sim.url, 'one.vm.info', [41]));
    expect(vmInfo).toBeGreaterThanOrEqual(245);
    sim.faults.clear();
    expect(sim.faults.delayFor('one.vm.info', ['<session>', 41])).toBe(0);
  });

  it('a slow call does not hold up the others', async () => {
    const sim = await start();
    sim.faults.setLatency(400, 'one.vmpool.info');
    let slowDone = false;
    const slow = timed(call(sim.url, 'one.vmpool.info', [-2, -1, -1, -1])).finally(() => { slowDone = true; });
    await call(sim.url, 'one.host.info', [0]);
    expect(slowDone).toBe(false); // answered while the slow call was still held
    expect((await slow)[1]).toBeGreaterThanOrEqual(395);
  });
});

describe('injected errors', () => {
  it('per method and object id, N times, with code names or numbers', async () => {
    const sim = await start();
    sim.faults.set({ errors: [{ method: 'one.vm.action', id: 41, code: 'INTERNAL', message: 'Error: database is locked', times: 2 }] });
    expect((await call(sim.url, 'one.vm.action', ['resched', 42]))[0]).toBe(true); // another VM: not affected
    expect(await call(sim.url, 'one.vm.action', ['resched', 41])).toEqual([false, '[one.vm.action] Error: database is locked', 8192, 41, '-1']);
    expect((await call(sim.url, 'one.vm.action', ['resched', 41]))[2]).toBe(8192);
    expect(await call(sim.url, 'one.vm.action', ['resched', 41])).toEqual([true, 41, 0]);
    expect(sim.faults.errors).toEqual([]);
    sim.faults.set({ errors: [{ method: 'one.vmpool.info', code: 4096 }] });
    const r = await call(sim.url, 'one.vmpool.info', [-2, -1, -1, -1]);
    expect(r.slice(2, 4)).toEqual([4096, -1]);
    expect(r[1]).toMatch(/^\[one.vmpool.info\] /);
    expect((await call(sim.url, 'one.vmpool.info', [-2, -1, -1, -1]))[2]).toBe(4096); // no `times`: always
    sim.faults.clear();
    expect((await call(sim.url, 'one.vmpool.info', [-2, -1, -1, -1]))[0]).toBe(true);
  });

  it('by action name, and "*" for every method', async () => {
    const sim = await start();
    sim.faults.addError({ method: 'one.vm.action', action: 'poweroff', code: 'ACTION', times: 1 });
    expect((await call(sim.url, 'one.vm.action', ['poweroff', 45]))[2]).toBe(2048);
    expect((await call(sim.url, 'one.vm.action', ['poweroff', 45]))[0]).toBe(true);
    sim.faults.addError({ method: '*', code: 'LOCKED', times: 1 });
    expect((await call(sim.url, 'one.host.info', [0]))[2]).toBe(32768);
  });
});

describe('authentication failure and oned down', () => {
  it('authFailure answers AUTHENTICATION to every call until cleared', async () => {
    const sim = await start({ faults: { authFailure: true } });
    expect(await call(sim.url, 'one.system.version', [])).toEqual([false, "[one.system.version] User couldn't be authenticated, aborting call.", 256, -1, '-1']);
    sim.faults.setAuthFailure(false);
    expect((await call(sim.url, 'one.system.version', []))[0]).toBe(true);
  });

  it('down: connection refused on the same port; up: answers again', async () => {
    const sim = await start();
    const port = sim.port;
    await call(sim.url, 'one.system.version', []); // a keep-alive connection exists
    await sim.down();
    expect(sim.isUp()).toBe(false);
    await sleep(20); // let the client notice its pooled connection was closed
    const err = await call(sim.url, 'one.system.version', []).then(() => undefined, (e: NodeJS.ErrnoException) => e);
    expect(err?.code).toBe('ECONNREFUSED');
    await sim.up();
    expect(sim.port).toBe(port);
    expect((await call(sim.url, 'one.system.version', []))[0]).toBe(true);
  });

  it('a call in flight when oned goes down is not applied', async () => {
    const sim = await start();
    sim.faults.setLatency(100, 'one.vm.action');
    const pending = call(sim.url, 'one.vm.action', ['poweroff', 45]).then(() => 'answered', () => 'no answer');
    await sleep(20);
    await sim.down();
    expect(await pending).toBe('no answer');
    await sleep(120);
    expect(sim.cloud.vm(45)!.state).toBe(3);
    expect(sim.calls.at(-1)).toMatchObject({ method: 'one.vm.action', ok: false, fault: true });
  });

  it('POST /sim/down with forMs comes back by itself', async () => {
    const sim = await start();
    expect((await json(sim, '/down', 'POST', { forMs: 80 })).status).toBe(202);
    await waitFor('down', () => sim.isDown);
    await waitFor('up again', () => sim.isUp(), 2000);
    expect((await call(sim.url, 'one.system.version', []))[0]).toBe(true);
  });
});

describe('call log', () => {
  it('records every call with the session hidden, faults included; mutatingCalls; reset', async () => {
    const sim = await start();
    await call(sim.url, 'one.vm.info', [41]);
    await call(sim.url, 'one.vm.action', ['resched', 43]);
    await call(sim.url, 'one.vm.delete', [43]).catch(() => undefined);
    await call(sim.url, 'one.host.update', [0, 'X = "1"', 1]);
    await call(sim.url, 'one.document.info', [9]);
    await call(sim.url, 'one.system.version', [], 'oneadmin:bad');
    expect(sim.calls.map((c) => [c.seq, c.method, c.params, c.ok, c.code])).toEqual([
      [1, 'one.vm.info', ['<session>', 41], true, 0],
      [2, 'one.vm.action', ['<session>', 'resched', 43], false, 2048],
      [3, 'one.vm.delete', ['<session>', 43], false, -506],
      [4, 'one.host.update', ['<session>', 0, 'X = "1"', 1], true, 0],
      [5, 'one.document.info', ['<session>', 9], false, 1024],
      [6, 'one.system.version', ['<session>'], false, 256],
    ]);
    expect(sim.calls[2].fault).toBe(true);
    expect(sim.calls.every((c) => typeof c.at === 'number' && c.durationMs >= 0)).toBe(true);
    expect(JSON.stringify(sim.calls)).not.toContain('oneadmin:');
    expect(sim.mutatingCalls().map((c) => c.method)).toEqual(['one.vm.action', 'one.host.update']);
    sim.resetCalls();
    expect(sim.calls).toEqual([]);
    await call(sim.url, 'one.system.version', []);
    expect(sim.calls[0].seq).toBe(7);
  });
});

describe('control API', () => {
  it('state, fail/restore, calls, faults, hooks, events', async () => {
    const sim = await start();
    const st = await json(sim, '/state');
    expect(st.status).toBe(200);
    expect(st.body.hosts.map((h: any) => [h.id, h.name, h.stateName, h.vms])).toEqual([[0, 'kvm-node-01', 'MONITORED', [45]], [1, 'kvm-node-02', 'MONITORED', [41, 42, 43, 44]]]);
    expect(st.body.vms.find((v: any) => v.id === 41)).toMatchObject({ stateName: 'RUNNING', hostId: 1, hostname: 'kvm-node-02', dsId: 0 });
    expect(st.body.down).toBe(false);

    const failed = await json(sim, '/hosts/1/fail', 'POST');
    expect(failed.body).toMatchObject({ id: 1, state: 3, failed: true });
    expect((await json(sim, '/vms/41')).body.stateName).toBe('UNKNOWN');
    expect((await json(sim, '/hosts/9/fail', 'POST')).status).toBe(404);
    expect((await json(sim, '/hosts/1/restore', 'POST')).body).toMatchObject({ state: 2, failed: false });

    await call(sim.url, 'one.vm.info', [41]);
    const calls = await json(sim, '/calls');
    expect(calls.body.calls.map((c: any) => c.method)).toEqual(['one.vm.info']);
    expect((await json(sim, '/calls?since=1')).body.calls).toEqual([]);
    expect((await json(sim, '/calls', 'DELETE')).status).toBe(200);
    expect(sim.calls).toEqual([]);

    const f = await json(sim, '/faults', 'POST', { latencyMs: 5, authFailure: true, errors: [{ method: 'one.vm.info', code: 'NO_EXISTS', times: 1 }] });
    expect(f.body).toMatchObject({ latencyMs: 5, authFailure: true, errors: [expect.objectContaining({ method: 'one.vm.info', code: 1024, remaining: 1 })] });
    expect((await call(sim.url, 'one.vm.info', [41]))[2]).toBe(256);
    expect((await json(sim, '/faults', 'POST', { latencyMs: 'x' })).status).toBe(400);
    expect((await json(sim, '/faults', 'DELETE')).body).toEqual({ latencyMs: 0, methodLatencyMs: {}, objectLatencyMs: {}, authFailure: false, errors: [] });

    expect((await json(sim, '/hooks')).body).toEqual({ runs: [] });
    const ev = await json(sim, '/events');
    expect(ev.body.events.filter((e: any) => e.kind === 'host-state').map((e: any) => e.to)).toEqual(['ERROR', 'MONITORED']);
    expect((await json(sim, '/raft', 'POST', { state: 1 })).body).toMatchObject({ state: 1 });
    expect((await call(sim.url, 'one.vm.action', ['resched', 41]))[2]).toBe(8192);
    await json(sim, '/raft', 'POST', { state: 0 });
    expect((await json(sim, '/nope')).status).toBe(404);
  });

  it('scheduled restore through the faults', async () => {
    const sim = await start();
    sim.cloud.failHost(1);
    await json(sim, '/faults', 'POST', { restoreHosts: [{ hostId: 1, afterMs: 30 }] });
    expect(sim.cloud.host(1)!.state).toBe(3);
    await waitFor('restored', () => sim.cloud.host(1)!.state === 2);
  });

  it('scheduled failure from the scenario', async () => {
    const sim = await start({ faults: { failHosts: [{ hostId: 1, afterMs: 20, restoreAfterMs: 40 }] } });
    expect(sim.cloud.host(1)!.state).toBe(2);
    await waitFor('failed', () => sim.cloud.host(1)!.state === 3);
    await waitFor('restored', () => sim.cloud.host(1)!.state === 2);
    await sleep(1);
  });
});

describe('per-object latency', () => {
  it('slows only the calls about that object', async () => {
    const sim = await startSimulator({ scenario: { hosts: [{ id: 0, name: 'a' }, { id: 1, name: 'b' }] }, port: 0 });
    try {
      sim.faults.set({ objectLatencyMs: { 'one.host.info:1': 300 } });
      expect(sim.faults.delayFor('one.host.info', ['<session>', 0])).toBe(0);
      const [, slow] = await timed(call(sim.url, 'one.host.info', [1]));
      expect(slow).toBeGreaterThanOrEqual(290);
    } finally {
      await sim.close();
    }
  });
});

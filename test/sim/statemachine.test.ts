// The cloud's behaviour (OpenNebula's XML-RPC reference and what a real oned did): host failure,
// resched, recover, the scheduler, capacity, timings.
import { afterEach, describe, expect, it } from 'vitest';
import { parseHost, parseVm, parseVmPool } from '../../model/oneXml';
import type { Scenario } from '../../sim/scenario';
import { startSimulator, type Simulator } from '../../sim/server';
import { call, ok, sleep, waitFor } from './helpers';

const sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

function cloud(extra: Partial<Scenario> = {}, options: Scenario['options'] = {}): Scenario {
  return {
    users: [
      { id: 0, name: 'oneadmin', password: 'oneadmin', gid: 0 },
      { id: 5, name: 'ops', password: 'ops', gid: 0 },
    ],
    hosts: [
      { id: 0, name: 'node-a' },
      { id: 1, name: 'node-b' },
      { id: 2, name: 'node-c' },
    ],
    datastores: [
      { id: 0, name: 'system', type: 'SYSTEM', tmMad: 'shared' },
      { id: 1, name: 'default', type: 'IMAGE', tmMad: 'shared' },
      { id: 100, name: 'local', type: 'SYSTEM', tmMad: 'ssh' },
    ],
    vms: [
      { id: 1, name: 'run-1', state: 'RUNNING', cpu: 1, memory: 1024, history: [{ hostId: 2 }, { hostId: 1 }] },
      { id: 2, name: 'run-2', state: 'RUNNING', cpu: 2, memory: 2048, history: [{ hostId: 1 }] },
      { id: 3, name: 'susp', state: 'SUSPENDED', history: [{ hostId: 1 }] },
      { id: 4, name: 'off', state: 'POWEROFF', history: [{ hostId: 1 }] },
      { id: 5, name: 'local', state: 'RUNNING', history: [{ hostId: 1, dsId: 100 }] },
      { id: 6, name: 'elsewhere', state: 'RUNNING', history: [{ hostId: 0 }] },
    ],
    ...extra,
    options: { schedulerIntervalMs: 5, ...options },
  };
}

async function start(s: Scenario, clock?: { now(): number }): Promise<Simulator> {
  const sim = await startSimulator({ scenario: s, clock });
  sims.push(sim);
  return sim;
}

const vmState = (sim: Simulator, id: number) => {
  const v = sim.cloud.vm(id)!;
  return [v.state, v.lcmState];
};

describe('host failure', () => {
  it('ERROR, RUNNING VMs to UNKNOWN with RESCHED=0, TEMPLATE/ERROR, one event; restore keeps VMs UNKNOWN', async () => {
    const sim = await start(cloud({}, { schedulerIntervalMs: 60_000 }));
    await ok(sim.url, 'one.vm.action', 'resched', 2); // RESCHED=1 before the failure...
    sim.cloud.failHost(1);
    sim.cloud.failHost(1); // ...a second report changes nothing
    const host = parseHost(await ok(sim.url, 'one.host.info', 1));
    expect(host.state).toBe(3);
    expect(host.template.ERROR).toMatch(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} : Error monitoring Host node-b \(1\): /);
    expect(host.vms).toEqual([1, 2, 3, 4, 5]);
    const vms = parseVmPool(await ok(sim.url, 'one.vmpool.info', -2, -1, -1, -1));
    const by = new Map(vms.map((v) => [v.id, v]));
    expect([1, 2, 5].map((id) => [by.get(id)!.state, by.get(id)!.lcmState, by.get(id)!.resched])).toEqual([[3, 16, 0], [3, 16, 0], [3, 16, 0]]);
    expect([by.get(3)!.state, by.get(4)!.state, by.get(6)!.lcmState]).toEqual([5, 8, 3]);
    expect(sim.events.filter((e) => e.kind === 'host-state')).toEqual([expect.objectContaining({ id: 1, from: 'MONITORED', to: 'ERROR' })]);

    sim.cloud.restoreHost(1);
    const back = parseHost(await ok(sim.url, 'one.host.info', 1));
    expect(back.state).toBe(2);
    expect(back.template.ERROR).toBeUndefined();
    expect(vmState(sim, 1)).toEqual([3, 16]);
    expect(sim.events.filter((e) => e.kind === 'host-state').map((e) => e.to)).toEqual(['ERROR', 'MONITORED']);
  });

  it('a DISABLED host stays DISABLED (VMs still UNKNOWN, no ERROR event); OFFLINE is ignored', async () => {
    const sim = await start(cloud({ hosts: [{ id: 0, name: 'a' }, { id: 1, name: 'b', state: 'DISABLED' }, { id: 2, name: 'c', state: 'OFFLINE' }], vms: [
      { id: 1, state: 'RUNNING', history: [{ hostId: 1 }] },
      { id: 2, state: 'POWEROFF', history: [{ hostId: 2 }] },
    ] }));
    sim.cloud.failHost(1);
    sim.cloud.failHost(2);
    expect(sim.cloud.host(1)!.state).toBe(4);
    expect(sim.cloud.host(1)!.template.get('ERROR')).toContain('Error monitoring Host b (1)');
    expect(vmState(sim, 1)).toEqual([3, 16]);
    expect(sim.cloud.host(2)!.state).toBe(8);
    expect(sim.cloud.host(2)!.template.get('ERROR')).toBeUndefined();
    expect(sim.events.filter((e) => e.kind === 'host-state')).toEqual([]);
  });

  it('monitorDelayMs: the host looks fine until monitoring gives up; restoring in time avoids ERROR', async () => {
    const sim = await start(cloud({}, { monitorDelayMs: 60 }));
    sim.cloud.failHost(1);
    sim.cloud.failHost(0);
    expect(sim.cloud.host(1)!.state).toBe(2);
    expect(vmState(sim, 1)).toEqual([3, 3]);
    sim.cloud.restoreHost(0);
    await waitFor('host 1 in ERROR', () => sim.cloud.host(1)!.state === 3);
    expect(vmState(sim, 1)).toEqual([3, 16]);
    await sleep(80);
    expect(sim.cloud.host(0)!.state).toBe(2);
  });

  it('failHost with restoreAfterMs brings the host back', async () => {
    const sim = await start(cloud());
    sim.cloud.failHost(1, { restoreAfterMs: 30 });
    expect(sim.cloud.host(1)!.state).toBe(3);
    await waitFor('host 1 back', () => sim.cloud.host(1)!.state === 2);
    expect(vmState(sim, 1)).toEqual([3, 16]);
  });

  it('enabling a host that is still dead: INIT, then ERROR again', async () => {
    const sim = await start(cloud());
    sim.cloud.failHost(1);
    await ok(sim.url, 'one.host.status', 1, 1);
    await ok(sim.url, 'one.host.status', 1, 0);
    expect(sim.cloud.host(1)!.state).toBe(3);
    expect(sim.events.filter((e) => e.kind === 'host-state').map((e) => e.to)).toEqual(['ERROR', 'DISABLED', 'INIT', 'ERROR']);
  });
});

describe('resched and the scheduler', () => {
  it('UNKNOWN -> PROLOG_MIGRATE_UNKNOWN -> BOOT -> RUNNING on another host, new history record, old ACTION=migrate', async () => {
    const sim = await start(cloud({}, { bootDelayMs: 25 }));
    sim.cloud.failHost(1);
    expect(await ok(sim.url, 'one.vm.action', 'resched', 1)).toBe(1);
    await waitFor('VM 1 in PROLOG_MIGRATE_UNKNOWN', () => sim.cloud.vm(1)!.lcmState === 60);
    await waitFor('VM 1 RUNNING', () => sim.cloud.vm(1)!.lcmState === 3);
    const seen = sim.events.filter((e) => e.kind === 'vm-state' && e.id === 1).map((e) => e.to);
    expect(seen).toEqual(['UNKNOWN', 'PROLOG_MIGRATE_UNKNOWN', 'BOOT', 'RUNNING']);
    const vm = parseVm(await ok(sim.url, 'one.vm.info', 1));
    expect(vm.resched).toBe(0);
    expect(vm.history.map((h) => [h.seq, h.hostname, h.action])).toEqual([[0, 'node-c', 1], [1, 'node-b', 1], [2, 'node-c', 0]]);
    expect(parseHost(await ok(sim.url, 'one.host.info', 1)).vms).not.toContain(1);
    expect(parseHost(await ok(sim.url, 'one.host.info', 2)).vms).toEqual([1]); // striping: the emptiest host
    // oned's short body carries only that last record
    const short = parseVmPool(await ok(sim.url, 'one.vmpool.info', -2, 1, 1, -1));
    expect(short[0].history).toEqual([expect.objectContaining({ seq: 2, hid: 2 })]);
  });

  it('striping over the MONITORED hosts; two failed hosts send everything to the one left', async () => {
    const sim = await start(cloud());
    sim.cloud.failHost(1);
    sim.cloud.failHost(2);
    for (const id of [1, 2]) await ok(sim.url, 'one.vm.action', 'resched', id);
    await waitFor('moved', () => [1, 2].every((id) => sim.cloud.vm(id)!.lcmState === 3));
    expect([1, 2].map((id) => sim.cloud.vm(id)!.hostId)).toEqual([0, 0]);
  });

  it('RUNNING and POWEROFF VMs can be resched too (cold); POWEROFF stays POWEROFF', async () => {
    const sim = await start(cloud());
    await ok(sim.url, 'one.vm.action', 'resched', 6);
    await ok(sim.url, 'one.vm.action', 'resched', 4);
    await waitFor('moved', () => sim.cloud.vm(6)!.hostId !== 0 && sim.cloud.vm(4)!.hostId !== 1);
    expect(vmState(sim, 6)).toEqual([3, 3]);
    expect(vmState(sim, 4)).toEqual([8, 0]);
    expect(sim.cloud.vm(4)!.history.map((h) => h.action)).toEqual([1, 0]);
  });

  it('SUSPENDED, PENDING and transient VMs cannot be resched: ACTION error with oned\'s text', async () => {
    const sim = await start(cloud({}, { bootDelayMs: 2000 }));
    expect((await call(sim.url, 'one.vm.action', ['resched', 3])).slice(0, 4)).toEqual([
      false, '[one.vm.action] Error performing action "resched": This action is not available for state SUSPENDED', 2048, -1,
    ]);
    sim.cloud.failHost(1);
    await ok(sim.url, 'one.vm.action', 'resched', 1);
    await waitFor('prolog', () => sim.cloud.vm(1)!.lcmState === 60);
    expect((await call(sim.url, 'one.vm.action', ['unresched', 1]))[1]).toBe('[one.vm.action] Error performing action "unresched": This action is not available for state PROLOG_MIGRATE_UNKNOWN');
    // unresched before the scheduler runs keeps the VM put
    const slow = await start(cloud({}, { schedulerIntervalMs: 60_000 }));
    slow.cloud.failHost(1);
    await ok(slow.url, 'one.vm.action', 'resched', 2);
    await ok(slow.url, 'one.vm.action', 'unresched', 2);
    slow.cloud.schedulerPass();
    expect(slow.cloud.vm(2)!.resched).toBe(0);
    expect(slow.cloud.vm(2)!.hostId).toBe(1);
  });

  it('no room anywhere: the VM stays with RESCHED=1 and SCHED_MESSAGE; it moves once room appears', async () => {
    const sim = await start(cloud({
      hosts: [{ id: 0, name: 'small', cpu: 100 }, { id: 1, name: 'b' }],
      vms: [{ id: 1, state: 'RUNNING', cpu: 2, history: [{ hostId: 1 }] }, { id: 2, state: 'RUNNING', cpu: 0.5, history: [{ hostId: 0 }] }],
    }));
    sim.cloud.failHost(1);
    await ok(sim.url, 'one.vm.action', 'resched', 1);
    await sleep(30);
    const vm = await ok<string>(sim.url, 'one.vm.info', 1);
    expect(parseVm(vm)).toMatchObject({ state: 3, lcmState: 16, resched: 1 });
    expect(vm).toMatch(/<SCHED_MESSAGE><!\[CDATA\[.* : Cannot dispatch VM: No host with enough capacity to deploy the VM\]\]><\/SCHED_MESSAGE>/);
    expect(await ok<string>(sim.url, 'one.vmpool.info', -2, 1, 1, -1)).toContain('<SCHED_MESSAGE>');
    sim.cloud.host(0)!.totalCpu = 800;
    await waitFor('placed', () => sim.cloud.vm(1)!.lcmState === 3);
    expect(sim.cloud.vm(1)!.hostId).toBe(0);
    expect(await ok<string>(sim.url, 'one.vm.info', 1)).not.toContain('SCHED_MESSAGE');
  });

  it('a VM on a non-shared system DS cannot be moved off a dead host: PROLOG_MIGRATE_UNKNOWN_FAILURE', async () => {
    const sim = await start(cloud());
    sim.cloud.failHost(1);
    await ok(sim.url, 'one.vm.action', 'resched', 5);
    await waitFor('failed prolog', () => sim.cloud.vm(5)!.lcmState === 61);
  });
});

describe('recover', () => {
  it('4 delete-recreate: CLEANUP_RESUBMIT -> PENDING -> (ACTIVE) LCM_INIT -> PROLOG -> BOOT -> RUNNING elsewhere, same ID', async () => {
    const sim = await start(cloud({}, { bootDelayMs: 20 }));
    sim.cloud.failHost(1);
    expect(await call(sim.url, 'one.vm.recover', [2, 4])).toEqual([true, 2, 0]);
    await waitFor('RUNNING again', () => sim.cloud.vm(2)!.lcmState === 3 && sim.cloud.vm(2)!.state === 3);
    expect(sim.events.filter((e) => e.kind === 'vm-state' && e.id === 2).map((e) => e.to))
      .toEqual(['UNKNOWN', 'CLEANUP_RESUBMIT', 'PENDING', 'LCM_INIT', 'PROLOG', 'BOOT', 'RUNNING']);
    const vm = parseVm(await ok(sim.url, 'one.vm.info', 2));
    expect(vm.id).toBe(2);
    expect(vm.history.map((h) => [h.hostname, h.action])).toEqual([['node-b', 14], ['node-c', 0]]);
    expect(sim.cloud.host(1)!.vms).not.toContain(2);
  });

  it('3 delete: DONE, capacity freed, gone from HOST/VMS; DONE is a no-op for 3 and an ACTION error for 4', async () => {
    const sim = await start(cloud());
    sim.cloud.failHost(1);
    const before = sim.cloud.host(1)!.cpuUsage;
    await ok(sim.url, 'one.vm.recover', 2, 3);
    expect(vmState(sim, 2)).toEqual([6, 0]);
    expect(sim.cloud.host(1)!.vms).not.toContain(2);
    expect(sim.cloud.host(1)!.cpuUsage).toBe(before - 200);
    const vm = parseVm(await ok(sim.url, 'one.vm.info', 2));
    expect(vm.history.at(-1)!.action).toBe(13);
    expect(await ok<string>(sim.url, 'one.vm.info', 2)).not.toMatch(/<ETIME>0<\/ETIME><DEPLOY_ID>/);
    expect(await call(sim.url, 'one.vm.recover', [2, 3])).toEqual([true, 2, 0]);
    expect((await call(sim.url, 'one.vm.recover', [2, 4])).slice(1, 4)).toEqual(['[one.vm.recover] Could not perform a recover operation on VM 2, wrong state DONE.', 2048, -1]);
    expect(parseVmPool(await ok(sim.url, 'one.vmpool.info', -2, -1, -1, -1)).map((v) => v.id)).not.toContain(2);
    // SUSPENDED and POWEROFF VMs are deleted too
    await ok(sim.url, 'one.vm.recover', 3, 3);
    await ok(sim.url, 'one.vm.recover', 4, 3);
    expect([vmState(sim, 3), vmState(sim, 4)]).toEqual([[6, 0], [6, 0]]);
  });

  it('1 success sets an UNKNOWN VM RUNNING; 0/1/2 need ACTIVE; other codes are ACTION errors', async () => {
    const sim = await start(cloud());
    sim.cloud.failHost(1);
    await ok(sim.url, 'one.vm.recover', 1, 1);
    expect(vmState(sim, 1)).toEqual([3, 3]);
    expect((await call(sim.url, 'one.vm.recover', [3, 1]))[1]).toBe('[one.vm.recover] Could not perform a recover operation on VM 3, wrong state SUSPENDED.');
    expect((await call(sim.url, 'one.vm.recover', [1, 9])).slice(1, 3)).toEqual(['[one.vm.recover] Wrong recovery operation code', 2048]);
    await ok(sim.url, 'one.vm.recover', 6, 0); // RUNNING: nothing pending, nothing changes
    expect(vmState(sim, 6)).toEqual([3, 3]);
  });

  it('0 failure / 2 retry on a failed prolog', async () => {
    const sim = await start(cloud());
    sim.cloud.failHost(1);
    await ok(sim.url, 'one.vm.action', 'resched', 5);
    await waitFor('failed prolog', () => sim.cloud.vm(5)!.lcmState === 61);
    sim.cloud.restoreHost(1);
    await ok(sim.url, 'one.vm.recover', 5, 2);
    await waitFor('running', () => sim.cloud.vm(5)!.lcmState === 3);
  });

  it('5 delete-db: DONE at once', async () => {
    const sim = await start(cloud());
    await ok(sim.url, 'one.vm.recover', 6, 5);
    expect(vmState(sim, 6)).toEqual([6, 0]);
    expect(sim.cloud.host(0)!.vms).toEqual([]);
  });
});

describe('other actions and migrate', () => {
  it('poweroff, resume, suspend, terminate-hard, hold/release', async () => {
    const sim = await start(cloud({ vms: [
      { id: 1, state: 'RUNNING', history: [{ hostId: 0 }] },
      { id: 2, state: 'PENDING', cpu: 64, history: [] },
    ] }));
    await ok(sim.url, 'one.vm.action', 'poweroff', 1);
    expect(vmState(sim, 1)).toEqual([8, 0]);
    expect(sim.cloud.vm(1)!.current!.action).toBe(19);
    await ok(sim.url, 'one.vm.action', 'resume', 1);
    expect(vmState(sim, 1)).toEqual([3, 3]);
    await ok(sim.url, 'one.vm.action', 'suspend', 1);
    expect(vmState(sim, 1)).toEqual([5, 0]);
    expect((await call(sim.url, 'one.vm.action', ['suspend', 1]))[2]).toBe(2048);
    await ok(sim.url, 'one.vm.action', 'terminate-hard', 1);
    expect(vmState(sim, 1)).toEqual([6, 0]);
    expect(sim.cloud.host(0)!.vms).toEqual([]);
    await ok(sim.url, 'one.vm.action', 'hold', 2);
    expect(vmState(sim, 2)).toEqual([2, 0]);
    await ok(sim.url, 'one.vm.action', 'release', 2);
    expect(vmState(sim, 2)).toEqual([1, 0]);
  });

  it('resume on a dead host does not make the VM run', async () => {
    const sim = await start(cloud());
    sim.cloud.failHost(1);
    await ok(sim.url, 'one.vm.action', 'resume', 4);
    expect(vmState(sim, 4)).toEqual([8, 0]);
    await ok(sim.url, 'one.vm.action', 'resume', 1);
    expect(vmState(sim, 1)).toEqual([3, 16]);
  });

  it('shutdowns need the hypervisor: on a dead host the VM falls back to UNKNOWN', async () => {
    const sim = await start(cloud({}, { monitorDelayMs: 1000 }));
    sim.cloud.failHost(1); // not detected yet: the VMs still look RUNNING
    await ok(sim.url, 'one.vm.action', 'poweroff-hard', 1);
    expect(vmState(sim, 1)).toEqual([3, 3]);
    const s2 = await start(cloud());
    s2.cloud.failHost(1);
    for (const a of ['poweroff-hard', 'terminate-hard', 'undeploy-hard']) {
      await ok(s2.url, 'one.vm.action', a, 2);
      expect(vmState(s2, 2), a).toEqual([3, 16]);
    }
    await ok(s2.url, 'one.vm.recover', 2, 3); // what works on a dead host
    expect(vmState(s2, 2)).toEqual([6, 0]);
  });

  it('migrate: live for RUNNING, cold from UNKNOWN, capacity checked unless enforced', async () => {
    const sim = await start(cloud({ hosts: [{ id: 0, name: 'a' }, { id: 1, name: 'b' }, { id: 2, name: 'tiny', cpu: 100 }] }));
    await ok(sim.url, 'one.vm.migrate', 6, 2, true);
    expect(sim.cloud.vm(6)!.history.map((h) => [h.hid, h.action])).toEqual([[0, 2], [2, 0]]);
    expect(vmState(sim, 6)).toEqual([3, 3]);
    expect((await call(sim.url, 'one.vm.migrate', [6, 2, true]))[1]).toBe('[one.vm.migrate] VM is already running on host [2] and datastore [0]');
    expect((await call(sim.url, 'one.vm.migrate', [6, 9, true]))[2]).toBe(1024);
    sim.cloud.failHost(1);
    expect((await call(sim.url, 'one.vm.migrate', [2, 2, false]))[2]).toBe(2048); // no room on tiny
    await ok(sim.url, 'one.vm.migrate', 2, 0, false);
    expect(vmState(sim, 2)).toEqual([3, 3]);
    expect(sim.cloud.vm(2)!.hostId).toBe(0);
  });
});

describe('timestamps follow the given clock', () => {
  it('STIME of new history records and the ERROR text use clock.now()', async () => {
    let now = Date.UTC(2026, 7, 19, 9, 7, 0);
    const sim = await start(cloud(), { now: () => now });
    now += 5000;
    sim.cloud.failHost(1);
    await ok(sim.url, 'one.vm.action', 'resched', 1);
    await waitFor('moved', () => sim.cloud.vm(1)!.lcmState === 3);
    expect(sim.cloud.vm(1)!.current!.stime).toBe(Math.floor(now / 1000));
    expect(sim.cloud.host(1)!.template.get('ERROR')).toContain('2026');
    expect(sim.calls.at(-1)!.at).toBe(now);
  });
});

// What a recovery meets after its calls were accepted: VMs that cannot be
// placed (oned's SCHED_MESSAGE), boots that end in BOOT_FAILURE, locked VMs
// that refuse actions, and host capacity.
import { afterEach, describe, expect, it } from 'vitest';
import { parseVm } from '../../model/oneXml';
import type { Scenario } from '../../sim/scenario';
import { startSimulator, type Simulator } from '../../sim/server';
import { call, ok, sleep, waitFor } from './helpers';

const sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

async function start(extra: Partial<Scenario> = {}): Promise<Simulator> {
  const sim = await startSimulator({
    scenario: {
      hosts: [{ id: 0, name: 'node-a' }, { id: 1, name: 'node-b' }, { id: 2, name: 'node-c' }],
      vms: [
        { id: 1, name: 'web', state: 'RUNNING', history: [{ hostId: 1 }] },
        { id: 2, name: 'db', state: 'RUNNING', history: [{ hostId: 1 }] },
      ],
      ...extra,
      options: { schedulerIntervalMs: 5 },
    },
  });
  sims.push(sim);
  return sim;
}

describe('placement', () => {
  it('no enabled host: SCHED_MESSAGE "No hosts enabled to run VMs"; enabling one places the VM', async () => {
    const sim = await start();
    await ok(sim.url, 'one.host.status', 0, 1);
    await ok(sim.url, 'one.host.status', 2, 1);
    sim.cloud.failHost(1);
    await ok(sim.url, 'one.vm.action', 'resched', 1);
    const vm = await waitFor('a scheduler complaint', () => sim.cloud.vm(1)!.schedReason);
    expect(vm).toBe('Cannot dispatch VM: No hosts enabled to run VMs');
    const xml = await ok<string>(sim.url, 'one.vmpool.infoset', '1', false);
    expect(xml).toMatch(/<SCHED_MESSAGE>(<!\[CDATA\[)?\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4} : Cannot dispatch VM: No hosts enabled to run VMs(\]\]>)?<\/SCHED_MESSAGE>/);
    expect(parseVm(await ok<string>(sim.url, 'one.vm.info', 1))).toMatchObject({ lcmState: 16, resched: 1 });
    await ok(sim.url, 'one.host.status', 2, 0);
    await waitFor('placed on node-c', () => sim.cloud.vm(1)!.lcmState === 3 && sim.cloud.vm(1)!.hostId === 2);
    expect(await ok<string>(sim.url, 'one.vm.info', 1)).not.toContain('SCHED_MESSAGE');
  });

  it('enabled hosts without room: "No host with enough capacity to deploy the VM"', async () => {
    const sim = await start({ hosts: [{ id: 0, name: 'small', cpu: 50 }, { id: 1, name: 'node-b' }] });
    sim.cloud.failHost(1);
    await ok(sim.url, 'one.vm.action', 'resched', 1);
    expect(await waitFor('a scheduler complaint', () => sim.cloud.vm(1)!.schedReason)).toBe('Cannot dispatch VM: No host with enough capacity to deploy the VM');
  });
});

describe('scheduler pace', () => {
  it('schedulerMaxPerPass: at most that many VMs placed per pass', async () => {
    const sim = await startSimulator({
      scenario: {
        hosts: [{ id: 0, name: 'node-a' }, { id: 1, name: 'node-b' }],
        vms: [1, 2, 3].map((id) => ({ id, state: 'RUNNING', history: [{ hostId: 1 }] })),
        options: { schedulerIntervalMs: 3_600_000, schedulerMaxPerPass: 2 },
      },
    });
    sims.push(sim);
    sim.cloud.failHost(1);
    for (const id of [1, 2, 3]) await ok(sim.url, 'one.vm.action', 'resched', id);
    const moved = () => [1, 2, 3].filter((id) => sim.cloud.vm(id)!.hostId === 0).length;
    sim.cloud.schedulerPass();
    expect(moved()).toBe(2);
    sim.cloud.schedulerPass();
    expect(moved()).toBe(3);
  });
});

describe('boot failures', () => {
  it('a VM whose boot is made to fail ends in BOOT_FAILURE on its new host; recover retry boots it', async () => {
    const sim = await start({ faults: { bootFailures: [{ vmId: 1, times: 1 }] } });
    sim.cloud.failHost(1);
    await ok(sim.url, 'one.vm.action', 'resched', 1);
    await ok(sim.url, 'one.vm.action', 'resched', 2);
    await waitFor('VM 1 in BOOT_FAILURE', () => sim.cloud.vm(1)!.lcmState === 36);
    await waitFor('VM 2 running', () => sim.cloud.vm(2)!.lcmState === 3);
    expect(sim.cloud.vm(1)!.hostId).not.toBe(1);
    await ok(sim.url, 'one.vm.recover', 1, 2);
    await waitFor('VM 1 running after retry', () => sim.cloud.vm(1)!.lcmState === 3);
  });

  it('every boot on a broken host fails, until the fault is used up', async () => {
    const sim = await start({ hosts: [{ id: 1, name: 'node-b' }, { id: 2, name: 'broken' }], faults: { bootFailures: [{ hostId: 2, times: 2 }] } });
    sim.cloud.failHost(1);
    await ok(sim.url, 'one.vm.action', 'resched', 1);
    await ok(sim.url, 'one.vm.action', 'resched', 2);
    await waitFor('both in BOOT_FAILURE', () => sim.cloud.vm(1)!.lcmState === 36 && sim.cloud.vm(2)!.lcmState === 36);
    await ok(sim.url, 'one.vm.recover', 2, 2);
    await waitFor('VM 2 running', () => sim.cloud.vm(2)!.lcmState === 3);
  });

  it('a boot failure names a VM or a host', async () => {
    await expect(start({ faults: { bootFailures: [{ times: 1 }] } })).rejects.toThrow(/vmId or a hostId/);
  });
});

describe('VM locks', () => {
  it('one.vm.lock levels: USE blocks resched and recover with LOCKED "VM is locked"; unlock lets them through', async () => {
    const sim = await start();
    sim.cloud.failHost(1);
    await ok(sim.url, 'one.vm.lock', 1, 1);
    const xml = await ok<string>(sim.url, 'one.vm.info', 1);
    expect(xml).toMatch(/<DEPLOY_ID>[^<]*<\/DEPLOY_ID><LOCK><LOCKED>1<\/LOCKED><OWNER>0<\/OWNER><TIME>\d+<\/TIME><REQ_ID>\d+<\/REQ_ID><\/LOCK>/);
    expect(await ok<string>(sim.url, 'one.vmpool.infoset', '1,2', false)).toContain('<LOCK><LOCKED>1</LOCKED>');
    const refused = await call(sim.url, 'one.vm.action', ['resched', 1]);
    expect(refused.slice(0, 4)).toEqual([false, '[one.vm.action] VM is locked', 32768, 1]);
    expect((await call(sim.url, 'one.vm.recover', [1, 4]))[1]).toBe('[one.vm.recover] VM is locked');
    expect(sim.cloud.vm(1)!.resched).toBe(0);
    // reading is never blocked
    expect((await call(sim.url, 'one.vm.info', [1]))[0]).toBe(true);
    await ok(sim.url, 'one.vm.unlock', 1);
    expect(await ok<string>(sim.url, 'one.vm.info', 1)).not.toContain('<LOCK>');
    await ok(sim.url, 'one.vm.action', 'resched', 1);
    await waitFor('moved', () => sim.cloud.vm(1)!.lcmState === 3 && sim.cloud.vm(1)!.hostId !== 1);
  });

  it('ADMIN level blocks admin operations only; MANAGE blocks updates too; 4 (ALL) is stored as 1', async () => {
    const sim = await start();
    await ok(sim.url, 'one.vm.lock', 2, 3);
    expect((await call(sim.url, 'one.vm.update', [2, 'NOTE = "x"', 1]))[0]).toBe(true);
    expect((await call(sim.url, 'one.vm.action', ['resched', 2]))[2]).toBe(32768);
    await ok(sim.url, 'one.vm.unlock', 2);
    await ok(sim.url, 'one.vm.lock', 2, 2);
    expect((await call(sim.url, 'one.vm.update', [2, 'NOTE = "y"', 1]))[2]).toBe(32768);
    await ok(sim.url, 'one.vm.unlock', 2);
    await ok(sim.url, 'one.vm.lock', 2, 4);
    expect(sim.cloud.vm(2)!.lock?.level).toBe(1);
    expect((await call(sim.url, 'one.vm.lock', [2, 1, true]))[2]).toBe(2048);
    expect((await call(sim.url, 'one.vm.lock', [2, 7]))[1]).toBe('[one.vm.lock] Wrong lock level specified');
    await sleep(1);
  });
});

describe('a flapping host', () => {
  it('beacon fails, probe answers: ERROR -> MONITORED -> ERROR, each ERROR a new failure time and a hook run; a disabled host stays DISABLED', async () => {
    const sim = await start({
      hooks: [{ state: 'ERROR', name: 'host_error', command: '/bin/cat', arguments: '$TEMPLATE -m -p 0', argumentsStdin: true }],
    });
    const states: string[] = [];
    const watch = setInterval(() => {
      const h = sim.cloud.mustHost(1);
      if (states.at(-1) !== String(h.state)) states.push(String(h.state));
    }, 2);
    try {
      sim.cloud.flapHost(1, { times: 2, downMs: 300, upMs: 300 });
      await waitFor('two hook runs', () => sim.hookRuns.length >= 2 && sim.cloud.mustHost(1).state === 3 && states.length >= 3, 10_000);
      await sim.hooksIdle();
      expect(states.slice(0, 3)).toEqual(['3', '2', '3']);
      expect(sim.hookRuns.map((r) => r.state)).toEqual(['ERROR', 'ERROR']);
      // After the last ERROR it stays failed; disabling it (as oneha's finish does) ends the flapping for good.
      sim.cloud.hostStatus(1, 1);
      await sleep(700);
      expect(sim.cloud.mustHost(1).state).toBe(4);
      expect(sim.hookRuns).toHaveLength(2);
    } finally {
      clearInterval(watch);
    }
  });
});

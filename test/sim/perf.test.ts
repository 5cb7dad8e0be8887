// The simulator is the ground for benchmarks: big clouds build and serialise
// correctly. How fast is measured in bench/sim-scale.ts, not asserted here.
import { afterEach, describe, expect, it } from 'vitest';
import { parseVmPool } from '../../model/oneXml';
import { generateScenario, parseScenario } from '../../sim/scenario';
import { startSimulator, type Simulator } from '../../sim/server';
import { escRpc } from '../../sim/template';
import { vmShortEsc, vmShortXml } from '../../sim/xml';
import { call, methodCallXml } from './helpers';

const sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

describe('big clouds', () => {
  it('generates and validates 50,000 VMs', () => {
    const s = parseScenario(generateScenario({ hosts: 50, vmsPerHost: 1000, states: { RUNNING: 8, SUSPENDED: 1, POWEROFF: 1 }, pendingVms: 10 }));
    expect(s.vms).toHaveLength(50_010);
    expect(new Set(s.vms.map((v) => v.state))).toEqual(new Set(['RUNNING', 'SUSPENDED', 'POWEROFF', 'PENDING']));
    expect(s.hosts[0]).toMatchObject({ name: 'kvm-node-01', cpu: 100_000 });
  });

  it('1,000 VMs on one host: the cached pool reply follows a host failure', async () => {
    const sim = await startSimulator({ scenario: generateScenario({ hosts: 2, vmsPerHost: 1000 }) });
    sims.push(sim);
    const admin = sim.cloud.users.get(0)!;
    sim.cloud.vmPoolRpc(sim.cloud.selectVms(admin, -2, -1, -1, -1)); // cold: builds every cached body
    sim.cloud.failHost(0);
    const r = await call(sim.url, 'one.vmpool.info', [-2, 0, 999, -1]);
    const vms = parseVmPool(r[1]);
    expect(vms).toHaveLength(1000);
    expect(vms.every((v) => v.lcmState === 16)).toBe(true);
  });

  it('50,000 VMs: the pool reply is built, cached, and served over HTTP', async () => {
    const sim = await startSimulator({ scenario: generateScenario({ hosts: 50, vmsPerHost: 1000 }) });
    sims.push(sim);
    const admin = sim.cloud.users.get(0)!;
    const reply = sim.cloud.vmPoolRpc(sim.cloud.selectVms(admin, -2, -1, -1, -1));
    expect(reply.escaped.length).toBeGreaterThan(50_000 * 1000);
    expect(sim.cloud.vmPoolRpc(sim.cloud.selectVms(admin, -2, -1, -1, -1)).escaped).toBe(reply.escaped);
    // over HTTP (the time is mostly the client reading 100 MB: not asserted)
    const res = await fetch(sim.url, { method: 'POST', body: methodCallXml('one.vmpool.info', ['<string>oneadmin:oneadmin</string>', '<i4>-2</i4>', '<i4>-1</i4>', '<i4>-1</i4>', '<i4>-1</i4>']) });
    const text = await res.text();
    expect(text.length).toBeGreaterThan(50_000 * 1000);
    expect(text.endsWith('</methodResponse>\r\n')).toBe(true);
  }, 30_000);

  it('the escaped short body written directly equals escaping the XML', async () => {
    const sim = await startSimulator({ scenario: generateScenario({ hosts: 1, vmsPerHost: 3 }) });
    sims.push(sim);
    const vm = sim.cloud.vm(1)!;
    vm.name = 'a&b <c> ]]> "d"';
    vm.userTemplate.set('LABELS', 'x&y<z>');
    vm.touch();
    expect(vmShortEsc(vm)).toBe(escRpc(vmShortXml(vm)));
    expect(parseVmPool((await call(sim.url, 'one.vmpool.info', [-2, 1, 1, -1]))[1])[0].name).toBe('a&b <c> ]]> "d"');
  });

  it('the extended pool escaped VM by VM equals escaping the whole pool XML', async () => {
    const sim = await startSimulator({ scenario: generateScenario({ hosts: 2, vmsPerHost: 3 }) });
    sims.push(sim);
    const vm = sim.cloud.vm(1)!;
    vm.name = 'a&b <c> ]]> "d"';
    vm.userTemplate.set('ONEHA_PRIORITY', 'HIGH&<x>');
    vm.image = 'img]]>&<x>'; // CDATA values are written escaped too
    vm.lock = { level: 1, owner: 0, time: 5, reqId: -1 };
    vm.touch();
    const vms = sim.cloud.selectVms(sim.cloud.users.get(0)!, -2, -1, -1, -1);
    expect(sim.cloud.vmPoolRpc(vms, true).escaped).toBe(escRpc(sim.cloud.vmPoolXml(vms, true)));
    const read = parseVmPool((await call(sim.url, 'one.vmpool.infoextended', [-2, 1, 1, -1]))[1])[0];
    expect(read.name).toBe('a&b <c> ]]> "d"');
    expect(read.attrs?.ONEHA_PRIORITY).toBe('HIGH&<x>');
  });
});

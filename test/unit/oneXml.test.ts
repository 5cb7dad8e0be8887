// The lean VM-pool reader must agree with the general parser on everything
// it accepts, and hand over to it on anything unusual.
import { describe, expect, it } from 'vitest';
import { parseConfig, parseHook, parseHookPool, parseVmPool, parseVmPoolGeneric } from '../../model/oneXml';
import { startSimulator, generateScenario } from '../../sim/server';
import { asOned, sample } from '../helpers/samples';
import { OneClient } from '../../runner/one/client';

describe('VM pool reading', () => {
  it('agrees with the general parser on OpenNebula’s sample (whitespace, CDATA, a VM without history)', () => {
    const xml = asOned(sample('vm_pool.xml'));
    expect(parseVmPool(xml)).toEqual(parseVmPoolGeneric(xml));
    expect(parseVmPool(xml).map((v) => v.id)).toEqual([41, 42, 43, 44, 45, 46]);
  });

  it('agrees on what the simulator serves: many VMs, several history records, odd names', async () => {
    const scenario = generateScenario({ hosts: 3, vmsPerHost: 50 });
    scenario.vms = [...(scenario.vms ?? []),
      { id: 9001, name: 'a & <b> "c"', state: 'UNKNOWN', history: [{ hostId: 0 }, { hostId: 1 }, { hostId: 2 }] },
      { id: 9002, name: 'pending', state: 'PENDING', history: [] },
      { id: 9003, name: 'suspended', state: 'SUSPENDED', history: [{ hostId: 2, dsId: 0 }] }];
    const sim = await startSimulator({ scenario, port: 0 });
    const one = new OneClient({ endpoint: sim.url, session: 'oneadmin:oneadmin' });
    try {
      // what verify reads: a lock, a scheduler message, what the VM needs
      await one.call('one.vm.lock', 9001, 2);
      sim.cloud.vm(9002)!.userTemplate.set('SCHED_MESSAGE', 'Fri Nov 27 10:00:00 2026 : Cannot dispatch VM: No hosts enabled to run VMs');
      sim.cloud.vm(9002)!.touch();
      for (const extended of [false, true]) {
        const xml = await one.call<string>('one.vmpool.info' + (extended ? 'extended' : ''), -2, -1, -1, -1);
        const lean = parseVmPool(xml);
        expect(lean).toEqual(parseVmPoolGeneric(xml));
        expect(lean).toHaveLength(153);
      }
      const pool = parseVmPool(await one.call<string>('one.vmpool.info', -2, -1, -1, -1));
      const full = pool.find((v) => v.id === 9001)!;
      expect(full.name).toBe('a & <b> "c"');
      expect(full).toMatchObject({ lock: 2, cpu: 1, memory: 1024, schedMessage: undefined });
      expect(pool.find((v) => v.id === 9002)).toMatchObject({ lock: undefined, schedMessage: 'Fri Nov 27 10:00:00 2026 : Cannot dispatch VM: No hosts enabled to run VMs' });
      const info = await one.vmPoolInfoSet([9001, 9002], true);
      expect(info.find((v) => v.id === 9001)!.history.at(-1)!.rstime).toBeGreaterThan(0);
    } finally {
      one.close();
      await sim.close();
    }
  });

  it('empty pools, and unusual input goes to the general parser', () => {
    expect(parseVmPool('<VM_POOL></VM_POOL>')).toEqual([]);
    expect(parseVmPool('<VM_POOL/>')).toEqual([]);
    const odd = '<VM_POOL><VM><ID>1</ID><NAME><![CDATA[x]]></NAME><STATE>3</STATE><LCM_STATE>16</LCM_STATE><HISTORY_RECORDS><HISTORY><SEQ>0</SEQ><HOSTNAME>h&#233;</HOSTNAME><HID>2</HID><DS_ID>0</DS_ID><ACTION>0</ACTION></HISTORY></HISTORY_RECORDS></VM></VM_POOL>';
    expect(parseVmPool(odd)).toEqual(parseVmPoolGeneric(odd));
    expect(parseVmPool(odd)[0].history[0].hostname).toBe('hé');
    expect(() => parseVmPool('<HOST_POOL/>')).toThrow(/expected a <VM_POOL>/);
  });
});

describe('hooks', () => {
  it('one.hook.info: the template and HOOKLOG\'s execution records (oldest first, codes, RETRY); the pool has no log', () => {
    const h = parseHook(asOned(sample('hook_info_with_log.xml')));
    expect(h).toMatchObject({ id: 0, name: 'host_error', type: 'state', template: { COMMAND: 'ft/host_error.rb', RESOURCE: 'HOST', STATE: 'ERROR', ARGUMENTS_STDIN: 'yes' } });
    expect(h.log.map((r) => [r.executionId, r.timestamp, r.code, r.retry])).toEqual([[0, 1787130722, 255, false], [1, 1787131544, 0, true]]);
    const pool = parseHookPool(`<HOOK_POOL>${asOned(sample('hook_info_with_log.xml')).replace(/<\?xml[^>]*>/, '').replace(/<HOOKLOG>[\s\S]*<\/HOOKLOG>/, '')}</HOOK_POOL>`);
    expect(pool.map((x) => [x.id, x.log.length])).toEqual([[0, 0]]);
    expect(parseHookPool('<HOOK_POOL></HOOK_POOL>')).toEqual([]);
  });
});

describe('one.system.config', () => {
  it('a reply read again gives the same, a changed reply is read anew', () => {
    const conf = (interval: number) => `<OPENNEBULA_CONFIGURATION><MONITORING_INTERVAL_HOST>${interval}</MONITORING_INTERVAL_HOST><VERSION>7.0.0</VERSION></OPENNEBULA_CONFIGURATION>`;
    expect(parseConfig(conf(30))).toEqual({ monitoringIntervalHost: 30, version: '7.0.0' });
    expect(parseConfig(conf(30)).monitoringIntervalHost).toBe(30);
    expect(parseConfig(conf(90)).monitoringIntervalHost).toBe(90);
    expect(parseConfig(conf(30)).monitoringIntervalHost).toBe(30);
    expect(() => parseConfig('<OTHER/>')).toThrow();
  });
});

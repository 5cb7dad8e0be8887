// A big pool reply is parsed a slice at a time (runner/one/client.ts): what
// the slices parse to, put together, must be what the whole reply parses to,
// and a reply of any other shape is parsed whole.
import { describe, expect, it } from 'vitest';
import { parseHostPool, parseVmPool } from '../../model/oneXml';
import { poolSlices } from '../../runner/one/poolSlices';
import { OneClient } from '../../runner/one/client';
import { generateScenario, startSimulator } from '../../sim/server';

const sliced = <T>(parse: (s: string) => T[], xml: string, root: string, element: string, chars: number) =>
  poolSlices(xml, root, element, chars)!.flatMap(parse);

describe('pool replies in slices', () => {
  it('the simulator\'s pools: same hosts and VMs, whatever the slice size; templates holding HOST or VM elements and CDATA with markup stay inside their element', async () => {
    const scenario = generateScenario({ hosts: 30, vmsPerHost: 4 });
    // A user attribute named like the pool's element, and CDATA that looks like its end tag.
    scenario.hosts![3] = { ...scenario.hosts![3], template: { ...scenario.hosts![3].template, HOST: 'x', NOTE: '</HOST><HOST>' } };
    const sim = await startSimulator({ scenario, port: 0 });
    const one = new OneClient({ endpoint: sim.url, session: 'oneadmin:oneadmin' });
    try {
      sim.cloud.vm(5)!.userTemplate.set('VM', '</VM><VM><ID>77</ID>');
      sim.cloud.vm(5)!.touch();
      const hosts = await one.call<string>('one.hostpool.info');
      expect(hosts).toContain('<HOST><![CDATA[x]]></HOST>');
      const vms = await one.call<string>('one.vmpool.infoextended', -2, -1, -1, -1);
      expect(vms).toContain('</VM><VM><ID>77</ID>');
      for (const chars of [1, 500, 5000, 1e9]) {
        expect(sliced(parseHostPool, hosts, 'HOST_POOL', 'HOST', chars)).toEqual(parseHostPool(hosts));
        expect(sliced(parseVmPool, vms, 'VM_POOL', 'VM', chars)).toEqual(parseVmPool(vms));
      }
      expect(poolSlices(hosts, 'HOST_POOL', 'HOST', 1)).toHaveLength(30);
      expect(parseHostPool(hosts).find((h) => h.id === 3)!.template.NOTE).toBe('</HOST><HOST>');
      // The client slices pools bigger than 64 KiB: the same answer as parsing the reply whole.
      const big = await one.call<string>('one.vmpool.infoextended', -2, -1, -1, -1);
      expect(big.length).toBeGreaterThan(64 * 1024);
      expect(await one.vmPoolInfoExtended(-2, -1, -1, -1)).toEqual(parseVmPool(big));
    } finally {
      one.close();
      await sim.close();
    }
  });

  it('shapes oned does not write are left to the whole-reply parser', () => {
    const h = (id: number) => `<HOST><ID>${id}</ID></HOST>`;
    expect(poolSlices(`<HOST_POOL>${h(1)}${h(2)}</HOST_POOL>`, 'HOST_POOL', 'HOST', 1)).toEqual([`<HOST_POOL>${h(1)}</HOST_POOL>`, `<HOST_POOL>${h(2)}</HOST_POOL>`]);
    expect(poolSlices(`\n<HOST_POOL>\n${h(1)}\n${h(2)}\n</HOST_POOL>\n`, 'HOST_POOL', 'HOST', 1e9)).toEqual([`<HOST_POOL>\n${h(1)}\n${h(2)}</HOST_POOL>`]);
    expect(poolSlices('<HOST_POOL>  </HOST_POOL>', 'HOST_POOL', 'HOST', 1)).toEqual([]);
    for (const odd of [
      '<HOST_POOL/>', `<?xml version="1.0"?><HOST_POOL>${h(1)}</HOST_POOL>`, `<HOST_POOL>text${h(1)}</HOST_POOL>`,
      `<HOST_POOL>${h(1)}<OTHER/></HOST_POOL>`, `<HOST_POOL>${h(1)}</HOST></HOST_POOL>`, `<HOST_POOL><HOST><ID>1</ID></HOST_POOL>`,
      `<VM_POOL>${h(1)}</VM_POOL>`, `<HOST_POOL>${h(1)}</HOST_POOL><HOST_POOL/>`,
    ]) expect(poolSlices(odd, 'HOST_POOL', 'HOST', 1), odd).toBeUndefined();
  });
});

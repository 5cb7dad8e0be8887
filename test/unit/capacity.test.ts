import { describe, expect, it } from 'vitest';
import { capacityReserve, formatNeed, hostRoom, place, placeByScan, RoomIndex, vmNeed, type Candidate, type Room } from '../../model/capacity';
import { prng } from '../security/fuzzCorpus';
import type { Host, Vm } from '../../model/one';
import { parseDatastorePool, parseHost, parseVmPool } from '../../model/oneXml';
import { selectVmsToRecover } from '../../functions/select';
import { asOned, sample } from '../helpers/samples';

const GB = 1024 * 1024; // KB
const host = (id: number, o: Partial<Host> & { freeMemGb?: number; memGb?: number; cpu?: number; usedCpu?: number } = {}): Host => {
  const memGb = o.memGb ?? 16;
  return {
    id, name: `node-${id}`, state: 2, prevState: 2, clusterId: 0, cluster: 'default', vms: [], template: {},
    share: { cpuUsage: o.usedCpu ?? 0, memUsage: (memGb - (o.freeMemGb ?? memGb)) * GB, totalCpu: o.cpu ?? 800, totalMem: memGb * GB, maxCpu: o.cpu ?? 800, maxMem: memGb * GB },
    ...o,
  };
};
const vm = (id: number, hostId: number, cpu: number, memoryMb: number, state = 3): Vm => ({
  id, name: `vm-${id}`, uname: 'oneadmin', gname: 'oneadmin', state, lcmState: 3, resched: 0, cpu, memory: memoryMb,
  history: [{ seq: 0, hostname: `node-${hostId}`, hid: hostId, dsId: 0, action: 0 }],
});

describe('capacity as oned accounts it', () => {
  it('reads HOST_SHARE from oned\'s host XML; a VM needs CPU x 100 and MEMORY x 1024 KB', () => {
    const h = parseHost(asOned(sample('host_error.xml')));
    expect(h.share).toEqual({ cpuUsage: 450, memUsage: 9437184, totalCpu: 800, totalMem: 32779288, maxCpu: 800, maxMem: 32779288 });
    expect(hostRoom(h)).toMatchObject({ cpu: 350, mem: 32779288 - 9437184 });
    const vms = parseVmPool(asOned(sample('vm_pool.xml')));
    expect(vmNeed(vms.find((v) => v.id === 42)!)).toEqual({ cpu: 200, mem: 4096 * 1024 }); // TEMPLATE/CPU, MEMORY; not MONITORING's
    expect(vmNeed({})).toEqual({ cpu: 0, mem: 0 });
    expect(formatNeed({ cpu: 150, mem: 2048 * 1024 })).toBe('CPU 1.5, MEMORY 2048 MB');
  });

  it('MAX_* is what the scheduler places against (oned took RESERVED_* off it), not TOTAL_*', () => {
    const h = host(1, { memGb: 8 });
    h.share = { ...h.share!, maxMem: 2 * GB, maxCpu: 600 }; // RESERVED_MEM 6 GB, RESERVED_CPU 200
    expect(hostRoom(h)).toMatchObject({ cpu: 600, mem: 2 * GB });
  });

  it('places in the order given on the host with the most free memory that fits both; names what is short', () => {
    const rooms: Room[] = [
      { hostId: 1, hostName: 'a', cpu: 800, mem: 4 * GB },
      { hostId: 2, hostName: 'b', cpu: 100, mem: 8 * GB },
    ];
    const p = place([
      { vmId: 1, vmName: 'big-cpu', need: { cpu: 200, mem: 1 * GB } },
      { vmId: 2, vmName: 'mem', need: { cpu: 100, mem: 6 * GB } },
      { vmId: 3, vmName: 'huge', need: { cpu: 100, mem: 16 * GB } },
      { vmId: 4, vmName: 'cpu-hog', need: { cpu: 900, mem: 1 } },
    ], rooms, 'cluster default');
    expect(p.placed).toEqual([{ vmId: 1, hostId: 1 }, { vmId: 2, hostId: 2 }]);
    expect(p.unplaced.map((u) => [u.vmId, u.reason])).toEqual([
      [3, 'needs CPU 1, MEMORY 16384 MB; cluster default: MEMORY 3072 MB free at most (a), after the VMs before it'],
      [4, 'needs CPU 9, MEMORY 0 MB; cluster default: CPU 6 free at most (a), after the VMs before it'],
    ]);
    expect(rooms[0].mem).toBe(4 * GB); // the rooms given are not used up
    expect(place([{ vmId: 5, vmName: 'x', need: { cpu: 1, mem: 1 } }], [], 'cluster 7').unplaced[0].reason).toBe('needs CPU 0.01, MEMORY 0 MB; no enabled host in cluster 7 to take it');
  });

  it('N+1 per cluster: each host\'s HA VMs against the others\' free room; shortfall per host and per cluster; K largest', () => {
    const hosts = [
      host(0, { freeMemGb: 6, vms: [10] }),
      host(1, { freeMemGb: 2, vms: [11, 12] }),
      host(2, { freeMemGb: 10, vms: [13] }),
      host(3, { state: 4, freeMemGb: 16 }), // DISABLED: takes nothing
      host(4, { clusterId: 1, cluster: 'edge', freeMemGb: 1, vms: [14] }),
    ];
    const vms = [vm(10, 0, 1, 4096), vm(11, 1, 1, 8192), vm(12, 1, 1, 4096), vm(13, 2, 1, 10240), vm(14, 4, 1, 1024), vm(99, 0, 1, 99999, 8)];
    hosts[0].vms.push(99); // POWEROFF: not an HA VM by default
    const r = capacityReserve(hosts, vms, { k: 2 });
    const byHost = new Map(r.hosts.map((h) => [h.hostId, h]));
    expect(byHost.get(0)).toMatchObject({ vms: 1, shortfall: { cpu: 0, mem: 0 }, leftDown: [] });
    expect(byHost.get(1)!.shortfall).toEqual({ cpu: 0, mem: 0 }); // 8 GB on node-2 (10 free), 4 GB on node-0 (6 free)
    expect(byHost.get(2)!.leftDown.map((u) => u.vmId)).toEqual([13]); // 10 GB: 6 and 2 free elsewhere
    expect(byHost.get(2)!.shortfall).toEqual({ cpu: 100, mem: 10 * GB });
    expect(byHost.has(3)).toBe(false);
    expect(byHost.get(4)!.leftDown[0].reason).toBe('needs CPU 1, MEMORY 1024 MB; no enabled host in cluster edge to take it');
    const [c0, c1] = r.clusters;
    expect(c0).toMatchObject({ clusterId: 0, hosts: 3, n1: false, shortfall: { cpu: 100, mem: 10 * GB } });
    // The two with the most HA memory (node-1: 12 GB, node-2: 10 GB) together, onto node-0's 6 GB free.
    expect(c0.kLargest).toMatchObject({ k: 2, hostIds: [1, 2], need: { cpu: 300, mem: 22 * GB }, leftDown: 2 });
    expect(c1).toMatchObject({ clusterId: 1, cluster: 'edge', n1: false });
    // Opting VMs out of HA (ONEHA_HA = NO) takes them out of the reserve.
    expect(capacityReserve(hosts, vms, { k: 0, isHaVm: (v) => v.state === 3 && v.id !== 13 }).clusters[0].n1).toBe(true);
  });
});

describe('the room index places exactly as a scan of every room', () => {
  it('same hosts and same reasons on 300 seeded clusters (equal rooms, tight CPU, rooms used up, hosts left out)', () => {
    const rnd = prng(14);
    const pick = (n: number) => Math.floor(rnd() * n);
    for (let run = 0; run < 300; run++) {
      // Few distinct sizes, so that equal rooms (the order given decides) are common.
      const rooms: Room[] = Array.from({ length: pick(12) }, (_, i) => ({ hostId: 100 + i, hostName: `h${i}`, cpu: 100 * pick(5), mem: GB * pick(5) }));
      const cands: Candidate[] = Array.from({ length: pick(15) }, (_, i) => ({ vmId: i, vmName: `v${i}`, need: { cpu: 50 * pick(4), mem: (GB / 2) * pick(5) } }));
      const exclude = new Set(rooms.filter(() => rnd() < 0.2).map((r) => r.hostId));
      const index = new RoomIndex(rooms, 'cluster x');
      expect(index.place(cands, exclude)).toEqual(placeByScan(cands, rooms.filter((r) => !exclude.has(r.hostId)), 'cluster x'));
      // Each placement starts from the rooms as given.
      expect(index.place(cands)).toEqual(placeByScan(cands, rooms, 'cluster x'));
    }
  });
});

describe('capacity in the plan (select)', () => {
  const failed = parseHost(asOned(sample('host_error.xml')));
  const vms = parseVmPool(asOned(sample('vm_pool.xml')));
  const datastores = parseDatastorePool(asOned(sample('datastore_pool.xml')));
  const options = { mode: 'recreate' as const, force: true, pause: 0, fencing: true };

  it('names the VMs that will not fit on the enabled hosts of the failed host\'s cluster, and why; the plan keeps them', () => {
    const other = host(0, { freeMemGb: 4, usedCpu: 0 });
    const p = selectVmsToRecover({ host: failed, vms, datastores, options, hosts: [failed, other, host(2, { state: 4 })] });
    expect(p.actions.length).toBe(4); // nothing is dropped for capacity: oned's scheduler decides
    expect(p.capacity).toMatchObject({ where: 'cluster default', hosts: 1, free: { cpu: 800, mem: 4 * GB } });
    const wont = p.capacity!.wontFit;
    expect(wont.length).toBeGreaterThan(0);
    for (const w of wont) expect(w.reason).toMatch(/^needs CPU [\d.]+, MEMORY \d+ MB; cluster default: /);
    // Without the host pool (an input journaled before it was read) there is no estimate; delete needs none.
    expect(selectVmsToRecover({ host: failed, vms, datastores, options }).capacity).toBeUndefined();
    expect(selectVmsToRecover({ host: failed, vms, datastores, options: { ...options, mode: 'delete' }, hosts: [other] }).capacity).toBeUndefined();
  });
});

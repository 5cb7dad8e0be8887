// Capacity as oned accounts it (pure). A VM needs TEMPLATE/CPU x 100 of
// CPU and TEMPLATE/MEMORY x 1024 KB; a host has MAX_* - *_USAGE free from
// HOST_SHARE, where oned has already taken RESERVED_CPU/RESERVED_MEM (host
// template, else cluster template) off MAX_*. oned's scheduler places a VM
// only on an enabled host of the VM's cluster where the need fits.
//
// Two questions use the same placement estimate:
// - the plan (issue 16): which VMs of a failed host will not fit now;
// - the reserve (N+1 / K largest): would the VMs of any host (or of the K
//   largest) fit on what the cluster's other enabled hosts have free.
// The estimate places VMs in the order given on the host with the most free
// memory that fits both CPU and memory (oned's default policy spreads VMs the
// same way); it is an estimate, and says so: oned's scheduler decides.
import type { Host, Vm } from './one';
import { HostState, VmState } from './states';

/** CPU in oned's percent (CPU = 1.5 -> 150), memory in KB, as HOST_SHARE counts them. */
export interface Need {
  cpu: number;
  mem: number;
}

export interface Room extends Need {
  hostId: number;
  hostName: string;
}

export interface Candidate {
  vmId: number;
  vmName: string;
  need: Need;
}

export interface Unplaced extends Candidate {
  reason: string;
}

export interface Placement {
  placed: Array<{ vmId: number; hostId: number }>;
  unplaced: Unplaced[];
}

/** What oned holds on a host for this VM. A VM without CPU or MEMORY holds none of it. */
export function vmNeed(vm: Pick<Vm, 'cpu' | 'memory'>): Need {
  return { cpu: Math.round((vm.cpu ?? 0) * 100), mem: Math.round((vm.memory ?? 0) * 1024) };
}

/** Hosts oned's scheduler places VMs on: enabled and monitored (not DISABLED, OFFLINE, ERROR or INIT). */
export function takesVms(host: Pick<Host, 'state'>): boolean {
  return host.state === HostState.MONITORED || host.state === HostState.MONITORING_MONITORED;
}

/** Free capacity of a host as oned's scheduler sees it; undefined without HOST_SHARE. */
export function hostRoom(host: Pick<Host, 'id' | 'name' | 'share'>): Room | undefined {
  const s = host.share;
  if (!s) return undefined;
  return { hostId: host.id, hostName: host.name, cpu: s.maxCpu - s.cpuUsage, mem: s.maxMem - s.memUsage };
}

export const addNeed = (a: Need, b: Need): Need => ({ cpu: a.cpu + b.cpu, mem: a.mem + b.mem });
export const NO_NEED: Need = { cpu: 0, mem: 0 };

/** In the units of a VM template: "CPU 1.5, MEMORY 2048 MB". */
export function formatNeed(n: Need): string {
  return `CPU ${+(n.cpu / 100).toFixed(2)}, MEMORY ${Math.round(n.mem / 1024)} MB`;
}

/**
 * Places the candidates in order on copies of the rooms (the rooms given are
 * not changed). `where` names the hosts in the reasons, e.g. "cluster default".
 */
export function place(candidates: readonly Candidate[], rooms: readonly Room[], where: string): Placement {
  return new RoomIndex(rooms, where).place(candidates);
}

/**
 * The same estimate by scanning every room for every VM, on copies of all of
 * them: the rule RoomIndex keeps, written the obvious way. Tests compare the
 * two; bench/readiness.ts times it as the baseline.
 */
export function placeByScan(candidates: readonly Candidate[], rooms: readonly Room[], where: string): Placement {
  const free = rooms.map((r) => ({ ...r }));
  const placed: Placement['placed'] = [];
  const unplaced: Unplaced[] = [];
  for (const c of candidates) {
    let best: Room | undefined;
    for (const r of free) if (r.cpu >= c.need.cpu && r.mem >= c.need.mem && (!best || r.mem > best.mem)) best = r;
    if (best) {
      best.cpu -= c.need.cpu;
      best.mem -= c.need.mem;
      placed.push({ vmId: c.vmId, hostId: best.hostId });
      continue;
    }
    if (!free.length) {
      unplaced.push({ ...c, reason: `needs ${formatNeed(c.need)}; no enabled host in ${where} to take it` });
      continue;
    }
    const mostCpu = free.reduce((a, b) => (b.cpu > a.cpu ? b : a));
    const mostMem = free.reduce((a, b) => (b.mem > a.mem ? b : a));
    unplaced.push({ ...c, reason: shortOfReason(c.need, where, mostCpu.cpu, mostCpu.hostName, mostMem.mem, mostMem.hostName, placed.length > 0) });
  }
  return { placed, unplaced };
}

function shortOfReason(need: Need, where: string, cpu: number, cpuHost: string, mem: number, memHost: string, afterOthers: boolean): string {
  const short = [
    cpu < need.cpu ? `CPU ${+(cpu / 100).toFixed(2)} free at most (${cpuHost})` : '',
    mem < need.mem ? `MEMORY ${Math.floor(mem / 1024)} MB free at most (${memHost})` : '',
  ].filter(Boolean);
  const why = short.length ? short.join(', ') : 'no single host has both free at once';
  return `needs ${formatNeed(need)}; ${where}: ${why}${afterOthers ? ', after the VMs before it' : ''}`;
}

/**
 * The free rooms of one cluster, sorted once by free memory and once by free
 * CPU, so that each placement reads only the top of a list instead of every
 * room (the reserve places every host's VMs against all its cluster's other
 * hosts: a copy and a full scan per VM was 7 s for one cluster of 2,500).
 * Each `place` starts from the rooms as given: what it uses is kept aside.
 */
export class RoomIndex {
  private readonly byMem: number[];
  private readonly byCpu: number[];
  private readonly hostIds: Set<number>;

  constructor(private readonly rooms: readonly Room[], private readonly where: string) {
    const order = rooms.map((_, i) => i);
    // Most first; equal rooms in the order given, which is the one the estimate prefers among equals.
    this.byMem = [...order].sort((a, b) => rooms[b].mem - rooms[a].mem || a - b);
    this.byCpu = order.sort((a, b) => rooms[b].cpu - rooms[a].cpu || a - b);
    this.hostIds = new Set(rooms.map((r) => r.hostId));
  }

  /** Places in order on the host with the most free memory that fits both (the first given among equals); `exclude` takes nothing. */
  place(candidates: readonly Candidate[], exclude: ReadonlySet<number> = new Set()): Placement {
    const used = new Map<number, Need>();
    const free = (i: number): Need => {
      const u = used.get(i);
      return u ? { cpu: this.rooms[i].cpu - u.cpu, mem: this.rooms[i].mem - u.mem } : this.rooms[i];
    };
    const placed: Placement['placed'] = [];
    const unplaced: Unplaced[] = [];
    for (const c of candidates) {
      const best = this.most(this.byMem, 'mem', exclude, free, c.need);
      if (best >= 0) {
        const u = used.get(best) ?? { cpu: 0, mem: 0 };
        used.set(best, { cpu: u.cpu + c.need.cpu, mem: u.mem + c.need.mem });
        placed.push({ vmId: c.vmId, hostId: this.rooms[best].hostId });
        continue;
      }
      unplaced.push({ ...c, reason: this.noRoomReason(c.need, exclude, free, placed.length > 0) });
    }
    return { placed, unplaced };
  }

  /**
   * The room (index) with the most free `key`, the first given among equals,
   * of those that fit `need` (if given); -1 if none. A room never has more
   * free than it was given, and the list is sorted by what was given, so the
   * scan ends at the first room that cannot beat the best found.
   */
  private most(order: readonly number[], key: keyof Need, exclude: ReadonlySet<number>, free: (i: number) => Need, need?: Need): number {
    let best = -1;
    let bestFree = -Infinity;
    for (const i of order) {
      const given = this.rooms[i][key];
      if (given < bestFree || (given === bestFree && i > best)) break;
      if (need && given < need[key]) break;
      if (exclude.has(this.rooms[i].hostId)) continue;
      const f = free(i);
      if (need && (f.cpu < need.cpu || f.mem < need.mem)) continue;
      if (f[key] > bestFree || (f[key] === bestFree && i < best)) {
        best = i;
        bestFree = f[key];
      }
    }
    return best;
  }

  private noRoomReason(need: Need, exclude: ReadonlySet<number>, free: (i: number) => Need, afterOthers: boolean): string {
    let excluded = 0;
    for (const id of exclude) if (this.hostIds.has(id)) excluded++;
    if (excluded >= this.rooms.length) return `needs ${formatNeed(need)}; no enabled host in ${this.where} to take it`;
    const mostCpu = this.most(this.byCpu, 'cpu', exclude, free);
    const mostMem = this.most(this.byMem, 'mem', exclude, free);
    return shortOfReason(need, this.where, free(mostCpu).cpu, this.rooms[mostCpu].hostName, free(mostMem).mem, this.rooms[mostMem].hostName, afterOthers);
  }
}

/** Rooms of the hosts of a cluster that take VMs, except `exclude`. */
export function clusterRooms(hosts: readonly Host[], clusterId: number, exclude: ReadonlySet<number>): Room[] {
  const out: Room[] = [];
  for (const h of hosts) {
    if (h.clusterId !== clusterId || exclude.has(h.id) || !takesVms(h)) continue;
    const r = hostRoom(h);
    if (r) out.push(r);
  }
  return out;
}

export const clusterLabel = (h: Pick<Host, 'clusterId' | 'cluster'>) => `cluster ${h.cluster || h.clusterId}`;

// ---------------------------------------------------------------------------
// The reserve (admission control, report only)

export interface HostReserve {
  hostId: number;
  hostName: string;
  clusterId: number;
  /** The HA VMs on the host, and what they need. */
  vms: number;
  need: Need;
  /** What would not fit elsewhere if this host failed now: the sum of the VMs left down. */
  shortfall: Need;
  leftDown: Unplaced[];
}

export interface ClusterReserve {
  clusterId: number;
  cluster: string;
  /** Hosts of the cluster that take VMs now. */
  hosts: number;
  /** Every single host's HA VMs fit on the others (N+1). */
  n1: boolean;
  /** The largest single-host shortfall. */
  shortfall: Need;
  /** The K hosts with the most HA memory failing together. */
  kLargest: { k: number; hostIds: number[]; need: Need; shortfall: Need; leftDown: number };
}

export interface ReserveOptions {
  /** How many of the largest hosts failing together the reserve also covers (0: N+1 only). */
  k: number;
  /** Which VMs on a host must come back (default: ACTIVE ones). */
  isHaVm?: (vm: Vm) => boolean;
}

const sumNeeds = (cs: readonly Candidate[]): Need => cs.reduce((a, c) => addNeed(a, c.need), NO_NEED);
const byMemDesc = (a: Candidate, b: Candidate) => b.need.mem - a.need.mem || b.need.cpu - a.need.cpu || a.vmId - b.vmId;

/**
 * For every host that takes VMs, and per cluster: would its HA VMs fit on
 * the cluster's other enabled hosts? `vms` is every VM known (one pool read);
 * a host's VMs are those in its HOST/VMS.
 */
export function capacityReserve(hosts: readonly Host[], vms: readonly Vm[], opts: ReserveOptions): { hosts: HostReserve[]; clusters: ClusterReserve[] } {
  const isHa = opts.isHaVm ?? ((vm: Vm) => vm.state === VmState.ACTIVE);
  const vmById = new Map<number, Vm>();
  for (const vm of vms) vmById.set(vm.id, vm);
  const candidatesOf = (h: Host): Candidate[] => {
    const out: Candidate[] = [];
    for (const id of h.vms) {
      const vm = vmById.get(id);
      if (vm && isHa(vm)) out.push({ vmId: vm.id, vmName: vm.name, need: vmNeed(vm) });
    }
    // Largest first: the estimate packs the way that leaves least behind.
    return out.sort(byMemDesc);
  };

  const byCluster = new Map<number, Host[]>();
  for (const h of hosts) {
    if (!takesVms(h)) continue;
    const list = byCluster.get(h.clusterId);
    if (list) list.push(h);
    else byCluster.set(h.clusterId, [h]);
  }

  const hostOut: HostReserve[] = [];
  const clusterOut: ClusterReserve[] = [];
  for (const [clusterId, members] of [...byCluster].sort((a, b) => a[0] - b[0])) {
    const where = clusterLabel(members[0]);
    const rooms = new RoomIndex(members.map((h) => hostRoom(h)).filter((r): r is Room => !!r), where);
    const cands = new Map(members.map((h) => [h.id, candidatesOf(h)]));
    const haMem = new Map(members.map((h) => [h.id, sumNeeds(cands.get(h.id)!).mem]));
    let worst = NO_NEED;
    let n1 = true;
    for (const h of members) {
      const mine = cands.get(h.id)!;
      const p = rooms.place(mine, new Set([h.id]));
      const shortfall = sumNeeds(p.unplaced);
      if (p.unplaced.length) n1 = false;
      if (shortfall.mem > worst.mem || (shortfall.mem === worst.mem && shortfall.cpu > worst.cpu)) worst = shortfall;
      hostOut.push({ hostId: h.id, hostName: h.name, clusterId, vms: mine.length, need: sumNeeds(mine), shortfall, leftDown: p.unplaced });
    }
    const k = Math.min(Math.max(0, opts.k), members.length);
    const largest = [...members].sort((a, b) => haMem.get(b.id)! - haMem.get(a.id)! || a.id - b.id).slice(0, k);
    const theirs = largest.flatMap((h) => cands.get(h.id)!).sort(byMemDesc);
    const pk = rooms.place(theirs, new Set(largest.map((h) => h.id)));
    clusterOut.push({
      clusterId, cluster: members[0].cluster, hosts: members.length, n1, shortfall: worst,
      kLargest: { k, hostIds: largest.map((h) => h.id), need: sumNeeds(theirs), shortfall: sumNeeds(pk.unplaced), leftDown: pk.unplaced.length },
    });
  }
  return { hosts: hostOut, clusters: clusterOut };
}

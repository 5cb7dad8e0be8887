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
  const free = rooms.map((r) => ({ ...r }));
  const placed: Placement['placed'] = [];
  const unplaced: Unplaced[] = [];
  for (const c of candidates) {
    let best: Room | undefined;
    for (const r of free) {
      if (r.cpu >= c.need.cpu && r.mem >= c.need.mem && (!best || r.mem > best.mem)) best = r;
    }
    if (best) {
      best.cpu -= c.need.cpu;
      best.mem -= c.need.mem;
      placed.push({ vmId: c.vmId, hostId: best.hostId });
      continue;
    }
    unplaced.push({ ...c, reason: noRoomReason(c.need, free, where, placed.length > 0) });
  }
  return { placed, unplaced };
}

function noRoomReason(need: Need, free: readonly Room[], where: string, afterOthers: boolean): string {
  if (!free.length) return `needs ${formatNeed(need)}; no enabled host in ${where} to take it`;
  const mostCpu = free.reduce((a, b) => (b.cpu > a.cpu ? b : a));
  const mostMem = free.reduce((a, b) => (b.mem > a.mem ? b : a));
  const short = [
    mostCpu.cpu < need.cpu ? `CPU ${+(mostCpu.cpu / 100).toFixed(2)} free at most (${mostCpu.hostName})` : '',
    mostMem.mem < need.mem ? `MEMORY ${Math.floor(mostMem.mem / 1024)} MB free at most (${mostMem.hostName})` : '',
  ].filter(Boolean);
  const why = short.length ? short.join(', ') : 'no single host has both free at once';
  return `needs ${formatNeed(need)}; ${where}: ${why}${afterOthers ? ', after the VMs before it' : ''}`;
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
    const rooms = members.map((h) => hostRoom(h)).filter((r): r is Room => !!r);
    const cands = new Map(members.map((h) => [h.id, candidatesOf(h)]));
    let worst = NO_NEED;
    let n1 = true;
    for (const h of members) {
      const mine = cands.get(h.id)!;
      const p = place(mine, rooms.filter((r) => r.hostId !== h.id), where);
      const shortfall = sumNeeds(p.unplaced);
      if (p.unplaced.length) n1 = false;
      if (shortfall.mem > worst.mem || (shortfall.mem === worst.mem && shortfall.cpu > worst.cpu)) worst = shortfall;
      hostOut.push({ hostId: h.id, hostName: h.name, clusterId, vms: mine.length, need: sumNeeds(mine), shortfall, leftDown: p.unplaced });
    }
    const k = Math.min(Math.max(0, opts.k), members.length);
    const largest = [...members].sort((a, b) => sumNeeds(cands.get(b.id)!).mem - sumNeeds(cands.get(a.id)!).mem || a.id - b.id).slice(0, k);
    const gone = new Set(largest.map((h) => h.id));
    const theirs = largest.flatMap((h) => cands.get(h.id)!).sort(byMemDesc);
    const pk = place(theirs, rooms.filter((r) => !gone.has(r.hostId)), where);
    clusterOut.push({
      clusterId, cluster: members[0].cluster, hosts: members.length, n1, shortfall: worst,
      kLargest: { k, hostIds: largest.map((h) => h.id), need: sumNeeds(theirs), shortfall: sumNeeds(pk.unplaced), leftDown: pk.unplaced.length },
    });
  }
  return { hosts: hostOut, clusters: clusterOut };
}

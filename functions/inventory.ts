// inventory: read what `select` needs, without writing anything: the host as
// oned sees it now, the VMs that may be on it, the datastores, and the host
// pool (what the other hosts have free, for the capacity estimate).
// By default only the VMs in HOST/VMS are fetched (one infoset call), so a
// 40-VM host in a 50,000-VM cloud does not pull the whole pool.
import * as z from '../model/zod';
import { NonNegativeInt } from '../model/numbers';
import { defineFunction } from './define';
import { DatastoreSchema, HostSchema, VmSchema, type Vm } from '../model/one';
import { chunks } from '../model/chunks';

export const InventoryInput = z.object({
  hostId: NonNegativeInt,
  /** "host-vms": HOST/VMS via one.vmpool.infoset; "pool": one.vmpool.info(-2,-1,-1,-1) as host_error.rb does. */
  source: z._default(z.enum(['host-vms', 'pool']), 'host-vms'),
});

export const InventoryOutput = z.object({
  host: HostSchema,
  vms: z.array(VmSchema),
  datastores: z.array(DatastoreSchema),
  source: z.enum(['host-vms', 'pool']),
  /** The host pool (one call), for select's capacity estimate; absent in outputs journaled before it was read. */
  hosts: z.optional(z.array(HostSchema)),
});
export type Inventory = z.infer<typeof InventoryOutput>;

/** infoset is one call per chunk; chunks keep each reply a sane size. */
export const INFOSET_CHUNK = 250;

export async function fetchVmSet(one: { vmPoolInfoSet(ids: number[], extended: boolean): Promise<Vm[]> }, ids: number[]): Promise<Vm[]> {
  // Extended bodies: oned's short body keeps only a few USER_TEMPLATE attributes (LABELS, SCHED_*, ERROR),
  // and select needs the VM's own HA policy (ONEHA_HA, ONEHA_PRIORITY, ONEHA_MODE, ONEHA_READY).
  const replies = await Promise.all(chunks(ids, INFOSET_CHUNK).map((c) => one.vmPoolInfoSet(c, true)));
  return replies.flat();
}

export const inventory = defineFunction({
  name: 'inventory',
  description: 'Read the failed host, its VMs and the datastores (read-only).',
  effectful: false,
  ports: ['one', 'log'],
  input: InventoryInput,
  output: InventoryOutput,
  async run({ hostId, source }, { one, log }) {
    const host = await one.hostInfo(hostId);
    const [vms, datastores, hosts] = await Promise.all([
      source === 'pool' ? one.vmPoolInfo(-2, -1, -1, -1) : host.vms.length ? fetchVmSet(one, host.vms) : Promise.resolve([]),
      one.datastorePoolInfo(),
      // Only for the capacity estimate: a failed read costs the estimate, never the recovery.
      one.hostPoolInfo().catch((e: unknown) => {
        log.warn(`host pool not read, no capacity estimate: ${e instanceof Error ? e.message : String(e)}`, { hostId });
        return undefined;
      }),
    ]);
    log.info(`host ${hostId}: ${vms.length} VMs read (${source}), ${datastores.length} datastores`, { hostId });
    return { host, vms, datastores, source, ...(hosts ? { hosts } : {}) };
  },
});

import { describe, expect, it } from 'vitest';
import { parseDatastorePool, parseHost, parseVmPool } from '../../model/oneXml';
import { selectVmsToRecover } from '../../functions/select';
import type { HookOptions } from '../../model/hookOptions';
import { asOned, sample } from '../helpers/samples';

const host = parseHost(asOned(sample('host_error.xml')));
const vms = parseVmPool(asOned(sample('vm_pool.xml')));
const datastores = parseDatastorePool(asOned(sample('datastore_pool.xml')));
const opts = (o: Partial<HookOptions>): HookOptions => ({ mode: 'migrate', force: false, pause: 0, fencing: true, ...o });
const plan = (o: Partial<HookOptions>) => selectVmsToRecover({ host, vms, datastores, options: opts(o) });
const ids = (xs: { vmId: number }[]) => xs.map((x) => x.vmId);

describe('select (on the shared samples: VMs 41-44 on the failed host, 45 elsewhere, 46 pending)', () => {
  it('-m: reschedules the UNKNOWN VM on a shared DS and the POWEROFF one; skips non-shared and SUSPENDED with reasons', () => {
    const p = plan({ mode: 'migrate' });
    expect(p.actions.map((a) => [a.vmId, a.operation])).toEqual([[41, 'resched'], [44, 'resched']]);
    expect(ids(p.skipped)).toEqual([42, 43]);
    expect(p.skipped[0].reason).toMatch(/system datastore 100 \(local_system, TM_MAD ssh\) is not shared/);
    expect(p.skipped[1].reason).toMatch(/refuses resched for SUSPENDED/);
  });

  it('-r without -f: only ACTIVE VMs; SUSPENDED/POWEROFF get a reason', () => {
    const p = plan({ mode: 'recreate' });
    expect(ids(p.actions)).toEqual([41, 42]);
    expect(p.skipped.map((s) => [s.vmId, s.reason])).toEqual([
      [43, 'SUSPENDED VMs are recovered by -r only with -f'],
      [44, 'POWEROFF VMs are recovered by -r only with -f'],
    ]);
  });

  it('-r -f and -d take ACTIVE, SUSPENDED and POWEROFF', () => {
    expect(ids(plan({ mode: 'recreate', force: true }).actions)).toEqual([41, 42, 43, 44]);
    const d = plan({ mode: 'delete' });
    expect(ids(d.actions)).toEqual([41, 42, 43, 44]);
    expect(d.actions.every((a) => a.operation === 'delete')).toBe(true);
  });

  it('never touches a VM whose last history is on another host, and says why when it ran here', () => {
    const moved = { ...vms.find((v) => v.id === 41)!, history: [
      { seq: 0, hostname: 'kvm-node-02', hid: 1, dsId: 0, action: 1 },
      { seq: 1, hostname: 'kvm-node-01', hid: 0, dsId: 0, action: 0 },
    ] };
    const p = selectVmsToRecover({ host, vms: [moved, ...vms.filter((v) => v.id !== 41)], datastores, options: opts({ mode: 'delete' }) });
    expect(ids(p.actions)).not.toContain(41);
    expect(p.skipped.find((s) => s.vmId === 41)?.reason).toBe('its last history record is on host kvm-node-01 (0), not on kvm-node-02');
    // 45 never ran on the failed host: not an action, and no noise in skipped either.
    expect(ids(p.actions)).not.toContain(45);
    expect(ids(p.skipped)).not.toContain(45);
  });

  it('-m skips a VM whose datastore is unknown or has no SHARED attribute', () => {
    const p = selectVmsToRecover({ host, vms, datastores: datastores.filter((d) => d.id !== 0), options: opts({ mode: 'migrate' }) });
    expect(p.actions).toEqual([]);
    expect(p.skipped.find((s) => s.vmId === 41)?.reason).toMatch(/system datastore 0 was not found/);
    const noAttr = datastores.map((d) => (d.id === 0 ? { ...d, shared: undefined } : d));
    expect(selectVmsToRecover({ host, vms, datastores: noAttr, options: opts({}) }).skipped.find((s) => s.vmId === 41)?.reason)
      .toMatch(/has no SHARED attribute/);
  });

  it('gives every VM listed on the host either an action or a reason', () => {
    for (const mode of ['migrate', 'recreate', 'delete'] as const) {
      for (const force of [false, true]) {
        const p = plan({ mode, force });
        expect([...ids(p.actions), ...ids(p.skipped)].sort()).toEqual(host.vms);
      }
    }
  });

  it('no VMs: an empty plan', () => {
    const p = selectVmsToRecover({ host: { ...host, vms: [] }, vms: [], datastores, options: opts({}) });
    expect(p).toEqual({ hostId: 1, hostName: 'kvm-node-02', mode: 'migrate', actions: [], skipped: [] });
  });
});

// oned as the rehearsal sees it: the real one, read-only (every write is
// refused before it is sent: one/readOnly.ts), except that one healthy host
// is shown as it would be the moment it failed. What oned does then
// (OBSERVED.md): the host goes to ERROR (STATE 3) and its RUNNING VMs go to
// ACTIVE/UNKNOWN (LCM 16) at the same moment. Everything else — the other
// hosts, datastores, locks, USER_TEMPLATE policies, free capacity — is what
// oned has now, so the dry-run flow plans on the cloud as it is.
import { HostState, lastHistory, LcmState, VmState, type Host, type Vm } from '../model/one';
import type { OneApi } from '../model/ports';
import { readOnly } from './one/readOnly';

export function asIfFailed(one: OneApi, hostId: number): OneApi {
  const guarded = readOnly(one);
  const host = (h: Host): Host => (h.id === hostId ? { ...h, prevState: h.state, state: HostState.ERROR } : h);
  const vm = (v: Vm): Vm =>
    v.state === VmState.ACTIVE && v.lcmState === LcmState.RUNNING && lastHistory(v)?.hid === hostId ? { ...v, lcmState: LcmState.UNKNOWN } : v;
  const vms = (list: Vm[]) => list.map(vm);
  const shown: Partial<OneApi> = {
    hostInfo: async (id) => host(await guarded.hostInfo(id)),
    hostPoolInfo: async () => (await guarded.hostPoolInfo()).map(host),
    vmInfo: async (id) => vm(await guarded.vmInfo(id)),
    vmPoolInfo: async (...a) => vms(await guarded.vmPoolInfo(...a)),
    vmPoolInfoExtended: async (...a) => vms(await guarded.vmPoolInfoExtended(...a)),
    vmPoolInfoSet: async (...a) => vms(await guarded.vmPoolInfoSet(...a)),
  };
  return new Proxy(guarded, { get: (target, prop, receiver) => (Object.hasOwn(shown, prop) ? shown[prop as keyof OneApi] : Reflect.get(target, prop, receiver)) });
}

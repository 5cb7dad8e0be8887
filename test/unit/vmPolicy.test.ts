import { describe, expect, it } from 'vitest';
import { selectVmsToRecover, tiersOf } from '../../functions/select';
import type { HookOptions } from '../../model/hookOptions';
import { parseVmPool, parseVmPoolGeneric } from '../../model/oneXml';
import { vmHaPolicy } from '../../model/vmPolicy';
import { host, vm } from '../helpers/fakeOne';

const ds = [{ id: 0, name: 'system', type: 1, tmMad: 'shared', shared: 'YES' as const }, { id: 100, name: 'local', type: 1, tmMad: 'ssh', shared: 'NO' as const }];
const opts = (o: Partial<HookOptions> = {}): HookOptions => ({ mode: 'migrate', force: false, pause: 0, fencing: true, ...o });
const onHost1 = (id: number, attrs?: Record<string, string>, extra = {}) => vm(id, 3, 16, 1, { attrs, ...extra });
const failed = host(1, 3, { vms: [1, 2, 3, 4, 5, 6] });

describe('per-VM HA policy (USER_TEMPLATE)', () => {
  it('reads ONEHA_HA, ONEHA_PRIORITY (five tiers, default MEDIUM), ONEHA_MODE, ONEHA_READY, ONEHA_READY_TIMEOUT; an unreadable value is named and the default used', () => {
    expect(vmHaPolicy({})).toEqual({ ha: true, priority: 'MEDIUM', tier: 2, mode: undefined, ready: 'RUNNING', readyTimeoutSeconds: 600, problems: [] });
    expect(vmHaPolicy({ attrs: { ONEHA_HA: 'no', ONEHA_PRIORITY: ' highest ', ONEHA_MODE: 'Recreate', ONEHA_READY: 'guest', ONEHA_READY_TIMEOUT: '90' } }))
      .toEqual({ ha: false, priority: 'HIGHEST', tier: 0, mode: 'recreate', ready: 'GUEST', readyTimeoutSeconds: 90, problems: [] });
    const bad = vmHaPolicy({ attrs: { ONEHA_PRIORITY: 'URGENT', ONEHA_READY_TIMEOUT: '-1', ONEHA_MODE: 'rm -rf' } });
    expect(bad).toMatchObject({ priority: 'MEDIUM', mode: undefined, readyTimeoutSeconds: 600 });
    expect(bad.problems).toEqual([
      'ONEHA_PRIORITY = "URGENT" is not valid; ignored', 'ONEHA_MODE = "rm -rf" is not valid; ignored', 'ONEHA_READY_TIMEOUT = "-1" is not valid; ignored',
    ]);
  });

  it('the lean and the general VM pool readers agree on the policy attributes (CDATA included), and a VM without them has none', () => {
    const xml = '<VM_POOL><VM><ID>7</ID><UID>0</UID><GID>0</GID><UNAME>oneadmin</UNAME><GNAME>oneadmin</GNAME><NAME>a</NAME><STATE>3</STATE><LCM_STATE>3</LCM_STATE><RESCHED>0</RESCHED>' +
      '<TEMPLATE><CPU><![CDATA[1]]></CPU><MEMORY><![CDATA[512]]></MEMORY></TEMPLATE><USER_TEMPLATE><ONEHA_PRIORITY><![CDATA[HIGH]]></ONEHA_PRIORITY><READY>YES</READY></USER_TEMPLATE>' +
      '<HISTORY_RECORDS/></VM><VM><ID>8</ID><NAME>b</NAME><STATE>3</STATE><LCM_STATE>3</LCM_STATE><USER_TEMPLATE><LABELS>x</LABELS></USER_TEMPLATE><HISTORY_RECORDS/></VM></VM_POOL>';
    const lean = parseVmPool(xml);
    expect(lean[0].attrs).toEqual({ ONEHA_PRIORITY: 'HIGH', READY: 'YES' });
    expect(lean[1].attrs).toBeUndefined();
    expect(lean).toEqual(parseVmPoolGeneric(xml));
  });

  it('select: opted-out VMs are left down with the reason; tiers HIGHEST first; a VM\'s mode overrides the host\'s through the same gates', () => {
    const vms = [
      onHost1(1, { ONEHA_PRIORITY: 'LOWEST' }),
      onHost1(2, { ONEHA_HA: 'NO' }),
      onHost1(3, { ONEHA_PRIORITY: 'HIGHEST', ONEHA_READY: 'GUEST', ONEHA_READY_TIMEOUT: '60' }),
      onHost1(4, { ONEHA_MODE: 'recreate' }, { history: [{ seq: 0, hostname: 'host-1', hid: 1, dsId: 100, action: 0 }] }),
      onHost1(5, { ONEHA_MODE: 'migrate' }, { history: [{ seq: 0, hostname: 'host-1', hid: 1, dsId: 100, action: 0 }] }),
      vm(6, 8, 0, 1, { attrs: { ONEHA_MODE: 'recreate' } }), // POWEROFF: recreate takes it only with -f
    ];
    const p = selectVmsToRecover({ host: failed, vms, datastores: ds, options: opts() });
    expect(p.actions.map((a) => [a.vmId, a.operation, a.priority])).toEqual([[3, 'resched', 'HIGHEST'], [4, 'recreate', 'MEDIUM'], [1, 'resched', 'LOWEST']]);
    expect(p.actions[0].ready).toEqual({ kind: 'GUEST', timeoutSeconds: 60 });
    expect(p.skipped.map((s) => [s.vmId, s.reason])).toEqual([
      [2, 'ONEHA_HA = NO on the VM: oneha never recovers it'],
      [5, expect.stringMatching(/system datastore 100 \(local, TM_MAD ssh\) is not shared/)],
      [6, 'POWEROFF VMs are recovered by -r only with -f'],
    ]);
    expect(tiersOf(p.actions).map((g) => g.map((a) => a.vmId))).toEqual([[3], [4], [1]]);
  });
});

// The client-side parsers (functions/oneXml.ts) read every kind of XML the
// simulator serves, with the values the simulated cloud holds.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  parseCallInfo, parseConfig, parseDatastorePool, parseDocument, parseDocumentPool, parseHost, parseHostPool, parseRaftStatus, parseRoot,
  parseUser, parseVm, parseVmPool,
} from '../../model/oneXml';
import { collectServed, type Served } from './coverage';

let served: Served[] = [];
const one = (name: string) => {
  const s = served.find((x) => x.name === name);
  if (!s) throw new Error(`no served document "${name}"`);
  return s.xml;
};

beforeAll(async () => {
  served = await collectServed();
}, 20_000);

describe('functions/oneXml.ts parses what the simulator serves', () => {
  it('parses every served document with the parser of its kind', () => {
    const parsers: Record<string, (xml: string) => unknown> = {
      'host.xsd': parseHost,
      'host_pool.xsd': parseHostPool,
      'vm.xsd': parseVm,
      'vm_pool.xsd': parseVmPool,
      'vm_pool_extended.xsd': parseVmPool,
      'datastore_pool.xsd': parseDatastorePool,
      'datastore.xsd': (x) => parseRoot(x, 'DATASTORE'),
      'opennebula_configuration.xsd': parseConfig,
      'user.xsd': parseUser,
      'raftstatus.xsd': parseRaftStatus,
      'document.xsd': parseDocument,
      'document_pool.xsd': parseDocumentPool,
      'hook.xsd': (x) => parseRoot(x, 'HOOK'),
      'hook_pool.xsd': (x) => parseRoot(x, 'HOOK_POOL'),
      'acl_pool.xsd': (x) => parseRoot(x, 'ACL_POOL'), // oneha reads no ACLs; the simulator serves them for the ACL tests
      'api_info.xsd': parseCallInfo, // an API hook's $API (the readiness probe)
    };
    for (const s of served) expect(() => parsers[s.xsd](s.xml), s.name).not.toThrow();
  });

  it('hosts: ERROR state, HOST/VMS, template values with markup', () => {
    const h1 = parseHost(one('host 1'));
    expect(h1).toMatchObject({ id: 1, name: 'kvm-node-02', state: 3, prevState: 3, clusterId: 0, cluster: 'default' });
    expect(h1.vms).toEqual([42, 43, 44]); // 41 was resched'ed away
    expect(h1.template.FENCE_IP).toBe('10.0.100.12');
    expect(h1.template.ONEHA_NOTE).toBe('a <tricky> & "quoted" ]]> value');
    expect(h1.template.ERROR).toMatch(/ : Error monitoring Host kvm-node-02 \(1\): /);
    expect(parseHost(one('host 2')).state).toBe(4);
    expect(parseHost(one('host 3')).state).toBe(8);
    const event = parseHost(one('hook $TEMPLATE'));
    expect(event).toMatchObject({ id: 1, state: 3, prevState: 2 });
    expect(event.vms).toEqual([41, 42, 43, 44]);
    expect(parseHostPool(one('host pool')).map((h) => h.id)).toEqual([3, 2, 1, 0]); // oned's order: descending IDs
    expect(parseHostPool(one('empty host pool'))).toEqual([]);
  });

  it('VMs: full body with every history record, short pool body with the last one, DESC order', () => {
    const vm42 = parseVm(one('vm 42'));
    expect(vm42).toMatchObject({ id: 42, state: 3, lcmState: 16, resched: 0, uname: 'alice', gname: 'web-team' });
    expect(vm42.history.map((h) => [h.seq, h.hid, h.hostname, h.dsId])).toEqual([[0, 0, 'kvm-node-01', 100], [1, 1, 'kvm-node-02', 100]]);
    const vm41 = parseVm(one('vm 41'));
    expect(vm41).toMatchObject({ state: 3, lcmState: 3 });
    expect(vm41.history.map((h) => [h.hid, h.action])).toEqual([[0, 2], [1, 1], [0, 0]]);
    expect(parseVm(one('vm 46')).history).toEqual([]);

    const pool = parseVmPool(one('vm pool -2'));
    expect(pool.map((v) => v.id)).toEqual([49, 48, 47, 46, 45, 44, 43, 42, 41]);
    expect(pool.every((v) => v.history.length <= 1)).toBe(true);
    expect(pool.find((v) => v.id === 42)!.history[0]).toMatchObject({ seq: 1, hid: 1, dsId: 100 });
    expect(parseVmPool(one('vm pool -1')).map((v) => v.id)).not.toContain(47);
    expect(parseVmPool(one('vm pool page')).map((v) => v.id)).toEqual([47, 46, 45]);
    expect(parseVmPool(one('vm pool viewer')).map((v) => v.id)).toEqual([43]);
    expect(parseVmPool(one('vm pool extended')).find((v) => v.id === 41)!.history).toHaveLength(1);
    expect(parseVmPool(one('vm infoset')).map((v) => v.id)).toEqual([46, 42, 41]);
    expect(parseVmPool(one('vm infoset extended')).map((v) => v.id)).toEqual([47, 42, 41]);
    expect(parseVmPool(one('vm pool no match'))).toEqual([]);
    expect(parseVmPool(one('empty vm pool'))).toEqual([]);
  });

  it('datastores, config, users, raft, documents', () => {
    const ds = parseDatastorePool(one('datastore pool'));
    expect(ds.map((d) => [d.id, d.type, d.tmMad, d.shared])).toEqual([
      [101, 1, 'ceph', 'YES'], [100, 1, 'ssh', 'NO'], [2, 2, 'ssh', undefined], [1, 0, 'shared', undefined], [0, 1, 'shared', 'YES'],
    ]);
    expect(parseConfig(one('config admin'))).toEqual({ monitoringIntervalHost: undefined, version: undefined });
    expect(parseConfig(one('config with MONITORING_INTERVAL_HOST')).monitoringIntervalHost).toBe(60);
    expect(parseUser(one('user self (token)'))).toEqual({ id: 0, name: 'oneadmin', gid: 0, groups: [0] });
    expect(parseUser(one('user 2'))).toEqual({ id: 2, name: 'alice', gid: 100, groups: [1, 100] });
    expect(parseRaftStatus(one('raft leader'))).toEqual({ serverId: 0, state: 3, term: 5 });
    expect(parseRaftStatus(one('raft solo'))).toEqual({ serverId: -1, state: 0, term: 0 });
    expect(parseDocument(one('document 3'))).toEqual({ id: 3, name: 'web-stack', type: 100, body: '{"name":"web-stack","roles":[{"name":"frontend"}],"x":"]]>"}' });
    expect(parseDocument(one('document locked'))).toMatchObject({ name: 'oneha-journal', type: 4200, body: '{"flows":[]}' });
    expect(parseDocumentPool(one('document pool 100')).map((d) => d.id)).toEqual([3]);
    expect(parseDocumentPool(one('empty document pool'))).toEqual([]);
  });
});

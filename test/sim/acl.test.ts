// Host visibility per user, as oned decides it: oned's bootstrap ACL rules
// (read from a real oned 7.5 database) let group "users" MANAGE hosts but not
// USE them, so one.hostpool.info lists them nothing; a rule granting USE on
// HOST/#id, HOST/%cluster or HOST/* opens exactly those hosts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../sim/server';
import { ADMIN, call, ok } from './helpers';

const ids = (xml: string) => [...xml.matchAll(/<HOST><ID>(\d+)<\/ID>/g)].map((m) => Number(m[1]));
// Masks as AclRule keeps them: user @gid = 0x200000000|gid, #uid = 0x100000000|uid; resource HOST = 0x2000000000 with
// #id 0x100000000|id, %cluster 0x800000000|cid, * 0x400000000; rights USE 1; zone #0 = 0x100000000.
const hex = (n: bigint) => n.toString(16);
const HOST = 0x2000000000n;
const ZONE0 = hex(0x100000000n);

describe('simulated oned: ACL rules decide which hosts a user sees', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      scenario: {
        users: [
          { id: 0, name: 'oneadmin', password: 'oneadmin', gid: 0 },
          { id: 1, name: 'viewer', password: 'viewer', gid: 1 },
          { id: 2, name: 'alice', password: 'alice', gid: 100, groups: [1] },
          { id: 3, name: 'ops', password: 'ops', gid: 1, groups: [0] },
        ],
        hosts: [
          { id: 0, name: 'a', clusterId: 0 },
          { id: 1, name: 'b', clusterId: 0 },
          { id: 2, name: 'c', clusterId: 100, cluster: 'rack-2' },
          { id: 3, name: 'd', clusterId: 100, cluster: 'rack-2' },
        ],
      },
    });
  });
  afterAll(() => sim?.close());

  it("one.acl.info lists oned's own bootstrap rules, with the masks and strings a real oned stores", async () => {
    const xml = await ok<string>(sim.url, 'one.acl.info');
    const rules = [...xml.matchAll(/<ACL><ID>(\d+)<\/ID><USER>(\w+)<\/USER><RESOURCE>(\w+)<\/RESOURCE><RIGHTS>(\w+)<\/RIGHTS><ZONE>(\w+)<\/ZONE><STRING>([^<]*)<\/STRING><\/ACL>/g)]
      .map((m) => [Number(m[1]), BigInt(`0x${m[2]}`), BigInt(`0x${m[3]}`), BigInt(`0x${m[4]}`), BigInt(`0x${m[5]}`), m[6]]);
    // The acl table of a freshly bootstrapped oned 7.5 (oid, user, resource, rights, zone), in decimal as sqlite shows it.
    expect(rules.map((r) => r.slice(0, 5))).toEqual([
      [0, 8589934593n, 81419471691972608n, 8n, 17179869184n],
      [1, 17179869184n, 140754668224512n, 1n, 17179869184n],
      [2, 17179869184n, 6755416620924928n, 1n, 17179869184n],
      [3, 8589934593n, 154618822656n, 2n, 4294967296n],
      [4, 8589934593n, 292057776128n, 1n, 4294967296n],
      [5, 8589934593n, 17609365913600n, 1n, 4294967296n],
    ]);
    expect(rules[3][5]).toBe('@1 HOST/* MANAGE #0');
  });

  it('by default a user of group users sees no host: the pool is empty and one.host.info is refused', async () => {
    expect(ids(await ok(sim.url, 'one.hostpool.info'))).toEqual([3, 2, 1, 0]);
    const pool = await call(sim.url, 'one.hostpool.info', [], 'viewer:viewer');
    expect(pool[0]).toBe(true);
    expect(ids(pool[1])).toEqual([]);
    const one = await call(sim.url, 'one.host.info', [1], 'viewer:viewer');
    expect(one.slice(0, 3)).toEqual([false, '[one.host.info] User [1] : Not authorized to perform USE HOST [1].', 512]);
    // an administrator by secondary group sees everything
    expect(ids((await call(sim.url, 'one.hostpool.info', [], 'ops:ops'))[1])).toEqual([3, 2, 1, 0]);
  });

  it('USE on one host, on a cluster, or on all hosts opens exactly those, for that user or group only', async () => {
    const add = async (user: bigint, resource: bigint) => ok<number>(sim.url, 'one.acl.addrule', hex(user), hex(HOST | resource), '1', ZONE0);
    const one = await add(0x100000000n | 1n, 0x100000000n | 1n); // #1 HOST/#1 USE #0
    expect(ids((await call(sim.url, 'one.hostpool.info', [], 'viewer:viewer'))[1])).toEqual([1]);
    expect((await call(sim.url, 'one.host.info', [1], 'viewer:viewer'))[0]).toBe(true);
    expect((await call(sim.url, 'one.host.info', [0], 'viewer:viewer'))[0]).toBe(false);
    expect(ids((await call(sim.url, 'one.hostpool.info', [], 'alice:alice'))[1])).toEqual([]);
    const rack = await add(0x200000000n | 100n, 0x800000000n | 100n); // @100 HOST/%100 USE #0
    expect(ids((await call(sim.url, 'one.hostpool.info', [], 'alice:alice'))[1])).toEqual([3, 2]);
    expect(ids((await call(sim.url, 'one.hostpool.info', [], 'viewer:viewer'))[1])).toEqual([1]);
    const all = await add(0x200000000n | 1n, 0x400000000n); // @1 HOST/* USE #0: alice is in group 1 too
    expect(ids((await call(sim.url, 'one.hostpool.info', [], 'alice:alice'))[1])).toEqual([3, 2, 1, 0]);
    const xml = await ok<string>(sim.url, 'one.acl.info');
    expect(xml).toContain('<STRING>#1 HOST/#1 USE #0</STRING>');
    expect(xml).toContain('<STRING>@100 HOST/%100 USE #0</STRING>');
    for (const id of [all, rack, one]) expect(await ok(sim.url, 'one.acl.delrule', id)).toBe(id);
    expect(ids((await call(sim.url, 'one.hostpool.info', [], 'viewer:viewer'))[1])).toEqual([]);
  });

  it('only administrators read or change ACL rules; a duplicate, malformed or unknown rule is refused', async () => {
    const r = await call(sim.url, 'one.acl.addrule', [hex(0x200000000n | 1n), hex(HOST | 0x400000000n), '1', ZONE0], 'viewer:viewer');
    expect(r.slice(0, 3)).toEqual([false, '[one.acl.addrule] User [1] : Not authorized to perform MANAGE ACL.', 512]);
    expect((await call(sim.url, 'one.acl.info', [], 'viewer:viewer'))[0]).toBe(false);
    const dup = await call(sim.url, 'one.acl.addrule', [hex(0x200000000n | 1n), hex(HOST | 0x400000000n), '2', ZONE0], ADMIN);
    expect(dup[0]).toBe(false);
    expect(dup[1]).toMatch(/already exists/);
    expect((await call(sim.url, 'one.acl.addrule', ['zz', '1', '1'], ADMIN))[0]).toBe(false);
    expect((await call(sim.url, 'one.acl.delrule', [999], ADMIN))[1]).toMatch(/Rule 999 does not exist/);
  });

  it('a scenario adds its rules after the bootstrap ones and refuses a malformed one', async () => {
    const s = await startSimulator({ scenario: { users: [{ id: 0, name: 'oneadmin', password: 'oneadmin', gid: 0 }, { id: 1, name: 'viewer', password: 'viewer', gid: 1 }], hosts: [{ id: 0, name: 'a' }, { id: 1, name: 'b' }], acls: ['#1 HOST/#0 USE'] } });
    try {
      expect(ids((await call(s.url, 'one.hostpool.info', [], 'viewer:viewer'))[1])).toEqual([0]);
      expect(await ok<string>(s.url, 'one.acl.info')).toContain('<ID>6</ID><USER>100000001</USER><RESOURCE>2100000000</RESOURCE><RIGHTS>1</RIGHTS><ZONE>100000000</ZONE><STRING>#1 HOST/#0 USE #0</STRING>');
    } finally {
      await s.close();
    }
    await expect(startSimulator({ scenario: { hosts: [], acls: ['@1 HOSTS/* USE'] } })).rejects.toThrow(/unknown resource type HOSTS/);
  });
});

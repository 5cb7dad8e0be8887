// What FireEdge Sunstone asks of oned (shared/fireedge/README.md): server_cipher
// sessions made the way FireEdge makes them, and the zone/group/cluster/pool
// reads of its shell, each validated against OpenNebula's XSD.
import { createCipheriv, createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../sim/server';
import type { Served } from './coverage';
import { call } from './helpers';
import { Xmllint } from './xmllint';

/** FireEdge's createTokenServerAdmin: base64 AES-256-CBC of "server:user:expire", key/iv from sha256 hex of the password. */
function fireedgeToken(serverPassword: string, server: string, user: string, expire: number): string {
  const hex = createHash('sha256').update(serverPassword).digest('hex');
  const c = createCipheriv('aes-256-cbc', Buffer.from(hex.slice(0, 32), 'ascii'), Buffer.from(hex.slice(0, 16), 'ascii'));
  return Buffer.concat([c.update(`${server}:${user}:${expire}`, 'ascii'), c.final()]).toString('base64');
}

let sim: Simulator;
let lint: Xmllint;
const later = () => Math.floor(Date.now() / 1000) + 3600;

beforeAll(async () => {
  lint = new Xmllint();
  sim = await startSimulator({
    scenario: {
      users: [
        { id: 0, name: 'oneadmin', password: 'oneadmin', gid: 0 },
        { id: 1, name: 'serveradmin', password: 'serveradminpass', gid: 0, authDriver: 'server_cipher' },
        { id: 2, name: 'viewer', password: 'viewer', gid: 1, groups: [100], gname: 'users' },
      ],
      hosts: [{ id: 0, name: 'kvm-a' }, { id: 1, name: 'kvm-b', cluster: 'edge', clusterId: 100 }],
    },
  });
});

afterAll(async () => {
  await sim?.close();
  lint?.close();
});

describe('server_cipher sessions (FireEdge signs users in as serveradmin)', () => {
  it('acts as the target user with a token FireEdge would make', async () => {
    const tok = fireedgeToken('serveradminpass', 'serveradmin', 'viewer', later());
    const r = await call(sim.url, 'one.user.info', [-1, false], `serveradmin:viewer:${tok}`);
    expect(r[0]).toBe(true);
    expect(r[1]).toContain('<NAME>viewer</NAME>');
    // and with the target's rights, not serveradmin's: viewer cannot change a host
    const w = await call(sim.url, 'one.host.update', [0, 'X="1"', 1], `serveradmin:viewer:${tok}`);
    expect(w.slice(0, 3)).toEqual([false, '[one.host.update] User [2] : Not authorized to perform MANAGE HOST [0].', 512]);
  });

  it('serveradmin itself answers with PASSWORD = sha256 hex and AUTH_DRIVER server_cipher (FireEdge keys user tokens on it)', async () => {
    const tok = fireedgeToken('serveradminpass', 'serveradmin', 'serveradmin', later());
    const r = await call(sim.url, 'one.user.info', [-1, false], `serveradmin:serveradmin:${tok}`);
    expect(r[1]).toContain(`<PASSWORD>${createHash('sha256').update('serveradminpass').digest('hex')}</PASSWORD><AUTH_DRIVER>server_cipher</AUTH_DRIVER>`);
  });

  it.each([
    ['an expired token', fireedgeToken('serveradminpass', 'serveradmin', 'oneadmin', Math.floor(Date.now() / 1000) - 1), 'serveradmin:oneadmin'],
    ['a token made with another key', fireedgeToken('wrong', 'serveradmin', 'oneadmin', later()), 'serveradmin:oneadmin'],
    ['a token for another user', fireedgeToken('serveradminpass', 'serveradmin', 'viewer', later()), 'serveradmin:oneadmin'],
    ['garbage', 'bm90IGEgdG9rZW4=', 'serveradmin:oneadmin'],
    ['a core user as the server', fireedgeToken('oneadmin', 'oneadmin', 'viewer', later()), 'oneadmin:viewer'],
  ])('refuses %s', async (_, tok, prefix) => {
    const r = await call(sim.url, 'one.user.info', [-1, false], `${prefix}:${tok}`);
    expect(r.slice(0, 3)).toEqual([false, "[one.user.info] User couldn't be authenticated, aborting call.", 256]);
  });
});

describe('the reads of FireEdge\'s shell', () => {
  it('zone 0 names the simulator itself as ENDPOINT (FireEdge sends every later call there)', async () => {
    const r = await call(sim.url, 'one.zonepool.info', []);
    expect(r[1]).toContain(`<ENDPOINT>${sim.url}</ENDPOINT>`);
    expect((await call(sim.url, 'one.zone.info', [5])).slice(0, 3)).toEqual([false, '[one.zone.info] Error getting zone [5].', 1024]);
  });

  it('groups from the users, a non-admin sees only theirs', async () => {
    const pool = await call(sim.url, 'one.grouppool.info', []);
    expect([...(pool[1] as string).matchAll(/<GROUP><ID>(\d+)<\/ID><NAME>([^<]+)</g)].map((m) => `${m[1]}:${m[2]}`)).toEqual(['0:oneadmin', '1:users', '100:group-100']);
    const mine = await call(sim.url, 'one.grouppool.info', [], 'viewer:viewer');
    expect([...(mine[1] as string).matchAll(/<GROUP><ID>(\d+)/g)].map((m) => m[1])).toEqual(['1', '100']);
    const g0 = await call(sim.url, 'one.group.info', [0, false], 'viewer:viewer');
    expect(g0.slice(0, 3)).toEqual([false, '[one.group.info] User [2] : Not authorized to perform USE GROUP [0].', 512]);
    expect((await call(sim.url, 'one.group.info', [0, false]))[1]).toContain('<USERS><ID>0</ID><ID>1</ID></USERS>');
  });

  it('accepts FireEdge\'s argument lists (its extra zone argument is ignored, as by xmlrpc-c)', async () => {
    for (const [m, p] of [
      ['one.hostpool.info', [0]], ['one.clusterpool.info', [0]], ['one.vnpool.info', [-2, -1, -1, 0]], ['one.imagepool.info', [-2, -1, -1]],
      ['one.userpool.info', []], ['one.vmpool.info', [-2, 0, -200, -2, '']], ['one.host.monitoring', [1]],
    ] as const) {
      const r = await call(sim.url, m, [...p]);
      expect(r[0], m).toBe(true);
    }
  });

  it('every reply validates against its XSD', async () => {
    const get = async (name: string, xsd: string, root: string, method: string, params: unknown[], session?: string): Promise<Served> => {
      const r = await call(sim.url, method, params, session);
      if (!r[0]) throw new Error(`${method}: ${r[1]}`);
      return { name, xsd, root, xml: r[1] as string };
    };
    const docs = [
      await get('zone pool', 'zone_pool.xsd', 'ZONE_POOL', 'one.zonepool.info', []),
      await get('zone 0', 'zone.xsd', 'ZONE', 'one.zone.info', [0]),
      await get('group 0', 'group.xsd', 'GROUP', 'one.group.info', [0]),
      await get('group 100', 'group.xsd', 'GROUP', 'one.group.info', [100]),
      await get('group pool', 'group_pool.xsd', 'GROUP_POOL', 'one.grouppool.info', []),
      await get('group pool viewer', 'group_pool.xsd', 'GROUP_POOL', 'one.grouppool.info', [], 'viewer:viewer'),
      await get('cluster pool', 'cluster_pool.xsd', 'CLUSTER_POOL', 'one.clusterpool.info', [0]),
      await get('user pool', 'user_pool.xsd', 'USER_POOL', 'one.userpool.info', []),
      await get('serveradmin', 'user.xsd', 'USER', 'one.user.info', [1]),
      await get('vnet pool', 'vnet_pool.xsd', 'VNET_POOL', 'one.vnpool.info', [-2, -1, -1]),
      await get('image pool', 'image_pool.xsd', 'IMAGE_POOL', 'one.imagepool.info', [-2, -1, -1]),
      await get('host monitoring', 'monitoring_data.xsd', 'MONITORING_DATA', 'one.host.monitoring', [0]),
    ];
    const problems = [...new Set(docs.map((d) => d.xsd))].map((xsd) => lint.validate(xsd, docs.filter((d) => d.xsd === xsd)))
      .filter((r) => !r.ok).map((r) => r.output);
    expect(problems).toEqual([]);
  });
});

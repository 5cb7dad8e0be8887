// What FireEdge Sunstone asks of oned beyond what oneha itself uses
// (shared/fireedge/README.md "What FireEdge needs from oned"): the
// server_cipher sessions FireEdge signs users in with, and the zone, group,
// cluster, network, image, user and monitoring reads of its shell, dashboard
// and host pages. Kept apart from rpc.ts so the methods oneha calls stay
// easy to read; rpc.ts merges these in.
import { createDecipheriv, createHash } from 'node:crypto';
import type { Cloud } from './cloud';
import { ErrorCode, OneError } from './cloud';
import type { SimUser } from './model';
import { esc } from './template';
import { userTemplate } from './xml';

/**
 * oned's server_cipher sessions, "<server user>:<target user>:<token>": the
 * token is base64 AES-256-CBC of "<server user>:<target user>:<expire>" with
 * key = the server user's PASSWORD field (sha256 hex of its password)
 * [0, 32) and iv = [0, 16). The call then runs as the target user. Returns
 * undefined when the session is not of that form; null when it is but fails.
 */
export function serverCipherUser(cloud: Cloud, session: string): SimUser | null | undefined {
  const parts = session.split(':');
  if (parts.length !== 3) return undefined;
  const [serverName, targetName, token] = parts;
  const server = cloud.userByName(serverName);
  if (!server || server.authDriver !== 'server_cipher') return undefined;
  if (!server.enabled || !cloud.isAdmin(server)) return null;
  const hash = createHash('sha256').update(server.password).digest('hex');
  let plain: string;
  try {
    const d = createDecipheriv('aes-256-cbc', Buffer.from(hash.slice(0, 32), 'ascii'), Buffer.from(hash.slice(0, 16), 'ascii'));
    plain = Buffer.concat([d.update(Buffer.from(token, 'base64')), d.final()]).toString('ascii');
  } catch {
    return null;
  }
  const [s, t, expire] = plain.split(':');
  if (s !== serverName || t !== targetName || !/^\d+$/.test(expire ?? '') || Number(expire) <= cloud.nowSec()) return null;
  const target = cloud.userByName(targetName);
  return target && target.enabled ? target : null;
}

interface Group { id: number; name: string; users: number[] }

function groups(cloud: Cloud): Map<number, Group> {
  const out = new Map<number, Group>();
  const named = (id: number, name?: string) => {
    let g = out.get(id);
    if (!g) out.set(id, (g = { id, name: name ?? (id === 0 ? 'oneadmin' : id === 1 ? 'users' : `group-${id}`), users: [] }));
    else if (name) g.name = name;
    return g;
  };
  named(0);
  named(1);
  for (const u of [...cloud.users.values()].sort((a, b) => a.id - b.id)) {
    named(u.gid, u.gname).users.push(u.id);
    for (const gid of u.groups) if (gid !== u.gid) named(gid).users.push(u.id);
  }
  return out;
}

const ids = (xs: number[]) => xs.map((x) => `<ID>${x}</ID>`).join('');
const QUOTAS = '<DATASTORE_QUOTA/><NETWORK_QUOTA/><VM_QUOTA/><IMAGE_QUOTA/>';

function groupXml(g: Group): string {
  return `<GROUP><ID>${g.id}</ID><NAME>${esc(g.name)}</NAME><TEMPLATE/><USERS>${ids(g.users)}</USERS><ADMINS></ADMINS>` +
    `${QUOTAS}<VLAN_RULES><ID>${g.id}</ID></VLAN_RULES><DEFAULT_GROUP_QUOTAS>${QUOTAS}</DEFAULT_GROUP_QUOTAS></GROUP>`;
}

function groupPoolXml(gs: Group[]): string {
  const body = gs.map((g) => `<GROUP><ID>${g.id}</ID><NAME>${esc(g.name)}</NAME><TEMPLATE/><USERS>${ids(g.users)}</USERS><ADMINS></ADMINS></GROUP>`).join('');
  const quotas = gs.map((g) => `<QUOTAS><ID>${g.id}</ID>${QUOTAS}</QUOTAS>`).join('');
  return `<GROUP_POOL>${body}${quotas}<DEFAULT_GROUP_QUOTAS>${QUOTAS}</DEFAULT_GROUP_QUOTAS></GROUP_POOL>`;
}

function zoneXml(cloud: Cloud): string {
  // FireEdge sends every call after sign-in to this ENDPOINT, not to its configured one_xmlrpc.
  return `<ZONE><ID>0</ID><NAME>OpenNebula</NAME><STATE>0</STATE><TEMPLATE><ENDPOINT>${esc(cloud.zoneEndpoint)}</ENDPOINT></TEMPLATE><SERVER_POOL></SERVER_POOL></ZONE>`;
}

function clusterPoolXml(cloud: Cloud): string {
  const clusters = new Map<number, { name: string; hosts: number[] }>();
  for (const h of [...cloud.hosts.values()].sort((a, b) => a.id - b.id)) {
    const c = clusters.get(h.clusterId) ?? { name: h.cluster, hosts: [] };
    c.hosts.push(h.id);
    clusters.set(h.clusterId, c);
  }
  if (!clusters.size) clusters.set(0, { name: 'default', hosts: [] });
  const dss = [...cloud.datastores.keys()].sort((a, b) => a - b);
  return '<CLUSTER_POOL>' + [...clusters].sort(([a], [b]) => a - b).map(([id, c]) =>
    `<CLUSTER><ID>${id}</ID><NAME>${esc(c.name)}</NAME><HOSTS>${ids(c.hosts)}</HOSTS><DATASTORES>${ids(dss)}</DATASTORES><VNETS></VNETS><TEMPLATE/></CLUSTER>`,
  ).join('') + '</CLUSTER_POOL>';
}

function userPoolXml(cloud: Cloud, caller: SimUser, admin: boolean): string {
  const users = [...cloud.users.values()].filter((u) => admin || u.id === caller.id).sort((a, b) => a.id - b.id);
  const body = users.map((u) => {
    const pw = createHash('sha256').update(u.password).digest('hex');
    return `<USER><ID>${u.id}</ID><GID>${u.gid}</GID><GROUPS>${ids(u.groups)}</GROUPS><GNAME>${esc(u.gname)}</GNAME><NAME>${esc(u.name)}</NAME>` +
      `<PASSWORD>${pw}</PASSWORD><AUTH_DRIVER>${u.authDriver}</AUTH_DRIVER><ENABLED>${u.enabled ? 1 : 0}</ENABLED><TEMPLATE>${userTemplate(u)}</TEMPLATE></USER>`;
  }).join('');
  const quotas = users.map((u) => `<QUOTAS><ID>${u.id}</ID>${QUOTAS}</QUOTAS>`).join('');
  return `<USER_POOL>${body}${quotas}<DEFAULT_USER_QUOTAS>${QUOTAS}</DEFAULT_USER_QUOTAS></USER_POOL>`;
}

type ParamType = 'i' | 's' | 'b';
export interface FireEdgeMethodDef {
  params: ParamType[];
  optional?: ParamType[];
  idParam?: number;
  run(ctx: { cloud: Cloud; user: SimUser; admin: boolean }, a: any[]): string | number;
}

export const FIREEDGE_METHODS: Record<string, FireEdgeMethodDef> = {
  'one.zonepool.info': { params: [], run: (c) => `<ZONE_POOL>${zoneXml(c.cloud)}</ZONE_POOL>` },
  'one.zone.info': {
    params: ['i'], optional: ['b'], idParam: 1,
    run: (c, [id]) => {
      if (id !== 0) throw notFoundZone(id);
      return zoneXml(c.cloud);
    },
  },
  'one.group.info': {
    params: ['i'], optional: ['b'], idParam: 1,
    run: (c, [id]) => {
      const gid = id === -1 ? c.user.gid : id;
      const g = groups(c.cloud).get(gid);
      if (!g) throw notFoundGroup(gid);
      if (!c.admin && !c.user.groups.includes(gid)) throw new OneError(ErrorCode.AUTHORIZATION, `User [${c.user.id}] : Not authorized to perform USE GROUP [${gid}].`, gid);
      return groupXml(g);
    },
  },
  'one.grouppool.info': {
    params: [],
    run: (c) => groupPoolXml([...groups(c.cloud).values()].filter((g) => c.admin || c.user.groups.includes(g.id))),
  },
  'one.clusterpool.info': { params: [], run: (c) => clusterPoolXml(c.cloud) },
  'one.userpool.info': { params: [], run: (c) => userPoolXml(c.cloud, c.user, c.admin) },
  // The simulated cloud has no virtual networks or images: the pools are empty, as on a fresh oned.
  'one.vnpool.info': { params: ['i', 'i', 'i'], run: () => '<VNET_POOL></VNET_POOL>' },
  'one.imagepool.info': { params: ['i', 'i', 'i'], run: () => '<IMAGE_POOL></IMAGE_POOL>' },
  'one.host.monitoring': {
    params: ['i'], idParam: 1,
    run: (c, [id]) => {
      c.cloud.mustHost(id);
      return '<MONITORING_DATA></MONITORING_DATA>';
    },
  },
};

const notFoundZone = (id: number) => new OneError(ErrorCode.NO_EXISTS, `Error getting zone [${id}].`, id);
const notFoundGroup = (id: number) => new OneError(ErrorCode.NO_EXISTS, `Error getting group [${id}].`, id);

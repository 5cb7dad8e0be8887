// oned's ACL rules (AclRule / AclManager): who may do what on which objects.
// A rule is three 64-bit masks, as oned stores and serves them (one.acl.info):
// USER (#uid, @gid or *), RESOURCE (object types + #oid, @gid, %cluster or *),
// RIGHTS (USE 1, MANAGE 2, ADMIN 4, CREATE 8), ZONE (#zone or *). Only the
// checks oneha meets are modelled: USE of a host, for one.host.info and the
// rows one.hostpool.info lists. Masks are BigInt: they need more than 53 bits.

const INDIVIDUAL = 0x100000000n;
const GROUP = 0x200000000n;
const ALL = 0x400000000n;
const CLUSTER = 0x800000000n;
const ID_MASK = 0xffffffffn;

/** PoolObjectSQL::ObjectType bits, as in `oneacl list`'s resource letters. */
export const ACL_OBJECT = {
  VM: 0x1000000000n, HOST: 0x2000000000n, NET: 0x4000000000n, IMAGE: 0x8000000000n, USER: 0x10000000000n,
  TEMPLATE: 0x20000000000n, GROUP: 0x40000000000n, DATASTORE: 0x100000000000n, CLUSTER: 0x200000000000n,
  DOCUMENT: 0x400000000000n, ZONE: 0x800000000000n, SECGROUP: 0x1000000000000n, VDC: 0x2000000000000n,
  VROUTER: 0x4000000000000n, MARKETPLACE: 0x8000000000000n, MARKETPLACEAPP: 0x10000000000000n,
  VMGROUP: 0x20000000000000n, VNTEMPLATE: 0x40000000000000n, HOOK: 0x80000000000000n, BACKUPJOB: 0x100000000000000n,
} as const;
export const ACL_RIGHT = { USE: 1n, MANAGE: 2n, ADMIN: 4n, CREATE: 8n } as const;

export interface AclRule { id: number; user: bigint; resource: bigint; rights: bigint; zone: bigint }

/**
 * The rules a fresh oned bootstraps (read from a real oned 7.5 database):
 * group "users" may create VMs and friends, MANAGE (deploy on) every host and
 * USE networks and datastores; everyone may USE zones and marketplaces. No
 * rule lets a non-administrator USE a host: `onehost list` shows them nothing.
 */
export const ONED_DEFAULT_ACLS = [
  '@1 VM+IMAGE+TEMPLATE+DOCUMENT+SECGROUP+VMGROUP+BACKUPJOB/* CREATE *',
  '* ZONE/* USE *',
  '* MARKETPLACE+MARKETPLACEAPP/* USE *',
  '@1 HOST/* MANAGE #0',
  '@1 NET/* USE #0',
  '@1 DATASTORE/* USE #0',
];

function idDef(s: string, allowed: string, what: string): bigint {
  if (s === '*' && allowed.includes('*')) return ALL;
  const m = /^([#@%])(\d+)$/.exec(s);
  if (!m || !allowed.includes(m[1])) throw new Error(`ACL ${what} "${s}": expected one of ${allowed.split('').map((c) => (c === '*' ? '*' : `${c}<id>`)).join(', ')}`);
  return ({ '#': INDIVIDUAL, '@': GROUP, '%': CLUSTER } as Record<string, bigint>)[m[1]] | BigInt(m[2]);
}

/** `oneacl create`'s string form: "@1 HOST/%100 USE+MANAGE [#0]" (zone default #0). */
export function parseAclString(text: string): Omit<AclRule, 'id'> {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 3 || parts.length > 4) throw new Error(`ACL "${text}": expected "USER RESOURCE[+RESOURCE]/ID RIGHT[+RIGHT] [ZONE]"`);
  const [user, res, rights, zone = '#0'] = parts;
  const slash = res.lastIndexOf('/');
  if (slash < 0) throw new Error(`ACL "${text}": the resource needs "/<id definition>"`);
  let resource = idDef(res.slice(slash + 1), '#@%*', 'resource id');
  for (const t of res.slice(0, slash).split('+')) {
    const bit = (ACL_OBJECT as Record<string, bigint>)[t.toUpperCase()];
    if (bit === undefined) throw new Error(`ACL "${text}": unknown resource type ${t}`);
    resource |= bit;
  }
  let r = 0n;
  for (const t of rights.split('+')) {
    const bit = (ACL_RIGHT as Record<string, bigint>)[t.toUpperCase()];
    if (bit === undefined) throw new Error(`ACL "${text}": unknown right ${t}`);
    r |= bit;
  }
  return { user: idDef(user, '#@*', 'user'), resource, rights: r, zone: idDef(zone, '#*', 'zone') };
}

function idString(v: bigint): string {
  if (v & ALL) return '*';
  const prefix = v & INDIVIDUAL ? '#' : v & GROUP ? '@' : v & CLUSTER ? '%' : '?';
  return `${prefix}${v & ID_MASK}`;
}

/** AclRule::to_str: the string `oneacl list` and one.acl.info's STRING show. */
export function aclString(r: AclRule): string {
  const types = Object.entries(ACL_OBJECT).filter(([, bit]) => r.resource & bit).map(([n]) => n).join('+');
  const rights = Object.entries(ACL_RIGHT).filter(([, bit]) => r.rights & bit).map(([n]) => n).join('+');
  return `${idString(r.user)} ${types}/${idString(r.resource)} ${rights} ${idString(r.zone)}`;
}

/** AclRule::malformed, for the masks one.acl.addrule takes (hex strings). */
export function aclFromHex(user: string, resource: string, rights: string, zone: string): Omit<AclRule, 'id'> {
  const hex = (s: string, what: string) => {
    if (!/^(0x)?[0-9a-f]+$/i.test(s.trim())) throw new Error(`Error parsing rule: ${what} "${s}" is not a hexadecimal number`);
    return BigInt(s.trim().startsWith('0x') ? s.trim() : `0x${s.trim()}`);
  };
  const r = { user: hex(user, 'user'), resource: hex(resource, 'resource'), rights: hex(rights, 'rights'), zone: zone === '' ? INDIVIDUAL : hex(zone, 'zone') };
  const kinds = (v: bigint, bits: bigint[]) => bits.filter((b) => v & b).length;
  if (kinds(r.user, [INDIVIDUAL, GROUP, ALL]) !== 1) throw new Error('Rule is malformed: wrong [user] field');
  if (kinds(r.resource, [INDIVIDUAL, GROUP, ALL, CLUSTER]) !== 1) throw new Error('Rule is malformed: wrong [resource] id definition');
  if (!(r.resource & ~(INDIVIDUAL | GROUP | ALL | CLUSTER | ID_MASK))) throw new Error('Rule is malformed: [resource] needs at least one object type');
  if (!r.rights || r.rights & ~0xfn) throw new Error('Rule is malformed: wrong [rights]');
  return r;
}

/** What a rule is checked against: the caller and the object (as PoolObjectAuth has it). */
export interface AclRequest {
  uid: number;
  groups: number[];
  type: keyof typeof ACL_OBJECT;
  oid: number;
  gid: number;
  cid?: number;
  right: keyof typeof ACL_RIGHT;
  zone?: number;
}

/** AclManager::authorize's rule match (the object's owner/group/other bits are the caller's business). */
export function aclGrants(rules: Iterable<AclRule>, q: AclRequest): boolean {
  const type = ACL_OBJECT[q.type];
  const right = ACL_RIGHT[q.right];
  const zone = BigInt(q.zone ?? 0);
  for (const r of rules) {
    const userOk = r.user === ALL || r.user === (INDIVIDUAL | BigInt(q.uid)) || q.groups.some((g) => r.user === (GROUP | BigInt(g)));
    if (!userOk || (r.rights & right) !== right || !(r.resource & type)) continue;
    if (!(r.zone & ALL) && r.zone !== (INDIVIDUAL | zone)) continue;
    const id = r.resource & ID_MASK;
    const objOk = (r.resource & ALL) !== 0n
      || ((r.resource & INDIVIDUAL) !== 0n && id === BigInt(q.oid))
      || ((r.resource & GROUP) !== 0n && id === BigInt(q.gid))
      || ((r.resource & CLUSTER) !== 0n && q.cid !== undefined && id === BigInt(q.cid));
    if (objOk) return true;
  }
  return false;
}

const hex = (v: bigint) => v.toString(16);
/** One ACL of one.acl.info's ACL_POOL (xsd/acl_pool.xsd); masks in lower-case hex as oned writes them. */
export function aclXml(r: AclRule): string {
  return `<ACL><ID>${r.id}</ID><USER>${hex(r.user)}</USER><RESOURCE>${hex(r.resource)}</RESOURCE><RIGHTS>${hex(r.rights)}</RIGHTS><ZONE>${hex(r.zone)}</ZONE><STRING>${aclString(r)}</STRING></ACL>`;
}

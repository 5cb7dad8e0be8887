// The runner's side of the Sunstone plugin: single sign-on with an oned login
// token (one.user.login as the Sunstone user), the X-OneHA-Session header
// instead of a cookie, CORS only for configured FireEdge origins, and the
// settings check whose template the plugin writes through FireEdge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness';

const FIREEDGE = 'http://sunstone.example:2616';
let t: Harness;

beforeAll(async () => {
  t = await startHarness(undefined, { plugin: { allowedOrigins: [FIREEDGE] } });
});
afterAll(async () => {
  await t?.close();
});

/** What FireEdge's POST /fireedge/api/user/login does for the signed-in user. */
async function onedToken(user: string, password: string): Promise<string> {
  const token = await t.runner.ctx.one.as(`${user}:${password}`).call<string>('one.user.login', user, '', 300, -1);
  return String(token);
}

describe('single sign-on from Sunstone', () => {
  it('signs in with an oned login token and gives the session id to a configured FireEdge origin only', async () => {
    const token = await onedToken('viewer', 'viewer');
    const r = await t.req('POST', '/v1/session', { body: { username: 'viewer', password: token }, headers: { origin: FIREEDGE } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ user: { id: 1, name: 'viewer' }, admin: false });
    expect(r.json.session).toMatch(/^[\w-]{40,}$/);
    expect(r.headers.get('access-control-allow-origin')).toBe(FIREEDGE);
    // the session works from the header alone (no cookie), read-only for viewer
    const hosts = await t.req('GET', '/v1/hosts', { headers: { origin: FIREEDGE, 'x-oneha-session': r.json.session } });
    expect(hosts.status).toBe(200);
    const write = await t.req('PUT', '/v1/hosts/0/credentials', { body: { password: 'x' }, headers: { origin: FIREEDGE, 'x-oneha-session': r.json.session, 'x-csrf-token': r.json.csrf } });
    expect(write.status).toBe(403);
    // the runner's own page (no Origin from elsewhere) never sees the id: its cookie is httpOnly
    const own = await t.req('POST', '/v1/session', { body: { username: 'viewer', password: await onedToken('viewer', 'viewer') } });
    expect(own.json.session).toBeUndefined();
  });

  it('a wrong or expired token is refused like a wrong password', async () => {
    const r = await t.req('POST', '/v1/session', { body: { username: 'oneadmin', password: 'f'.repeat(64) }, headers: { origin: FIREEDGE } });
    expect(r.status).toBe(401);
  });

  it('answers CORS preflights for configured origins only, and refuses a header session from elsewhere', async () => {
    const pre = (origin: string) => t.req('OPTIONS', '/v1/hosts/0/settings/check', { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-oneha-session, x-csrf-token' } });
    const ok = await pre(FIREEDGE);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-headers')).toContain('x-oneha-session');
    const evil = await pre('https://evil.example');
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const s = await t.req('POST', '/v1/session', { body: { username: 'oneadmin', password: await onedToken('oneadmin', 'oneadmin') }, headers: { origin: FIREEDGE } });
    const forged = await t.req('POST', '/v1/hosts/0/fence-test', { headers: { origin: 'https://evil.example', 'x-oneha-session': s.json.session, 'x-csrf-token': s.json.csrf } });
    expect(forged.status).toBe(403);
  });
});

describe('POST /v1/hosts/:id/settings/check', () => {
  it('answers the attributes and template a change writes, and writes nothing', async () => {
    const before = t.hostUpdates().length;
    const r = await t.req('POST', '/v1/hosts/0/settings/check', { bearer: true, body: { ha: false, fenceIp: '10.9.9.9', pause: null } });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ attributes: { ONEHA_HA: 'NO', ONEHA_PAUSE: '', FENCE_IP: '10.9.9.9' }, template: 'ONEHA_HA = "NO"\nONEHA_PAUSE = ""\nFENCE_IP = "10.9.9.9"\n' });
    expect(t.hostUpdates().length).toBe(before);
  });

  it('refuses what PUT would refuse, naming the field', async () => {
    for (const [body, field] of [[{ fenceIp: '300.1.2.3' }, 'fenceIp'], [{ fenceAgent: 'fence_nosuch' }, 'fenceAgent'], [{ fenceOptions: { password: 'x' } }, 'fenceOptions']] as const) {
      const r = await t.req('POST', '/v1/hosts/1/settings/check', { bearer: true, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.details[0].path[0]).toBe(field);
    }
    expect((await t.req('POST', '/v1/hosts/99/settings/check', { bearer: true, body: { ha: true } })).status).toBe(404);
  });
});

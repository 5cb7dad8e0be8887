// Admin-console sign-in against a real simulated oned: the credentials are
// checked with one.user.info(-1) as that user, a session cookie is issued,
// writes need an administrator and the CSRF header.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness';

let t: Harness;
beforeAll(async () => {
  t = await startHarness();
});
afterAll(async () => {
  await t?.close();
});

describe('POST /v1/session', () => {
  it('signs in an administrator: httpOnly SameSite=Strict cookie, admin flag, CSRF token, no password kept', async () => {
    t.sim.resetCalls();
    const r = await t.req('POST', '/v1/session', { body: { username: 'oneadmin', password: 'oneadmin' } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ user: { id: 0, name: 'oneadmin' }, admin: true });
    expect(r.json.csrf).toMatch(/^[\w-]{20,}$/);
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^oneha_session=[\w-]{40,};/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).toMatch(/Max-Age=3600/);
    expect(cookie).not.toMatch(/Secure/i); // plain http
    expect(r.text).not.toContain('oneadmin:');
    // Checked exactly as FireEdge does: one.user.info(-1) as that user.
    expect(t.sim.calls.map((c) => `${c.method}(${c.params.slice(1).join(',')})`)).toEqual(['one.user.info(-1)']);
    expect(t.logs.join('')).not.toMatch(/"password"|oneadmin:oneadmin/);
  });

  it('marks the cookie Secure behind an https proxy', async () => {
    const r = await t.req('POST', '/v1/session', { body: { username: 'oneadmin', password: 'oneadmin' }, headers: { 'x-forwarded-proto': 'https' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('set-cookie')).toMatch(/Secure/i);
  });

  it('a user in group 0 as a secondary group is an administrator; others are read-only', async () => {
    expect((await t.signIn('ops', 'ops-pw')).admin).toBe(true);
    expect((await t.signIn('viewer', 'viewer')).admin).toBe(false);
  });

  it('wrong credentials: 401 with a plain message and no cookie', async () => {
    const r = await t.req('POST', '/v1/session', { body: { username: 'oneadmin', password: 'nope' } });
    expect(r.status).toBe(401);
    expect(r.json.error).toEqual({ code: 'bad-credentials', message: 'Wrong user name or password.' });
    expect(r.headers.get('set-cookie')).toBeNull();
    const unknown = await t.req('POST', '/v1/session', { body: { username: 'nobody', password: 'x' } });
    expect(unknown.status).toBe(401);
  });

  it('malformed sign-in bodies are refused before oned is asked', async () => {
    t.sim.resetCalls();
    expect((await t.req('POST', '/v1/session', { body: { username: 'a:b', password: 'x' } })).status).toBe(400);
    expect((await t.req('POST', '/v1/session', { body: { username: 'oneadmin' } })).status).toBe(400);
    expect((await t.req('POST', '/v1/session', { body: 'not json' })).status).toBe(400);
    expect(t.sim.calls).toEqual([]);
  });

  it('oned down: 502 with a plain message', async () => {
    await t.sim.down();
    try {
      const r = await t.req('POST', '/v1/session', { body: { username: 'oneadmin', password: 'oneadmin' } });
      expect(r.status).toBe(502);
      expect(r.json.error.code).toBe('oned-unreachable');
      expect(r.json.error.message).toMatch(/OpenNebula \(oned at .*\) could not check the sign-in: .*connection refused/);
      expect(r.headers.get('set-cookie')).toBeNull();
    } finally {
      await t.sim.up();
    }
  });
});

describe('GET and DELETE /v1/session', () => {
  it('tells the current user, then signs out', async () => {
    const s = await t.signIn('viewer', 'viewer');
    const me = await t.req('GET', '/v1/session', { cookie: s.cookie });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ user: { id: 1, name: 'viewer' }, admin: false, csrf: s.csrf });
    expect((await t.req('GET', '/v1/hosts', { cookie: s.cookie })).status).toBe(200);
    const out = await t.req('DELETE', '/v1/session', { cookie: s.cookie, csrf: s.csrf });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/oneha_session=;.*Max-Age=0/);
    expect((await t.req('GET', '/v1/session', { cookie: s.cookie })).status).toBe(401);
    expect((await t.req('GET', '/v1/hosts', { cookie: s.cookie })).status).toBe(401);
  });

  it('no cookie or a made-up one: 401', async () => {
    expect((await t.req('GET', '/v1/session')).status).toBe(401);
    expect((await t.req('GET', '/v1/session', { cookie: 'oneha_session=forged' })).status).toBe(401);
    expect((await t.req('GET', '/v1/recoveries', { cookie: 'oneha_session=forged' })).status).toBe(401);
  });

  it('a new sign-in replaces the session it was sent with (no fixation)', async () => {
    const a = await t.signIn('oneadmin', 'oneadmin');
    const r = await t.req('POST', '/v1/session', { body: { username: 'oneadmin', password: 'oneadmin' }, cookie: a.cookie });
    expect(r.status).toBe(200);
    expect((await t.req('GET', '/v1/session', { cookie: a.cookie })).status).toBe(401);
  });
});

describe('writes from a user session', () => {
  it('a non-administrator gets 403 on every write, reads work', async () => {
    const v = await t.signIn('viewer', 'viewer');
    const writes: Array<[string, string, unknown?]> = [
      ['PUT', '/v1/hosts/0/settings', { ha: false }],
      ['PUT', '/v1/hosts/0/credentials', { username: 'u', password: 'p' }],
      ['DELETE', '/v1/hosts/0/credentials'],
      ['POST', '/v1/hosts/0/fence-test'],
      ['POST', '/v1/recoveries/x/release'],
      ['POST', '/v1/disarm', { minutes: 5 }],
    ];
    t.sim.resetCalls();
    for (const [m, p, body] of writes) {
      const r = await t.req(m, p, { cookie: v.cookie, csrf: v.csrf, body });
      expect(r.status, `${m} ${p}`).toBe(403);
      expect(r.json.error.code).toBe('forbidden');
    }
    expect(t.hostUpdates()).toEqual([]);
    expect((await t.req('GET', '/v1/hosts', { cookie: v.cookie })).status).toBe(200);
    expect((await t.req('GET', '/v1/fence/agents', { cookie: v.cookie })).status).toBe(200);
  });

  it('an administrator needs the X-CSRF-Token header matching the session', async () => {
    const a = await t.signIn('oneadmin', 'oneadmin');
    t.sim.resetCalls();
    const none = await t.req('PUT', '/v1/hosts/0/settings', { cookie: a.cookie, body: { ha: false } });
    expect(none.status).toBe(403);
    expect(none.json.error.code).toBe('csrf');
    const wrong = await t.req('PUT', '/v1/hosts/0/settings', { cookie: a.cookie, csrf: 'x'.repeat(32), body: { ha: false } });
    expect(wrong.status).toBe(403);
    expect(t.hostUpdates()).toEqual([]);
    const ok = await t.req('PUT', '/v1/hosts/0/settings', { cookie: a.cookie, csrf: a.csrf, body: { ha: false } });
    expect(ok.status).toBe(200);
    expect(t.hostUpdates()).toHaveLength(1);
  });

  it('the bearer token needs no CSRF header (scripts, the CLI)', async () => {
    const r = await t.req('PUT', '/v1/hosts/0/settings', { bearer: true, body: { ha: true } });
    expect(r.status).toBe(200);
    expect(r.json.ha).toEqual({ value: true, source: 'host' });
  });
});

// The hosts API behind the admin console, against a real simulated oned:
// the list (one hostpool call, inherited vs overridden), merge-mode writes
// that keep every other attribute, validation that writes nothing, and
// credentials that never come back out.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario } from '../../sim/scenario';
import { startHarness, USERS, USERS_SEE_HOSTS, type Harness } from './harness';

let t: Harness;
let admin: { cookie: string; csrf: string };
const put = (path: string, body: unknown) => t.req('PUT', path, { cookie: admin.cookie, csrf: admin.csrf, body });

beforeAll(async () => {
  t = await startHarness();
  admin = await t.signIn('oneadmin', 'oneadmin');
});
afterAll(async () => {
  await t?.close();
});

describe('GET /v1/hosts', () => {
  it('lists every host with state, VMs, HA settings and where each comes from, from one hostpool call', async () => {
    t.sim.resetCalls();
    const r = await t.req('GET', '/v1/hosts', { cookie: admin.cookie });
    expect(r.status).toBe(200);
    expect(t.sim.calls.map((c) => c.method)).toEqual(['one.hostpool.info']);
    expect(r.json.total).toBe(3);
    expect(r.json.defaults).toEqual({ mode: 'migrate', pause: 2, force: false, fencing: true });
    const [h0, h1, h2] = [...r.json.hosts].sort((a: { id: number }, b: { id: number }) => a.id - b.id); // oned lists pools newest first
    expect(h0).toMatchObject({
      id: 0, name: 'kvm-node-01', cluster: 'default', state: 2, stateName: 'MONITORED', vms: 2,
      ha: { value: true, source: 'default' }, mode: { value: 'migrate', source: 'default' },
      pause: { value: 2, source: 'default' }, fencing: { value: true, source: 'default' },
      fence: { ip: '10.0.0.1', agent: null, options: null, optionsInvalid: false, methods: [{ kind: 'command', command: '/usr/local/bin/fence_host.sh' }] },
      credentials: { host: null, default: null }, lastFenceTest: null, recovery: null, problems: [],
    });
    expect(h1.mode).toEqual({ value: 'recreate', source: 'host' });
    expect(h1.fence).toEqual({
      ip: '10.0.0.2', agent: 'fence_ipmilan', options: { lanplus: '1', cipher: '3' }, optionsInvalid: false,
      methods: [
        { kind: 'agent', agent: 'fence_ipmilan', options: { lanplus: '1', cipher: '3', ip: '10.0.0.2' } },
        { kind: 'command', command: '/usr/local/bin/fence_host.sh' },
      ],
    });
    expect(h2).toMatchObject({ state: 3, stateName: 'ERROR', vms: 0 });
  });

  it('GET /v1/hosts/:id answers one host, 404 for an unknown one', async () => {
    expect((await t.req('GET', '/v1/hosts/1', { cookie: admin.cookie })).json).toMatchObject({ id: 1, name: 'kvm-node-02' });
    expect((await t.req('GET', '/v1/hosts/99', { cookie: admin.cookie })).status).toBe(404);
    expect((await t.req('GET', '/v1/hosts/abc', { cookie: admin.cookie })).status).toBe(400);
  });

  it('needs a session or the token', async () => {
    expect((await t.req('GET', '/v1/hosts')).status).toBe(401);
    expect((await t.req('GET', '/v1/hosts', { bearer: true })).status).toBe(200);
  });

  it('GET /v1/fence/agents lists the executable fence_* of fence.agentDir', async () => {
    const r = await t.req('GET', '/v1/fence/agents', { cookie: admin.cookie });
    expect(r.json.agents).toEqual(['fence_idrac', 'fence_ipmilan', 'fence_redfish']);
  });
});

describe('PUT /v1/hosts/:id/settings', () => {
  it('writes only the touched attributes in merge mode: an unrelated attribute survives', async () => {
    await t.runner.ctx.one.hostUpdate(0, 'SUNSTONE_NOTE = "rack 4, slot 2"\nRESERVED_CPU = "100"', true);
    t.sim.resetCalls();
    const r = await put('/v1/hosts/0/settings', { ha: false, fenceIp: '192.0.2.10', mode: 'recreate', pause: 5, fencing: true });
    expect(r.status).toBe(200);
    const updates = t.hostUpdates();
    expect(updates).toHaveLength(1);
    const [, id, text, type] = updates[0].params as [string, number, string, number];
    expect(id).toBe(0);
    expect(type).toBe(1); // merge
    expect(text.trim().split('\n').sort()).toEqual(['FENCE_IP = "192.0.2.10"', 'ONEHA_FENCING = "YES"', 'ONEHA_HA = "NO"', 'ONEHA_MODE = "recreate"', 'ONEHA_PAUSE = "5"']);
    const tpl = await t.template(0);
    expect(tpl).toMatchObject({ ONEHA_HA: 'NO', FENCE_IP: '192.0.2.10', ONEHA_MODE: 'recreate', ONEHA_PAUSE: '5', ONEHA_FENCING: 'YES', SUNSTONE_NOTE: 'rack 4, slot 2', RESERVED_CPU: '100' });
    expect(r.json).toMatchObject({ id: 0, ha: { value: false, source: 'host' }, mode: { value: 'recreate', source: 'host' }, pause: { value: 5, source: 'host' }, fence: { ip: '192.0.2.10' } });
    const audit = t.logs.map((l) => JSON.parse(l)).find((l) => l.audit === 'settings');
    expect(audit).toMatchObject({ user: 'oneadmin', outcome: 'ok', hostId: 0, changed: { ONEHA_HA: 'NO', FENCE_IP: '192.0.2.10' } });
  });

  it('null goes back to inheriting: the attribute is emptied (merge semantics), the rest stays', async () => {
    const r = await put('/v1/hosts/0/settings', { mode: null, pause: null, fencing: null });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ mode: { value: 'migrate', source: 'default' }, pause: { value: 2, source: 'default' }, fencing: { value: true, source: 'default' } });
    const tpl = await t.template(0);
    expect(tpl).toMatchObject({ ONEHA_MODE: '', ONEHA_PAUSE: '', ONEHA_FENCING: '', ONEHA_HA: 'NO', SUNSTONE_NOTE: 'rack 4, slot 2' });
  });

  it('two concurrent edits of different attributes both survive (and an admin\'s Sunstone edit in between)', async () => {
    const [a, b] = await Promise.all([
      put('/v1/hosts/1/settings', { fenceIp: 'bmc-node-02.example.org' }),
      put('/v1/hosts/1/settings', { ha: false }),
      t.runner.ctx.one.hostUpdate(1, 'RESERVED_MEM = "2048"', true),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await t.template(1)).toMatchObject({
      FENCE_IP: 'bmc-node-02.example.org', ONEHA_HA: 'NO', RESERVED_MEM: '2048',
      ONEHA_FENCE_AGENT: 'fence_ipmilan', ONEHA_FENCE_OPTIONS: 'lanplus=1 cipher=3', ONEHA_MODE: 'recreate',
    });
  });

  it('sets the fence agent and its options; secret options are refused', async () => {
    const r = await put('/v1/hosts/0/settings', { fenceAgent: 'fence_redfish', fenceOptions: { ipport: '8443', ssl_insecure: '1' } });
    expect(r.status).toBe(200);
    expect(r.json.fence.methods[0]).toEqual({ kind: 'agent', agent: 'fence_redfish', options: { ipport: '8443', ssl_insecure: '1', ip: '192.0.2.10' } });
    expect(await t.template(0)).toMatchObject({ ONEHA_FENCE_AGENT: 'fence_redfish', ONEHA_FENCE_OPTIONS: 'ipport=8443 ssl_insecure=1' });
    t.sim.resetCalls();
    const secret = await put('/v1/hosts/0/settings', { fenceOptions: { password: 'hunter2' } });
    expect(secret.status).toBe(400);
    expect(secret.json.error.details[0].path).toEqual(['fenceOptions', 'password']);
    expect(secret.text).not.toContain('hunter2');
    expect(t.hostUpdates()).toEqual([]);
  });

  it('invalid FENCE_IP: 400 naming the field, nothing written', async () => {
    const before = await t.template(0);
    t.sim.resetCalls();
    for (const fenceIp of ['999.1.1.1', 'not a host', '10.0.0', '-bad-.example']) {
      const r = await put('/v1/hosts/0/settings', { fenceIp, ha: true });
      expect(r.status, fenceIp).toBe(400);
      expect(r.json.error.code).toBe('invalid-body');
      expect(r.json.error.details).toEqual([expect.objectContaining({ path: ['fenceIp'], message: 'not an IP address or host name' })]);
    }
    expect(t.sim.calls.filter((c) => c.method === 'one.host.update')).toEqual([]);
    expect(await t.template(0)).toEqual(before);
  });

  it('other refusals write nothing: an agent that is not installed, unknown keys, an empty change, an unknown host', async () => {
    t.sim.resetCalls();
    const agent = await put('/v1/hosts/0/settings', { fenceAgent: 'fence_nonexistent' });
    expect(agent.status).toBe(400);
    expect(agent.json.error.details[0].path).toEqual(['fenceAgent']);
    expect(agent.json.error.message).toMatch(/not installed/);
    expect((await put('/v1/hosts/0/settings', { ha: 'yes' })).status).toBe(400);
    expect((await put('/v1/hosts/0/settings', { mode: 'evacuate' })).status).toBe(400);
    expect((await put('/v1/hosts/0/settings', { pause: -1 })).status).toBe(400);
    expect((await put('/v1/hosts/0/settings', { template: 'ONEHA_HA = NO' })).status).toBe(400);
    expect((await put('/v1/hosts/0/settings', {})).status).toBe(400);
    expect(t.hostUpdates()).toEqual([]);
    expect((await put('/v1/hosts/42/settings', { ha: false })).status).toBe(404);
    expect(t.hostUpdates()).toEqual([]);
  });

  it('a change that would leave fencing unusable is refused (options with no agent)', async () => {
    const clearAgent = await put('/v1/hosts/0/settings', { fenceAgent: null });
    expect(clearAgent.status).toBe(400);
    expect(clearAgent.json.error.details[0].path[0]).toMatch(/fenceAgent|fenceOptions/);
    const both = await put('/v1/hosts/0/settings', { fenceAgent: null, fenceOptions: null });
    expect(both.status).toBe(200);
    expect(both.json.fence).toMatchObject({ agent: null, options: null, methods: [{ kind: 'command' }] });
  });
});

describe('settings already broken on the template', () => {
  it('are reported without echoing them, and a write replaces them', async () => {
    await t.runner.ctx.one.hostUpdate(2, 'ONEHA_FENCE_AGENT = "fence_ipmilan"\nONEHA_FENCE_OPTIONS = "lanplus=1 passwd=leaked-pw"\nONEHA_MODE = "sideways"', true);
    const r = await t.req('GET', '/v1/hosts/2', { cookie: admin.cookie });
    expect(r.json.fence).toMatchObject({ agent: 'fence_ipmilan', options: null, optionsInvalid: true, methods: [] });
    expect(r.json.problems).toEqual(expect.arrayContaining([expect.stringMatching(/ONEHA_MODE = "sideways" is not valid/), expect.stringMatching(/ONEHA_FENCE_OPTIONS.*"passwd" carries a secret/)]));
    expect(r.text).not.toContain('leaked-pw');
    // An unrelated change is not blocked by the broken attribute it does not touch.
    expect((await put('/v1/hosts/2/settings', { ha: true })).status).toBe(200);
    const fixed = await put('/v1/hosts/2/settings', { fenceOptions: { lanplus: '1' }, mode: null });
    expect(fixed.status).toBe(200);
    expect(fixed.json).toMatchObject({ problems: [], fence: { options: { lanplus: '1' }, optionsInvalid: false } });
  });
});

describe('BMC credentials', () => {
  const PASSWORD = 'Very-S3cret-BMC-pw';
  it('are write-only: set, described as booleans, never returned or logged', async () => {
    const r = await put('/v1/hosts/1/credentials', { username: 'ipmiadmin', password: PASSWORD });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ usernameSet: true, passwordSet: true });
    expect(statSync(join(t.dir, 'secrets.json')).mode & 0o777).toBe(0o600);
    const list = await t.req('GET', '/v1/hosts', { cookie: admin.cookie });
    expect(list.json.hosts[1].credentials).toEqual({ host: { usernameSet: true, passwordSet: true }, default: null });
    const one = await t.req('GET', '/v1/hosts/1', { cookie: admin.cookie });
    const doc = await t.req('GET', '/v1/openapi.json');
    for (const body of [r.text, list.text, one.text, doc.text]) {
      expect(body).not.toContain(PASSWORD);
      expect(body).not.toContain('ipmiadmin');
    }
    expect(t.logs.join('')).not.toContain(PASSWORD);
    expect(t.runner.ctx.secrets.get('host:1')).toEqual({ username: 'ipmiadmin', password: PASSWORD });
  });

  it('a password is required; unknown fields are refused', async () => {
    expect((await put('/v1/hosts/1/credentials', { username: 'x' })).status).toBe(400);
    expect((await put('/v1/hosts/1/credentials', { password: 'x', secretRef: 'default' })).status).toBe(400);
  });

  it('DELETE removes them and answers booleans', async () => {
    const r = await t.req('DELETE', '/v1/hosts/1/credentials', { cookie: admin.cookie, csrf: admin.csrf });
    expect(r.json).toEqual({ usernameSet: false, passwordSet: false });
    expect(t.runner.ctx.secrets.has('host:1')).toBe(false);
  });

  it('a secret file that cannot be read: 409 secret-store, through the one error mapping, nothing written', async () => {
    const file = join(t.dir, 'secrets.json');
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, '{ not json');
    try {
      const r = await put('/v1/hosts/1/credentials', { password: PASSWORD });
      expect(r.status).toBe(409);
      expect(r.json.error).toMatchObject({ code: 'secret-store', message: expect.stringMatching(/not valid JSON/) });
      expect(readFileSync(file, 'utf8')).toBe('{ not json');
    } finally {
      writeFileSync(file, before);
    }
  });
});

describe('2,500 hosts', () => {
  it('GET /v1/hosts makes one hostpool call, shared by concurrent requests', async () => {
    // The runner's clock stands still from the first request, so "a moment later" is within the pool's TTL however slow the machine.
    let heldAt: number | undefined;
    const clock = { now: () => heldAt ?? Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
    const big = await startHarness({ ...generateScenario({ hosts: 2500, vmsPerHost: 2, hostTemplate: { ONEHA_FENCE_AGENT: 'fence_ipmilan', ONEHA_FENCE_OPTIONS: 'lanplus=1' } }), users: USERS, acls: USERS_SEE_HOSTS }, { one: { timeoutMs: 60_000 } }, clock); // a 2,500-host pool on a busy machine can take more than the harness's 5 s
    // Only hostpool calls count: a sign-in's own calls may land late on a busy machine.
    const poolCalls = () => big.sim.calls.filter((c) => c.method === 'one.hostpool.info').length;
    try {
      const s = await big.signIn('viewer', 'viewer');
      big.sim.resetCalls();
      heldAt = Date.now();
      const t0 = performance.now();
      // Two consoles asking at once share one hostpool call.
      const [r, r2] = await Promise.all([big.req('GET', '/v1/hosts', { cookie: s.cookie }), big.req('GET', '/v1/hosts', { cookie: s.cookie })]);
      const ms = performance.now() - t0;
      const onedMs = big.sim.calls[0]?.durationMs ?? 0;
      console.log(`GET /v1/hosts with 2,500 hosts: ${ms.toFixed(0)} ms (simulated oned ${onedMs.toFixed(0)} ms), ${(r.text.length / 1024).toFixed(0)} KiB of JSON`);
      expect(r.json.hosts, r.text.slice(0, 500)).toHaveLength(2500);
      expect(r2.json.hosts).toHaveLength(2500);
      expect(poolCalls(), JSON.stringify(big.sim.calls.map((c) => c.method))).toBe(1);
      // A moment later the same reply still serves; a settings write drops it.
      await big.req('GET', '/v1/hosts', { cookie: s.cookie });
      expect(poolCalls(), JSON.stringify(big.sim.calls.map((c) => c.method))).toBe(1);
      const a = await big.signIn('oneadmin', 'oneadmin');
      expect((await big.req('PUT', '/v1/hosts/7/settings', { cookie: a.cookie, csrf: a.csrf, body: { ha: false } })).status).toBe(200);
      const after = await big.req('GET', '/v1/hosts', { cookie: s.cookie });
      expect(after.json.hosts.find((h: { id: number }) => h.id === 7).ha).toEqual({ value: false, source: 'host' });
    } finally {
      await big.close();
    }
  }, 120_000); // 2,500 hosts on a machine that may be very busy
});

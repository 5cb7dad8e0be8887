// Each attack of issue 12 ("Lock the doors"), run against a runner with the
// admin-console extensions on a real simulated oned, asserting the refusal.
// docs/security.md names these tests for each of its claims.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAUSE_CYCLES } from '../../model/hookOptions';
import { hookPayload, hostErrorXml } from '../helpers/samples';
import { hostPoolFor } from '../../runner/http/hostPool';
import { resolvedFenceIpProblem } from '../../runner/fence/bmcAddress';
import { SMALL_CLOUD, startHarness, type Harness } from '../plugin/harness';

const userInfoCalls = (t: Harness) => t.sim.calls.filter((c) => c.method === 'one.user.info').length;
const auditLines = (t: Harness, event: string) => t.logs.map((l) => JSON.parse(l)).filter((l) => l.audit === event);
/** A reason an operator reads: no validator glyphs, no JSON, one line, ends like a sentence. */
const isSentence = (s: string) => !/[✖→]|\n|^\s*[[{]/.test(s) && /[.!?)]$/.test(s.trim());
/** Waits for a condition with a deadline (polled with a pause: answers from memory alone would starve the event loop the flows run on). */
const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 60_000) => {
  for (const end = Date.now() + ms; !(await ok()); await new Promise((r) => setTimeout(r, 50))) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
};
/** The hook answers once the payload is durable; the recovery learns its host (and who may see it) just after. */
const recoveryWith = (t: Harness, id: string, what: string, ok: (r: { hostId?: number; status: string }) => boolean) =>
  until(`recovery ${id}: ${what}`, async () => ok((await t.req('GET', `/v1/recoveries/${id}`, { bearer: true })).json));

describe('sign-in throttling and audit', () => {
  let t: Harness;
  // A long back-off, so a slow machine cannot see a lock expire between two requests.
  beforeAll(async () => (t = await startHarness(SMALL_CLOUD, { plugin: { signIn: { freeFailures: 3, baseSeconds: 60, maxSeconds: 3600 } } })));
  afterAll(() => t?.close());

  it('300 wrong passwords for one user: after 3 the rest get 429 + Retry-After and never reach oned', async () => {
    const before = userInfoCalls(t);
    const answers = [];
    // Sequential and parallel bursts: attempts still waiting for oned count too.
    let lockedFrom = 0;
    for (let i = 0; i < 3; i++) {
      lockedFrom = Date.now();
      answers.push(await t.req('POST', '/v1/session', { body: { username: 'oneadmin', password: `guess-${i}` }, source: '127.0.0.2' }));
    }
    answers.push(...await Promise.all(Array.from({ length: 297 }, (_, i) =>
      t.req('POST', '/v1/session', { body: { username: 'oneadmin', password: `guess-${i + 3}` }, source: `127.0.1.${i % 250}` }))));
    expect(answers.slice(0, 3).map((a) => a.status)).toEqual([401, 401, 401]);
    const throttled = answers.slice(3);
    expect(throttled.every((a) => a.status === 429)).toBe(true);
    // The 60 s lock began with the third refusal; a slow machine may have spent some of it since.
    const spent = Math.ceil((Date.now() - lockedFrom) / 1000);
    expect(Number(throttled[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(60 - spent);
    expect(Number(throttled[0].headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(throttled[0].json.error).toMatchObject({ code: 'too-many-attempts' });
    expect(userInfoCalls(t) - before).toBe(3);
    // Even the right password waits out the back-off.
    expect((await t.req('POST', '/v1/session', { body: { username: 'oneadmin', password: 'oneadmin' }, source: '127.0.0.9' })).status).toBe(429);
  });

  it('per source address: many user names guessed from one address are throttled after 3', async () => {
    const before = userInfoCalls(t);
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await t.req('POST', '/v1/session', { body: { username: `nobody${i}`, password: 'x' }, source: '127.0.0.3' })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    expect(userInfoCalls(t) - before).toBe(3);
    // Another address and another user are not affected.
    expect((await t.req('POST', '/v1/session', { body: { username: 'viewer', password: 'viewer' }, source: '127.0.0.4' })).status).toBe(200);
  });

  it('every sign-in gets a structured audit line (who, from where, outcome), never the password', () => {
    const lines = auditLines(t, 'sign-in');
    expect(lines.find((l) => l.outcome === 'refused')).toMatchObject({ user: 'oneadmin', source: '127.0.0.2', component: 'audit' });
    expect(lines.find((l) => l.outcome === 'throttled')).toMatchObject({ user: 'oneadmin', retryAfterSeconds: expect.any(Number) });
    expect(lines.find((l) => l.outcome === 'ok')).toMatchObject({ user: 'viewer', source: '127.0.0.4', admin: false });
    expect(t.logs.join('')).not.toMatch(/guess-\d|"viewer:viewer"|password":"/);
  });
});

describe('writes: Origin, CSRF, audit of refusals, nosniff, /metrics token', () => {
  let t: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oneha-sec-'));
    writeFileSync(join(dir, 'metrics-token'), 'metrics-token-0123456789\n');
    t = await startHarness(SMALL_CLOUD, { metrics: { tokenFile: join(dir, 'metrics-token') }, plugin: { allowedOrigins: ['https://sunstone.test'] } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a cross-site Origin with a valid session and CSRF token is refused (403) and nothing is written', async () => {
    const s = await t.signIn('oneadmin', 'oneadmin');
    const before = t.hostUpdates().length;
    const evil = await t.req('PUT', '/v1/hosts/0/settings', { cookie: s.cookie, csrf: s.csrf, body: { ha: false }, headers: { origin: 'https://evil.test', host: 'localhost:2720' } });
    expect(evil.status).toBe(403);
    expect(evil.json.error).toMatchObject({ code: 'bad-origin' });
    expect(isSentence(evil.json.error.message)).toBe(true);
    const fetchMeta = await t.req('PUT', '/v1/hosts/0/settings', { cookie: s.cookie, csrf: s.csrf, body: { ha: false }, headers: { 'sec-fetch-site': 'cross-site' } });
    expect(fetchMeta.status).toBe(403);
    expect(t.hostUpdates().length).toBe(before);
    // Same origin (Origin matches Host) and a configured origin may write.
    expect((await t.req('PUT', '/v1/hosts/0/settings', { cookie: s.cookie, csrf: s.csrf, body: { ha: true }, headers: { origin: 'http://localhost:2720', host: 'localhost:2720' } })).status).toBe(200);
    expect((await t.req('PUT', '/v1/hosts/0/settings', { cookie: s.cookie, csrf: s.csrf, body: { ha: true }, headers: { origin: 'https://sunstone.test', host: 'localhost:2720' } })).status).toBe(200);
  });

  it('sign-out needs the CSRF token: a forged sign-out is refused and the session survives', async () => {
    const s = await t.signIn('viewer', 'viewer');
    expect((await t.req('DELETE', '/v1/session', { cookie: s.cookie })).status).toBe(403);
    expect((await t.req('DELETE', '/v1/session', { cookie: s.cookie, csrf: 'wrong' })).status).toBe(403);
    expect((await t.req('GET', '/v1/session', { cookie: s.cookie })).status).toBe(200);
    expect((await t.req('DELETE', '/v1/session', { cookie: s.cookie, csrf: s.csrf })).status).toBe(200);
    expect((await t.req('GET', '/v1/session', { cookie: s.cookie })).status).toBe(401);
  });

  it('refused writes (401/403) each get an audit line with who, what and from where', async () => {
    const s = await t.signIn('viewer', 'viewer');
    await t.req('PUT', '/v1/hosts/1/settings', { cookie: s.cookie, csrf: s.csrf, body: { ha: false }, source: '127.0.0.7' });
    await t.req('POST', '/v1/hooks/host-error', { body: 'x', headers: { authorization: 'Bearer wrong-token' }, source: '127.0.0.8' });
    const refused = auditLines(t, 'refused');
    expect(refused).toEqual(expect.arrayContaining([
      expect.objectContaining({ user: 'viewer', status: 403, code: 'forbidden', method: 'PUT', path: '/v1/hosts/1/settings', source: '127.0.0.7' }),
      expect.objectContaining({ user: 'anonymous', status: 401, code: 'bad-token', path: '/v1/hooks/host-error', source: '127.0.0.8' }),
      expect.objectContaining({ status: 403, code: 'bad-origin' }),
      expect.objectContaining({ status: 403, code: 'csrf', path: '/v1/session' }),
    ]));
  });

  it('settings, credentials, disarm and arm changes are audited without the secret', async () => {
    const s = await t.signIn('oneadmin', 'oneadmin');
    expect((await t.req('PUT', '/v1/hosts/1/credentials', { cookie: s.cookie, csrf: s.csrf, body: { username: 'admin', password: 'bmc-secret-pw' } })).status).toBe(200);
    expect(auditLines(t, 'credentials').at(-1)).toMatchObject({ user: 'oneadmin', hostId: 1, change: 'replaced', outcome: 'ok' });
    expect(auditLines(t, 'settings').length).toBeGreaterThan(0);
    expect(t.logs.join('')).not.toContain('bmc-secret-pw');
    expect((await t.req('POST', '/v1/disarm', { cookie: s.cookie, csrf: s.csrf, body: { hostId: 1, minutes: 5, reason: 'rack work' } })).status).toBe(200);
    expect((await t.req('POST', '/v1/arm', { cookie: s.cookie, csrf: s.csrf, body: { hostId: 1 } })).status).toBe(200);
    expect(auditLines(t, 'disarm').at(-1)).toMatchObject({ user: 'oneadmin', hostId: 1, outcome: 'ok' });
    expect(auditLines(t, 'arm').at(-1)).toMatchObject({ user: 'oneadmin', hostId: 1, outcome: 'ok' });
  });

  it('operator actions (release, confirm-down, replay, fence-test, power-on) each get an audit line: who, what, where, the outcome', async () => {
    const s = await t.signIn('oneadmin', 'oneadmin');
    const post = (path: string, body?: unknown) => t.req('POST', path, { cookie: s.cookie, csrf: s.csrf, body, source: '127.0.0.9' });
    const hook = await t.req('POST', '/v1/hooks/host-error', { bearer: true, body: hookPayload('-m -p 0'), headers: { 'content-type': 'text/plain' } });
    const id = hook.json.recoveryId as string;
    await recoveryWith(t, id, 'its end', (r) => !['received', 'running'].includes(r.status));
    expect((await post(`/v1/recoveries/${id}/replay`, { dryRun: true })).status).toBe(200);
    await post(`/v1/recoveries/${id}/release`);
    await post(`/v1/recoveries/${id}/confirm-down`, { reason: 'power cables pulled, checked on site' });
    await post('/v1/recoveries/no-such-recovery/release');
    await post('/v1/hosts/0/fence-test'); // the harness's agents answer nothing but their metadata: not reachable
    await post('/v1/hosts/0/power-on'); // no fence agent on host 0: refused
    await post('/v1/hosts/1/power-on'); // its agent does not answer: failed
    const where = { user: 'oneadmin', source: '127.0.0.9', method: 'POST' };
    expect(auditLines(t, 'replay').at(-1)).toMatchObject({ ...where, recoveryId: id, outcome: 'ok', status: 200, result: 'dry-run', path: `/v1/recoveries/${id}/replay` });
    expect(auditLines(t, 'release').map((l) => [l.recoveryId, l.outcome, l.status])).toEqual(expect.arrayContaining([[id, 'refused', 409], ['no-such-recovery', 'refused', 404]]));
    expect(auditLines(t, 'confirm-down').at(-1)).toMatchObject({ ...where, recoveryId: id, outcome: 'refused', status: 409 });
    expect(auditLines(t, 'fence-test').at(-1)).toMatchObject({ ...where, hostId: 0, outcome: 'failed', path: '/v1/hosts/0/fence-test' });
    expect(auditLines(t, 'power-on').slice(-2)).toEqual([
      expect.objectContaining({ ...where, hostId: 0, outcome: 'refused', status: 422, code: 'no-agent' }),
      expect.objectContaining({ ...where, hostId: 1, outcome: 'failed' }),
    ]);
    // a refused one by a non-administrator is a 'refused' line (refusals()), not an action line
    const v = await t.signIn('viewer', 'viewer');
    const before = auditLines(t, 'power-on').length;
    expect((await t.req('POST', '/v1/hosts/0/power-on', { cookie: v.cookie, csrf: v.csrf })).status).toBe(403);
    expect(auditLines(t, 'power-on')).toHaveLength(before);
    expect(auditLines(t, 'refused').at(-1)).toMatchObject({ user: 'viewer', path: '/v1/hosts/0/power-on', status: 403 });
  });

  it('every API answer carries X-Content-Type-Options: nosniff (ok, 400, 401, 403, 404, hook, metrics, static)', async () => {
    const s = await t.signIn('viewer', 'viewer');
    const answers = await Promise.all([
      t.req('GET', '/healthz'), t.req('GET', '/v1/status', { bearer: true }), t.req('GET', '/v1/hosts', { cookie: s.cookie }),
      t.req('GET', '/v1/hosts/abc', { cookie: s.cookie }), t.req('GET', '/v1/recoveries'), t.req('PUT', '/v1/hosts/0/settings', { cookie: s.cookie, csrf: s.csrf, body: {} }),
      t.req('GET', '/nope'), t.req('POST', '/v1/hooks/host-error', { bearer: true, body: 'garbage' }), t.req('GET', '/metrics'),
      t.req('GET', '/v1/openapi.json'), t.req('GET', '/plugin/'),
    ]);
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200, 400, 401, 403, 404]));
    for (const a of answers) expect(a.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('/metrics needs its token when config metrics.tokenFile is set', async () => {
    expect((await t.req('GET', '/metrics')).status).toBe(401);
    expect((await t.req('GET', '/metrics', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const ok = await t.req('GET', '/metrics', { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('oneha_hook_events_total');
  });
});

describe('strict hook inputs', () => {
  let t: Harness;
  beforeAll(async () => (t = await startHarness()));
  afterAll(() => t?.close());
  const hook = (body: string) => t.req('POST', '/v1/hooks/host-error', { bearer: true, body, headers: { 'content-type': 'text/plain' } });

  it.each(['-p 9007199254740993', '-p 99999999999999999999999', `-p ${MAX_PAUSE_CYCLES + 1}`, '-p9007199254740993', '--pause=-1', '-p 1e3', '-p 0x10'])(
    '-m %s: 400 naming the flag, with a sentence as the reason, and no recovery started', async (flags) => {
      const r = await hook(hookPayload(`-m ${flags}`));
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('bad-pause');
      expect(r.json.error.message).toMatch(/^(-p|--pause)/);
      expect(r.json.error.message).toContain(`0 to ${MAX_PAUSE_CYCLES}`);
      expect(isSentence(r.json.error.message)).toBe(true);
      const rec = t.runner.ctx.journal.get(r.json.recoveryId);
      expect(rec).toMatchObject({ status: 'rejected' });
    });

  it('-p 1000 is the documented maximum and is accepted', async () => {
    expect(MAX_PAUSE_CYCLES).toBe(1000);
    const r = await hook(hookPayload(`-m -p ${MAX_PAUSE_CYCLES}`));
    expect(r.status).toBe(202);
  });

  it.each(['1e3', '+5', '0x1', '1.0', ' 7x', '-3', '99999999999999999999'])('<ID>%s</ID> is refused (IDs are plain non-negative integers)', async (id) => {
    const xml = hostErrorXml().replace(/<ID>\d+<\/ID>/, `<ID>${id}</ID>`);
    const r = await hook(hookPayload('-m', xml));
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('not-a-host');
    expect(r.json.error.message).toMatch(/ID/i);
    expect(isSentence(r.json.error.message)).toBe(true);
  });

  it('a DOCTYPE with entities is refused before parsing (no expansion, no external fetch)', async () => {
    const xml = hostErrorXml().replace('<HOST>', '<!DOCTYPE HOST [<!ENTITY x SYSTEM "file:///etc/passwd">]><HOST>').replace(/<NAME>[^<]*<\/NAME>/, '<NAME>&x;</NAME>');
    const r = await hook(hookPayload('-m', xml));
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/DOCTYPE/);
  });
});

describe('fence options by allowlist from the agent\'s own metadata: the ProxyCommand attack', () => {
  let t: Harness;
  let dir: string;
  let marker: string;
  const proxy = () => `-oProxyCommand=touch\${IFS}${marker}`;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oneha-sec-'));
    marker = join(dir, 'pwned');
    // The real agents (fence_virsh among them), so the attack is real.
    t = await startHarness(SMALL_CLOUD, { fence: { agentDir: '/usr/sbin', retries: 1, timeoutMs: 15_000 } });
    t.runner.ctx.secrets.set('default', { username: 'root', password: 'virsh-pw' });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('control: fed those options directly, fence_virsh really runs the ProxyCommand (so the refusals below mean something)', () => {
    const stdin = ['action=status', 'ip=127.0.0.1', 'plug=vm1', `ssh_options=${proxy()}`, 'login_timeout=2', 'username=root', 'password=virsh-pw', ''].join('\n');
    try {
      execFileSync('/usr/sbin/fence_virsh', [], { input: stdin, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', PYTHONWARNINGS: 'ignore' }, timeout: 30_000, stdio: ['pipe', 'ignore', 'ignore'] });
    } catch { /* it fails to fence: the damage is done by then */ }
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
  });

  it('PUT settings with fenceOptions.ssh_options is refused (400) naming the option and why; nothing is written', async () => {
    const s = await t.signIn('oneadmin', 'oneadmin');
    const before = t.hostUpdates().length;
    const r = await t.req('PUT', '/v1/hosts/0/settings', { cookie: s.cookie, csrf: s.csrf, body: { fenceAgent: 'fence_virsh', fenceOptions: { ssh_options: proxy(), plug: 'vm1' } } });
    expect(r.status).toBe(400);
    expect(r.json.error.details[0].path[0]).toBe('fenceOptions');
    expect(r.json.error.message).toMatch(/"ssh_options" passes options to ssh/);
    expect(isSentence(r.json.error.message)).toBe(true);
    expect(t.hostUpdates().length).toBe(before);
  });

  it.each([
    ['identity_file', '/root/.ssh/id_rsa', /names a file|read and write files/],
    ['ssh_path', '/tmp/evil', /run programs|names a program/],
    ['sudo_path', '/tmp/evil', /run programs|names a program/],
    ['command_prompt', 'x', /pattern matched against the device/],
    ['inet4_only', 'maybe', /must be 1 or 0/],
    ['plug', 'vm1;reboot', /letters, digits/],
    ['no_such_option', '1', /fence_virsh has no option "no_such_option"/],
  ])('fence_virsh option %s=%s is refused with its reason', async (key, value, reason) => {
    const s = await t.signIn('oneadmin', 'oneadmin');
    const r = await t.req('PUT', '/v1/hosts/0/settings', { cookie: s.cookie, csrf: s.csrf, body: { fenceAgent: 'fence_virsh', fenceOptions: { [key]: value } } });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain(`"${key}"`);
    expect(r.json.error.message).toMatch(reason);
  });

  it('plain connection and timing options pass (ipport, plug, login_timeout, power_wait, inet4_only)', async () => {
    const s = await t.signIn('oneadmin', 'oneadmin');
    const r = await t.req('PUT', '/v1/hosts/0/settings', { cookie: s.cookie, csrf: s.csrf, body: { fenceAgent: 'fence_virsh', fenceOptions: { ipport: '2222', plug: 'vm-1', login_timeout: '2', power_wait: '0', inet4_only: '1' } } });
    expect(r.status).toBe(200);
    const allowed = await t.req('GET', '/v1/fence/agents/fence_virsh', { cookie: s.cookie });
    const names: string[] = allowed.json.allowed;
    expect(allowed.json.parameters.map((p: { name: string }) => p.name)).toContain('ssh_options');
    expect(names).toEqual(expect.arrayContaining(['ipport', 'plug', 'login_timeout', 'inet4_only']));
    for (const bad of ['ssh_options', 'identity_file', 'ssh_path', 'sudo', 'password', 'password_script', 'debug_file', 'action']) expect(names).not.toContain(bad);
  });

  it('written straight onto the host template (anyone with MANAGE in oned), a status-only fence test refuses it and runs nothing', async () => {
    await t.runner.ctx.one.hostUpdate(1, `ONEHA_FENCE_AGENT = "fence_virsh"\nONEHA_FENCE_OPTIONS = "ssh_options=${proxy()} plug=vm1 login_timeout=2"\nFENCE_IP = "127.0.0.1"\n`, true);
    const s = await t.signIn('oneadmin', 'oneadmin');
    const view = await t.req('GET', '/v1/hosts/1', { cookie: s.cookie });
    expect(view.json.problems.join(' ')).toMatch(/ssh_options/);
    const r = await t.req('POST', '/v1/hosts/1/fence-test', { cookie: s.cookie, csrf: s.csrf });
    expect(r.json).toMatchObject({ reachable: false });
    expect(r.json.error).toMatch(/"ssh_options" passes options to ssh/);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('fence commands only from fence.allowedCommands', () => {
  let t: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oneha-sec-'));
    writeFileSync(join(dir, 'fence_ok.sh'), `#!/bin/sh\ncat >/dev/null\ntouch '${join(dir, 'allowed-ran')}'\n`, { mode: 0o755 });
    t = await startHarness(SMALL_CLOUD, { fence: { allowedCommands: [join(dir, 'fence_ok.sh')] } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a free-text ONEHA_FENCE_COMMAND on the host template is refused with a clear reason, the host has no usable fencing, and nothing runs', async () => {
    const marker = join(dir, 'pwned');
    await t.runner.ctx.one.hostUpdate(0, `ONEHA_FENCE_COMMAND = "/usr/bin/touch ${marker}"\n`, true);
    const s = await t.signIn('oneadmin', 'oneadmin');
    const view = await t.req('GET', '/v1/hosts/0', { cookie: s.cookie });
    expect(view.json.fence.methods).toEqual([]);
    expect(view.json.problems.join(' ')).toMatch(/ONEHA_FENCE_COMMAND on host kvm-node-01 \(0\) is not a command the runner's config allows \(fence.allowedCommands: /);
    const host = await t.runner.ctx.one.hostInfo(0);
    const test = await t.runner.ctx.runFenceTest(host);
    expect(test).toMatchObject({ reachable: false, method: 'none' });
    expect(() => t.runner.ctx.fenceMethods(host)).toThrow(/fence.allowedCommands/);
    expect(existsSync(marker)).toBe(false);
  });

  it('a command from the list is used, exactly as listed', async () => {
    await t.runner.ctx.one.hostUpdate(0, `ONEHA_FENCE_COMMAND = "${join(dir, 'fence_ok.sh')}"\n`, true);
    const host = await t.runner.ctx.one.hostInfo(0);
    const methods = t.runner.ctx.fenceMethods(host);
    expect(methods).toEqual([{ kind: 'command', command: join(dir, 'fence_ok.sh') }]);
    expect((await t.runner.ctx.fence.power(methods[0], 'off', host)).ok).toBe(true);
    expect(existsSync(join(dir, 'allowed-ran'))).toBe(true);
  });
});

describe('FENCE_IP sanity', () => {
  let strict: Harness;
  let relaxed: Harness;
  beforeAll(async () => {
    strict = await startHarness(SMALL_CLOUD, { fence: { allowLoopback: false } });
    relaxed = await startHarness(SMALL_CLOUD, { fence: { allowLoopback: true } });
  });
  afterAll(async () => {
    await strict?.close();
    await relaxed?.close();
  });

  it.each(['127.0.0.1', '169.254.169.254', '::1', 'localhost', '0.0.0.0', '::', 'fe80::1', '::ffff:127.0.0.1', 'bmc.localhost'])(
    'FENCE_IP %s is refused (400 on fenceIp) unless fence.allowLoopback', async (ip) => {
      const s = await strict.signIn('oneadmin', 'oneadmin');
      const r = await strict.req('PUT', '/v1/hosts/0/settings', { cookie: s.cookie, csrf: s.csrf, body: { fenceIp: ip } });
      expect(r.status).toBe(400);
      expect(r.json.error.details[0].path).toEqual(['fenceIp']);
      expect(r.json.error.message).toMatch(/loopback|link-local|unspecified|this machine/);
      const a = await relaxed.signIn('oneadmin', 'oneadmin');
      expect((await relaxed.req('PUT', '/v1/hosts/0/settings', { cookie: a.cookie, csrf: a.csrf, body: { fenceIp: ip } })).status).toBe(200);
    });

  it.each(['127.1', '0x7f.0.0.1', '2130706433'])('FENCE_IP %s (an address in disguise) is not an address or host name', async (ip) => {
    const s = await relaxed.signIn('oneadmin', 'oneadmin');
    const r = await relaxed.req('PUT', '/v1/hosts/0/settings', { cookie: s.cookie, csrf: s.csrf, body: { fenceIp: ip } });
    expect(r.status).toBe(400);
    expect(r.json.error.details[0].path).toEqual(['fenceIp']);
  });

  it('a loopback FENCE_IP already on a template stops fencing with a reason (the flow never fences it)', async () => {
    await strict.runner.ctx.one.hostUpdate(1, 'FENCE_IP = "169.254.169.254"\n', true);
    const host = await strict.runner.ctx.one.hostInfo(1);
    expect(() => strict.runner.ctx.fenceMethods(host)).toThrow(/FENCE_IP on host kvm-node-02 \(1\): "169.254.169.254" is a link-local address/);
  });
});

describe('FENCE_IP host names are resolved: a name pointing at this machine is refused', () => {
  // What the names resolve to, as a DNS or /etc/hosts would answer (the test changes it on the way).
  const dns = new Map<string, string[]>([
    ['bmc-07.example.org', ['127.0.0.1']],
    ['bmc-08.example.org', ['10.0.0.8', '169.254.169.254']],
    ['bmc-09.example.org', ['10.0.0.9']],
  ]);
  const resolveName = async (name: string) => {
    const a = dns.get(name);
    if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return a;
  };
  let strict: Harness;
  let relaxed: Harness;
  beforeAll(async () => {
    strict = await startHarness(SMALL_CLOUD, { fence: { allowLoopback: false } }, undefined, { resolveName });
    relaxed = await startHarness(SMALL_CLOUD, { fence: { allowLoopback: true } }, undefined, { resolveName });
  });
  afterAll(async () => {
    await strict?.close();
    await relaxed?.close();
  });

  it('at check time: a BMC name resolving to a loopback or link-local address is refused (400 naming the field), unless fence.allowLoopback', async () => {
    const s = await strict.signIn('oneadmin', 'oneadmin');
    const put = (body: unknown, h = strict, a = s) => h.req('PUT', '/v1/hosts/0/settings', { cookie: a.cookie, csrf: a.csrf, body });
    const loop = await put({ fenceIp: 'bmc-07.example.org' });
    expect(loop.status).toBe(400);
    expect(loop.json.error.details[0].path).toEqual(['fenceIp']);
    expect(loop.json.error.message).toBe(`FENCE_IP = "bmc-07.example.org" resolves to 127.0.0.1, which is a loopback address, not a BMC on the management network (set fence.allowLoopback in the runner's config only for simulated BMCs).`);
    const link = await put({ fenceIp: 'bmc-08.example.org' }); // one of its addresses is enough
    expect(link.status).toBe(400);
    expect(link.json.error.details[0].path).toEqual(['fenceIp']);
    expect(link.json.error.message).toMatch(/resolves to 169\.254\.169\.254, which is a link-local address/);
    expect((await strict.template(0)).FENCE_IP).toBe('10.0.0.1'); // nothing written
    // the Sunstone plugin's pre-write check says the same
    const check = await strict.req('POST', '/v1/hosts/0/settings/check', { cookie: s.cookie, csrf: s.csrf, body: { fenceIp: 'bmc-07.example.org' } });
    expect(check.status).toBe(400);
    // a name of a real BMC address, or one that does not resolve (the agent will say so), is accepted
    expect((await put({ fenceIp: 'bmc-09.example.org' })).status).toBe(200);
    expect((await put({ fenceIp: 'bmc-gone.example.org' })).status).toBe(200);
    const r = await relaxed.signIn('oneadmin', 'oneadmin');
    expect((await put({ fenceIp: 'bmc-07.example.org' }, relaxed, r)).status).toBe(200);
  });

  it('again before fencing: a name that pointed at a BMC when it was set but resolves to loopback now is refused, and the agent never runs', async () => {
    // An agent that leaves a mark when it runs for anything but its metadata.
    const mark = join(strict.dir, 'agent-ran');
    writeFileSync(join(strict.dir, 'agents', 'fence_ipmilan'), `#!/bin/sh\n[ "$1 $2" = "-o metadata" ] && exec /usr/sbin/fence_ipmilan -o metadata\ntouch ${mark}\necho "Status: OFF"\n`);
    const s = await strict.signIn('oneadmin', 'oneadmin');
    expect((await strict.req('PUT', '/v1/hosts/0/settings', { cookie: s.cookie, csrf: s.csrf, body: { fenceIp: 'bmc-09.example.org', fenceAgent: 'fence_ipmilan' } })).status).toBe(200);
    const host = await strict.runner.ctx.one.hostInfo(0);
    const level = strict.runner.ctx.fenceMethods(host).find((m) => m.kind === 'agent')!;
    // control: while the name points at a BMC address the agent runs
    await strict.runner.ctx.fence.power(level, 'status', host);
    expect(existsSync(mark)).toBe(true);
    rmSync(mark);
    dns.set('bmc-09.example.org', ['127.0.0.1']);
    const a = await strict.runner.ctx.fence.power(level, 'status', host);
    expect(a).toMatchObject({ ok: false, tries: 0 });
    expect(a.error).toBe(`FENCE_IP "bmc-09.example.org" of host kvm-node-01 (0) resolves to 127.0.0.1, which is a loopback address, not a BMC on the management network (set fence.allowLoopback in the runner's config only for simulated BMCs)`);
    expect(existsSync(mark)).toBe(false);
  });

  it("the system resolver is what is asked by default: localhost's addresses are this machine's", async () => {
    expect(await resolvedFenceIpProblem('localhost', { allowLoopback: false })).toMatch(/^resolves to (127\.0\.0\.1|::1), which is a loopback address/);
    expect(await resolvedFenceIpProblem('localhost', { allowLoopback: true })).toBeUndefined();
    expect(await resolvedFenceIpProblem('10.0.0.1', { allowLoopback: false })).toBeUndefined();
  });
});

describe('reads: FENCE_IP and fence settings for administrators only (unless configured)', () => {
  let t: Harness;
  let open: Harness;
  beforeAll(async () => {
    t = await startHarness();
    open = await startHarness(SMALL_CLOUD, { plugin: { fenceSettingsVisibleTo: 'all' } });
  });
  afterAll(async () => {
    await t?.close();
    await open?.close();
  });

  it('a non-administrator sees whether a host is fenced and how, never FENCE_IP, options, commands or secret refs', async () => {
    await t.runner.ctx.one.hostUpdate(1, 'ONEHA_FENCE_SECRET_REF = "bmc-rack4"\n', true);
    const viewer = await t.signIn('viewer', 'viewer');
    const list = await t.req('GET', '/v1/hosts', { cookie: viewer.cookie });
    const host1 = list.json.hosts.find((x: { id: number }) => x.id === 1);
    expect(host1.fence).toMatchObject({ ip: null, options: null, methods: [{ kind: 'agent', agent: 'fence_ipmilan', options: {} }, { kind: 'command', command: '' }] });
    expect(host1.credentials.secretRef).toBeUndefined();
    expect(list.text).not.toMatch(/10\.0\.0\.[12]|lanplus|fence_host\.sh|bmc-rack4/);
    const one = await t.req('GET', '/v1/hosts/1', { cookie: viewer.cookie });
    expect(one.text).not.toMatch(/10\.0\.0\.2|lanplus|bmc-rack4/);
    // An administrator and the token see everything.
    const admin = await t.signIn('oneadmin', 'oneadmin');
    const full = await t.req('GET', '/v1/hosts/1', { cookie: admin.cookie });
    expect(full.json.fence).toMatchObject({ ip: '10.0.0.2', options: { lanplus: '1', cipher: '3' } });
    expect((await t.req('GET', '/v1/hosts/1', { bearer: true })).json.fence.ip).toBe('10.0.0.2');
  });

  it('a recovery shows a non-administrator its course, not the payload or step data that carry the host template', async () => {
    const posted = await t.req('POST', '/v1/hooks/host-error', { bearer: true, body: hookPayload('-m -p 0'), headers: { 'content-type': 'text/plain' } });
    expect(posted.status).toBe(202);
    await recoveryWith(t, posted.json.recoveryId, 'its host', (r) => r.hostId !== undefined);
    const viewer = await t.signIn('viewer', 'viewer');
    const d = await t.req('GET', `/v1/recoveries/${posted.json.recoveryId}`, { cookie: viewer.cookie });
    expect(d.status).toBe(200);
    expect(d.json.payload).toBeUndefined();
    expect(d.json.steps.every((s: { input?: unknown; output?: unknown }) => s.input === undefined && s.output === undefined)).toBe(true);
    expect(d.text).not.toMatch(/FENCE_IP|PEhPU1/);
    expect((await t.req('GET', `/v1/recoveries/${posted.json.recoveryId}`, { bearer: true })).json.payload).toBe(hookPayload('-m -p 0'));
  });

  it('with plugin.fenceSettingsVisibleTo set to all, every signed-in user sees them', async () => {
    const viewer = await open.signIn('viewer', 'viewer');
    expect((await open.req('GET', '/v1/hosts/1', { cookie: viewer.cookie })).json.fence.ip).toBe('10.0.0.2');
  });
});

describe('reads as the user: a non-administrator reads hosts and recoveries through oned as themselves', () => {
  let t: Harness;
  beforeAll(async () => (t = await startHarness()));
  afterAll(() => t?.close());

  it("sign-in opens an oned session for the user (one.user.login); oned refusing it ends their reads, not an administrator's", async () => {
    t.sim.resetCalls();
    const viewer = await t.signIn('viewer', 'viewer');
    expect(t.sim.calls.map((c) => c.method)).toEqual(['one.user.info', 'one.user.login']);
    expect(t.logs.join('')).not.toMatch(/viewer:[0-9a-f]{16}/);
    expect((await t.req('GET', '/v1/hosts', { cookie: viewer.cookie })).json.total).toBe(3);
    const posted = await t.req('POST', '/v1/hooks/host-error', { bearer: true, body: hookPayload('-m -p 0'), headers: { 'content-type': 'text/plain' } });
    await recoveryWith(t, posted.json.recoveryId, 'its host', (r) => r.hostId !== undefined);
    expect((await t.req('GET', '/v1/recoveries', { cookie: viewer.cookie })).json.recoveries.map((r: { id: string }) => r.id)).toContain(posted.json.recoveryId);
    // oned revokes the viewer's tokens: what the viewer reads now comes from oned as the viewer, so it stops.
    await t.runner.ctx.one.userLogin('viewer', '', 0);
    hostPoolFor(t.runner.ctx).invalidate();
    const hosts = await t.req('GET', '/v1/hosts', { cookie: viewer.cookie });
    expect(hosts.status).toBe(401);
    expect(hosts.json.error.code).toBe('oned-session');
    expect((await t.req('GET', '/v1/hosts/1', { cookie: viewer.cookie })).status).toBe(401);
    expect((await t.req('GET', '/v1/recoveries', { cookie: viewer.cookie })).status).toBe(401);
    expect((await t.req('GET', `/v1/recoveries/${posted.json.recoveryId}`, { cookie: viewer.cookie })).status).toBe(401);
    const admin = await t.signIn('oneadmin', 'oneadmin');
    expect((await t.req('GET', '/v1/hosts', { cookie: admin.cookie })).json.total).toBe(3);
  });
});

describe('reads as the user under a restricted ACL: a non-administrator sees only the hosts oned lets them see', () => {
  // viewer (group users) may USE host 0 only: oned's own rules give group users no USE on hosts at all.
  let t: Harness;
  beforeAll(async () => (t = await startHarness({ ...SMALL_CLOUD, acls: ['#1 HOST/#0 USE'] })));
  afterAll(() => t?.close());

  /** Reads the SSE stream of /v1/events as `cookie` until `done` says so (or the deadline passes). */
  const readEvents = async (cookie: string, abort: AbortSignal) => {
    const res = await t.runner.app.request('/v1/events', { headers: { cookie }, signal: abort }, { incoming: { socket: { remoteAddress: '127.0.0.1' } } });
    expect(res.status).toBe(200);
    const seen: Array<{ seq: number; recoveryId: string }> = [];
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buf += value;
          let end: number;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const id = /^id: \w+\.(\d+)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (id && data && /^event: journal$/m.test(block)) seen.push({ seq: Number(id), recoveryId: JSON.parse(data).event.id });
          }
        }
      } catch {
        // aborted at the end of the test
      }
    })();
    return seen;
  };

  it('hosts: the list, one host and the settings of a host oned hides answer as if it did not exist', async () => {
    const viewer = await t.signIn('viewer', 'viewer');
    const list = await t.req('GET', '/v1/hosts', { cookie: viewer.cookie });
    expect(list.status).toBe(200);
    expect(list.json.hosts.map((h: { id: number }) => h.id)).toEqual([0]);
    expect(list.text).not.toMatch(/kvm-node-02|kvm-node-03/);
    const hidden = await t.req('GET', '/v1/hosts/1', { cookie: viewer.cookie });
    expect(hidden.status).toBe(404);
    expect(hidden.text).not.toMatch(/kvm-node-02/);
    expect((await t.req('GET', '/v1/hosts/0', { cookie: viewer.cookie })).json.name).toBe('kvm-node-01');
    // an administrator still sees every host
    const admin = await t.signIn('oneadmin', 'oneadmin');
    expect((await t.req('GET', '/v1/hosts', { cookie: admin.cookie })).json.hosts.map((h: { id: number }) => h.id).sort()).toEqual([0, 1, 2]);
  });

  it('recoveries and the live event stream: two users, each gets only the recoveries of hosts they may see', async () => {
    const viewer = await t.signIn('viewer', 'viewer');
    const admin = await t.signIn('oneadmin', 'oneadmin');
    const stop = new AbortController();
    try {
      const viewerSeen = await readEvents(viewer.cookie, stop.signal);
      const adminSeen = await readEvents(admin.cookie, stop.signal);
      const post = async (hostId: number) => {
        const r = await t.req('POST', '/v1/hooks/host-error', { bearer: true, body: hookPayload('-m -p 0', t.sim.cloud.hostXml(hostId)), headers: { 'content-type': 'text/plain' } });
        expect(r.status).toBe(202);
        return r.json.recoveryId as string;
      };
      const hidden = await post(1);
      const mine = await post(0);
      // The viewer's stream has gone past an event of the hidden host's recovery (so it was skipped, not late).
      await until('an admin event of the hidden recovery', () => adminSeen.some((e) => e.recoveryId === hidden));
      const hiddenSeq = adminSeen.find((e) => e.recoveryId === hidden)!.seq;
      await until('the viewer stream past it', () => viewerSeen.some((e) => e.seq > hiddenSeq));
      await until("the viewer's own recovery", () => viewerSeen.some((e) => e.recoveryId === mine));
      expect(viewerSeen.filter((e) => e.recoveryId === hidden)).toEqual([]);
      expect(new Set(viewerSeen.map((e) => e.recoveryId))).toEqual(new Set([mine]));
      expect(adminSeen.some((e) => e.recoveryId === mine)).toBe(true);

      const list = await t.req('GET', '/v1/recoveries', { cookie: viewer.cookie });
      expect(list.json.recoveries.map((r: { id: string }) => r.id)).toEqual([mine]);
      expect((await t.req('GET', `/v1/recoveries/${hidden}`, { cookie: viewer.cookie })).status).toBe(404);
      // a step that ran in both recoveries
      const stepOf = async (id: string) => (await t.req('GET', `/v1/recoveries/${id}`, { cookie: admin.cookie })).json.steps[0]?.name as string | undefined;
      await until('a step journaled in both recoveries', async () => !!(await stepOf(hidden)) && !!(await stepOf(mine)));
      const step = (await stepOf(hidden))!;
      expect((await t.req('GET', `/v1/recoveries/${hidden}/steps/${step}`, { cookie: viewer.cookie })).status).toBe(404);
      expect((await t.req('GET', `/v1/recoveries/${hidden}/steps/${step}`, { cookie: admin.cookie })).status).toBe(200);
      // step data carries the host template: administrators (and the token) only, even for a visible host
      const myStep = (await stepOf(mine))!;
      expect((await t.req('GET', `/v1/recoveries/${mine}/steps/${myStep}`, { cookie: viewer.cookie })).status).toBe(403);
      expect((await t.req('GET', `/v1/recoveries/${mine}/steps/${myStep}`, { cookie: admin.cookie })).status).toBe(200);
      const all = await t.req('GET', '/v1/recoveries', { cookie: admin.cookie });
      expect(all.json.recoveries.map((r: { id: string }) => r.id).sort()).toEqual([hidden, mine].sort());
    } finally {
      stop.abort();
    }
  });
});

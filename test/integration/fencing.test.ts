// Fencing through the runner process with real fence agents: fence_ipmilan
// against ipmi_sim BMCs on loopback. Proves: verified OFF before any VM is
// touched; failures stop in bounded time with the reason; levels; brakes;
// and the BMC password never shows in logs, API, journal or command lines.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MUTATING_METHODS } from '../../sim/rpc';
import { startIpmiSim, type IpmiSim } from '../helpers/bmc/ipmiSim';
import { watchCmdlines } from '../helpers/bmc/cmdlineWatch';
import { hostPayload, killAll, rawCall, requireBuild, sim, startSim, tempDir, until, writeFile } from '../helpers/processes';
import { startRunner, type RunnerHandle } from '../helpers/runnerProcess';

const PASSWORD = 'Pw-7f3kq9zX';
const AGENT_OPTS = (port: number) => `ipport=${port} lanplus=1 cipher=3 power_wait=0 power_timeout=4`;

function cloud(n: number) {
  const vms: object[] = [];
  for (let h = 0; h < n; h++) for (let i = 0; i < 2; i++) vms.push({ id: 100 + h * 10 + i, name: `vm-${h}-${i}`, state: 'RUNNING', cpu: 0.1, memory: 64, history: [{ hostId: h, dsId: 0 }] });
  return { hosts: Array.from({ length: n }, (_, i) => ({ id: i, name: `node-${i}`, cpu: 100_000, memory: 1 << 30 })), vms, options: { schedulerIntervalMs: 100 } };
}
const setTemplate = (url: string, id: number, attrs: Record<string, string>) =>
  rawCall(url, 'one.host.update', [id, Object.entries(attrs).map(([k, v]) => `${k} = "${v}"`).join('\n'), 1]);

async function finished(r: RunnerHandle, id: string, timeoutMs = 40_000) {
  return until(async () => {
    const d = (await r.api('GET', `/v1/recoveries/${id}`)).json;
    return ['completed', 'degraded', 'failed', 'fence-failed', 'came-back', 'held', 'skipped'].includes(d?.status) ? d : undefined;
  }, timeoutMs, `recovery ${id}`);
}
const vmCalls = async (control: string, hostId: number) => ((await sim(control, 'GET', '/calls')).calls as { method: string; params: unknown[] }[])
  .filter((c) => MUTATING_METHODS.has(c.method) && c.method.startsWith('one.vm.') && Math.floor(((c.params[2] ?? c.params[1]) as number - 100) / 10) === hostId);

beforeAll(() => requireBuild());
afterAll(() => killAll());

describe('fencing with fence_ipmilan against ipmi_sim, through the runner', () => {
  let s: Awaited<ReturnType<typeof startSim>>;
  let r: RunnerHandle;
  const bmcs: IpmiSim[] = [];
  let watch: ReturnType<typeof watchCmdlines>;
  beforeAll(async () => {
    watch = watchCmdlines(PASSWORD);
    s = await startSim(cloud(6));
    const good = await startIpmiSim({ password: PASSWORD, power: 'on' });
    const off = await startIpmiSim({ password: PASSWORD, power: 'off' });
    const wrong = await startIpmiSim({ password: 'other-pass', power: 'on' });
    const stuck = await startIpmiSim({ password: PASSWORD, power: 'on', mode: 'stuck-on' });
    const level2 = await startIpmiSim({ password: PASSWORD, power: 'on' });
    bmcs.push(good, off, wrong, stuck, level2);
    const agent = { ONEHA_FENCE_AGENT: 'fence_ipmilan', FENCE_IP: '127.0.0.1' };
    await setTemplate(s.url, 0, { ...agent, ONEHA_FENCE_OPTIONS: AGENT_OPTS(good.port) });
    await setTemplate(s.url, 1, { ...agent, ONEHA_FENCE_OPTIONS: AGENT_OPTS(off.port) });
    await setTemplate(s.url, 2, { ...agent, ONEHA_FENCE_OPTIONS: AGENT_OPTS(wrong.port) });
    await setTemplate(s.url, 3, { ...agent, ONEHA_FENCE_OPTIONS: AGENT_OPTS(1) }); // nothing listens there
    await setTemplate(s.url, 4, { ...agent, ONEHA_FENCE_OPTIONS: AGENT_OPTS(stuck.port) });
    await setTemplate(s.url, 5, {
      ...agent, ONEHA_FENCE_OPTIONS: AGENT_OPTS(wrong.port),
      ONEHA_FENCE_AGENT_2: 'fence_ipmilan', FENCE_IP_2: '127.0.0.1', ONEHA_FENCE_OPTIONS_2: AGENT_OPTS(level2.port),
    });
    r = await startRunner(s.url, {
      fence: { retries: 2, retryDelayMs: 200, timeoutMs: 8000 },
      brakes: { massFailure: { share: 1, count: 0, windowSeconds: 60 } },
      // Six hosts fail one after another here: the last ones' VMs may find no host left to run on.
      verify: { deadlineSeconds: { migrate: 3 } },
    }, { noFenceCommand: true, secrets: { default: { username: 'admin', password: PASSWORD } } });
  });
  afterAll(async () => {
    await Promise.all(bmcs.map((b) => b.stop()));
  });

  const fail = async (hostId: number) => {
    await sim(s.control, 'POST', `/hosts/${hostId}/fail`);
    const res = await r.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, hostId, '-m -p 0'));
    expect(res.status).toBe(202);
    const t0 = Date.now();
    const d = await finished(r, res.json.recoveryId);
    return { d, seconds: (Date.now() - t0) / 1000 };
  };

  it('a powered-on host is fenced, verified OFF, and its VMs recovered', async () => {
    const { d } = await fail(0);
    expect(d.status).toBe('completed');
    expect(d.fence).toMatchObject({ outcome: 'fenced', verified: true, power: 'off', method: 'fence_ipmilan' });
    expect(d.fence.attempts.map((a: { action: string }) => a.action)).toEqual(['status', 'off', 'status']);
    expect(bmcs[0].power()).toBe('off');
    expect((await vmCalls(s.control, 0)).map((c) => c.method)).toEqual(['one.vm.action', 'one.vm.action']);
  });

  it('an already-off host counts as fenced without an off', async () => {
    const { d } = await fail(1);
    expect(d.status).toBe('completed');
    expect(d.fence.attempts.map((a: { action: string }) => a.action)).toEqual(['status']);
    expect(d.fence.evidence).toMatch(/already off|OFF/i);
  });

  it.each([
    [2, 'wrong password'],
    [3, 'nothing listening'],
    [4, 'a BMC that never powers off'],
  ])('host %i (%s): fencing failure in bounded time, no VM touched, reason recorded', async (hostId) => {
    const { d, seconds } = await fail(hostId);
    expect(d.status).toBe('fence-failed');
    expect(d.reason).toMatch(/fencing failed, no VM touched/);
    expect(d.fence.outcome).toBe('failed');
    expect(d.fence.reason.length).toBeGreaterThan(20);
    expect(seconds).toBeLessThan(40);
    expect(await vmCalls(s.control, hostId)).toEqual([]);
    if (hostId === 4) expect(bmcs[3].power()).toBe('on');
  }, 60_000);

  it('levels: the first method fails, the second fences; both attempts are in the timeline', async () => {
    const { d } = await fail(5);
    // Whether its VMs find room depends on the hosts failed before it in this file; the fencing is what is tested here.
    expect(d.fence.outcome).toBe('fenced');
    expect(d.steps.find((x: { name: string }) => x.name === 'recover').status).toBe('ok');
    expect(d.fence.attempts.some((a: { level: number; ok: boolean }) => a.level === 1 && !a.ok)).toBe(true);
    expect(d.fence.attempts.filter((a: { level: number }) => a.level === 2).map((a: { action: string }) => a.action)).toEqual(['status', 'off', 'status']);
    expect(bmcs[4].power()).toBe('off');
  });

  it('the password never appears in a log line, an API response, the journal or a command line', async () => {
    const responses = [
      await r.api('GET', '/v1/recoveries'),
      ...(await Promise.all((await r.api('GET', '/v1/recoveries')).json.recoveries.map((x: { id: string }) => r.api('GET', `/v1/recoveries/${x.id}`)))),
      await r.api('GET', '/v1/status'),
      await r.api('POST', '/v1/hosts/0/fence-test'),
      await fetch(`${r.url}/metrics`).then(async (x) => ({ text: await x.text() })),
    ];
    for (const res of responses) expect(res.text).not.toContain(PASSWORD);
    expect(r.proc.output()).not.toContain(PASSWORD);
    const journalDir = join(r.env.ONEHA_DATA_DIR, 'journal');
    const journal = readdirSync(journalDir).map((f) => readFileSync(join(journalDir, f), 'utf8')).join('');
    expect(journal.length).toBeGreaterThan(1000);
    expect(journal).not.toContain(PASSWORD);
    const seen = await watch.stop();
    expect(seen.scans).toBeGreaterThan(50);
    expect(seen.hits).toEqual([]);
  });

  it('power-on is a separate, explicit action', async () => {
    expect(bmcs[0].power()).toBe('off'); // fenced by the first test, and left off
    const res = await r.api('POST', '/v1/hosts/0/power-on');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ hostId: 0, ok: true, method: 'fence_ipmilan' });
    expect(bmcs[0].power()).toBe('on');
    expect(res.text).not.toContain(PASSWORD);
  });

  it('fence test: status only, power unchanged', async () => {
    bmcs[0].setPower('on');
    const t = (await r.api('POST', '/v1/hosts/0/fence-test')).json;
    expect(t).toMatchObject({ hostId: 0, reachable: true, power: 'on', method: 'fence_ipmilan' });
    expect(bmcs[0].power()).toBe('on');
    const bad = (await r.api('POST', '/v1/hosts/2/fence-test')).json;
    expect(bad.reachable).toBe(false);
    expect(bad.error).toBeTruthy();
  });
});

describe('brakes through the runner', () => {
  it('mass failure: 3 of 5 HA hosts fail together -> held before fencing until released; then recovered', async () => {
    const s = await startSim(cloud(5));
    const r = await startRunner(s.url, { brakes: { massFailure: { share: 0.5, count: 0, windowSeconds: 120 } } });
    for (const h of [0, 1, 2]) await sim(s.control, 'POST', `/hosts/${h}/fail`);
    const ids = await Promise.all([0, 1, 2].map(async (h) => (await r.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, h, '-m -p 1'))).json.recoveryId));
    const held = await Promise.all(ids.map((id) => finished(r, id)));
    expect(held.map((d) => d.status)).toEqual(['held', 'held', 'held']);
    expect(held[0].reason).toMatch(/mass failure: 3 of 5 HA hosts failed/);
    expect(r.fenced()).toEqual([]);
    expect(await vmCalls(s.control, 0)).toEqual([]);
    expect(await (await fetch(`${r.url}/metrics`)).text()).toMatch(/oneha_flows_held_total 3/);
    // A non-admin cannot release; the operator can.
    expect((await fetch(`${r.url}/v1/recoveries/${ids[0]}/release`, { method: 'POST' })).status).toBe(401);
    for (const id of ids) expect((await r.api('POST', `/v1/recoveries/${id}/release`)).status).toBe(200);
    const done = await Promise.all(ids.map((id) => until(async () => {
      const d = (await r.api('GET', `/v1/recoveries/${id}`)).json;
      return d.status === 'completed' ? d : undefined;
    }, 30_000, 'release to complete')));
    expect(done.map((d) => d.releasedBy)).toEqual(['token', 'token', 'token']);
    expect(r.fenced().sort()).toEqual(['0', '1', '2']);
  });

  it('1 of 5 fails: recovered normally; a failure on a disarmed host is held and goes on by itself when the disarm expires', async () => {
    const s = await startSim(cloud(5));
    const r = await startRunner(s.url);
    await sim(s.control, 'POST', '/hosts/3/fail');
    const one = (await r.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, 3, '-m -p 1'))).json.recoveryId;
    expect((await finished(r, one)).status).toBe('completed');
    expect(r.fenced()).toEqual(['3']);

    expect((await r.api('POST', '/v1/disarm', { hostId: 4, minutes: 0.05, reason: 'BIOS update' })).status).toBe(200);
    await sim(s.control, 'POST', '/hosts/4/fail');
    const payload = await hostPayload(s.url, 4, '-m -p 0');
    const held = (await r.api('POST', '/v1/hooks/host-error', payload)).json.recoveryId;
    const d = await finished(r, held);
    expect(d.status).toBe('held');
    expect(d.reason).toMatch(/HA is disarmed for host node-4 .* by token \(BIOS update\); held until then/);
    expect(r.fenced()).toEqual(['3']);
    // 3 s later the disarm has expired: HA re-armed itself and the held recovery goes on by itself.
    const again = await until(async () => {
      const x = (await r.api('GET', `/v1/recoveries/${held}`)).json;
      return ['completed', 'degraded', 'failed'].includes(x.status) ? x : undefined;
    }, 40_000, 'the held recovery released by the expiry');
    expect(again).toMatchObject({ status: 'completed', releasedBy: 'the disarm expiry' });
    expect(r.fenced()).toEqual(['3', '4']);
  });

  it('a failed fencing waits for the operator; once the BMC is fixed, release fences again and recovers', async () => {
    const s = await startSim(cloud(5));
    const dir = tempDir();
    // The BMC "works" once the operator has fixed it (the flag file exists).
    const cmd = writeFile(dir, 'fence.sh', `#!/bin/sh\ncat >/dev/null\n[ -f '${dir}/fixed' ] || { echo 'BMC: authentication failed' >&2; exit 1; }\necho off >> '${dir}/fenced'\n`, 0o755);
    const r = await startRunner(s.url, { fence: { command: cmd, retries: 1 } }, { noFenceCommand: true });
    await sim(s.control, 'POST', '/hosts/2/fail');
    const id = (await r.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, 2, '-m -p 0'))).json.recoveryId;
    const failed = await finished(r, id);
    expect(failed.status).toBe('fence-failed');
    expect(failed.reason).toMatch(/BMC: authentication failed/);
    expect(await vmCalls(s.control, 2)).toEqual([]);
    // A new event for the same host joins the waiting recovery instead of starting another.
    expect((await r.api('POST', '/v1/hooks/host-error?force=1', await hostPayload(s.url, 2, '-m -p 0'))).json).toMatchObject({ status: 'joined', recoveryId: id });
    writeFile(dir, 'fixed', '');
    expect((await r.api('POST', `/v1/recoveries/${id}/release`)).status).toBe(200);
    const done = await until(async () => {
      const d = (await r.api('GET', `/v1/recoveries/${id}`)).json;
      return d.status === 'completed' ? d : undefined;
    }, 20_000, 'completion after release');
    expect(done.steps.filter((x: { name: string }) => x.name === 'fence').map((x: { output: { outcome: string } }) => x.output.outcome)).toEqual(['failed', 'fenced']);
    expect((await vmCalls(s.control, 2)).map((c) => c.method)).toEqual(['one.vm.action', 'one.vm.action']);
  });

  it('scheduled fence tests find a broken BMC before the host dies, and the result shows with the host', async () => {
    const s = await startSim(cloud(2));
    const good = await startIpmiSim({ password: PASSWORD, power: 'on' });
    const wrong = await startIpmiSim({ password: 'not-this-one', power: 'on' });
    try {
      await setTemplate(s.url, 0, { ONEHA_FENCE_AGENT: 'fence_ipmilan', FENCE_IP: '127.0.0.1', ONEHA_FENCE_OPTIONS: AGENT_OPTS(good.port) });
      await setTemplate(s.url, 1, { ONEHA_FENCE_AGENT: 'fence_ipmilan', FENCE_IP: '127.0.0.1', ONEHA_FENCE_OPTIONS: AGENT_OPTS(wrong.port) });
      const r = await startRunner(s.url, { fence: { testIntervalSeconds: 1, retries: 1 } }, { noFenceCommand: true, secrets: { default: { username: 'admin', password: PASSWORD } } });
      const hosts = await until(async () => {
        const h = (await r.api('GET', '/v1/hosts')).json.hosts as { id: number; lastFenceTest: { reachable: boolean; power?: string; error?: string } | null }[];
        return h.every((x) => x.lastFenceTest) ? h : undefined;
      }, 20_000, 'scheduled fence tests');
      // oned lists pools newest first: look hosts up by id.
      const byId = (id: number) => hosts.find((x) => x.id === id)!;
      expect(byId(0).lastFenceTest).toMatchObject({ reachable: true, power: 'on' });
      expect(byId(1).lastFenceTest).toMatchObject({ reachable: false });
      expect(good.power()).toBe('on'); // status only
    } finally {
      await good.stop();
      await wrong.stop();
    }
  });
});

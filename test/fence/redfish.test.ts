// The real fence_redfish against a small HTTPS Redfish BMC, through the fence
// port and the fence function, including a BMC that never answers (the agent
// would wait forever: the port must kill it).
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FenceMethod } from '../../model/fence';
import { watchCmdlines, type CmdlineWatch } from '../helpers/bmc/cmdlineWatch';
import { createFenceRig, testHost, type FenceRig } from '../helpers/bmc/fenceRig';
import { startRedfishMock, type RedfishMock } from '../helpers/bmc/redfishMock';
import { requireTools, TOOLS } from '../helpers/bmc/tools';

let rig: FenceRig;
let bmc: RedfishMock;
let watch: CmdlineWatch;

const redfish = (port: number, secretRef?: string, extra: Record<string, string> = {}): FenceMethod => ({
  kind: 'agent', agent: 'fence_redfish',
  options: { ipport: String(port), ssl_insecure: '1', power_wait: '0', power_timeout: '3', ...extra },
  ...(secretRef ? { secretRef } : {}),
});
const host = (id: number) => testHost(id, { FENCE_IP: '127.0.0.1' });

/** fence_redfish processes that are children of this test process. */
function ourAgents(): number[] {
  const me = String(process.pid);
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // state, ppid, ...
      if (fields[1] === me && fields[0] !== 'Z' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('fence_redfish')) out.push(Number(pid));
    } catch { /* gone */ }
  }
  return out;
}

beforeAll(async () => {
  requireTools(TOOLS.fenceRedfish, TOOLS.openssl);
  rig = createFenceRig();
  rig.secrets.set('wrong', { username: 'admin', password: 'not-the-one' });
  bmc = await startRedfishMock({ password: rig.password });
  watch = watchCmdlines(rig.password);
});
afterAll(async () => {
  await watch?.stop();
  await bmc?.stop();
  rig?.cleanup();
});

describe('fence_redfish against a Redfish mock', () => {
  it('status works and reports the power state', async () => {
    bmc.setMode('normal');
    bmc.setPower('on');
    const a = await rig.port().power(redfish(bmc.port), 'status', host(1));
    expect(a).toMatchObject({ ok: true, power: 'on', exitCode: 0 });
    bmc.setPower('off');
    expect(await rig.port().power(redfish(bmc.port), 'status', host(1))).toMatchObject({ ok: true, power: 'off', exitCode: 2 });
  }, 15_000);

  it('fences a powered-on host with ForceOff and verifies OFF', async () => {
    bmc.setMode('normal');
    bmc.setPower('on');
    bmc.requests.length = 0;
    const r = await rig.fence(host(2), [redfish(bmc.port)]);
    expect(r).toMatchObject({ outcome: 'fenced', method: 'fence_redfish', verified: true, power: 'off' });
    expect(r.attempts.map((a) => a.action)).toEqual(['status', 'off', 'status']);
    expect(bmc.power()).toBe('off');
    expect(bmc.requests.filter((q) => q.method === 'POST').map((q) => q.resetType)).toEqual(['ForceOff']);
    expect(bmc.requests.every((q) => q.authorized)).toBe(true);
  }, 15_000);

  it('fences an already-off host without posting a reset', async () => {
    bmc.setMode('normal');
    bmc.setPower('off');
    bmc.requests.length = 0;
    const r = await rig.fence(host(3), [redfish(bmc.port)]);
    expect(r).toMatchObject({ outcome: 'fenced', verified: true });
    expect(r.attempts.map((a) => a.action)).toEqual(['status']);
    expect(bmc.requests.some((q) => q.method === 'POST')).toBe(false);
  }, 15_000);

  it('fails on a wrong password in bounded time, in plain words', async () => {
    bmc.setMode('normal');
    bmc.setPower('on');
    const t0 = Date.now();
    const r = await rig.fence(host(4), [redfish(bmc.port, 'wrong')]);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.outcome).toBe('failed');
    expect(r.reason).toMatch(/BMC refused the request or the credentials/);
    expect(bmc.power()).toBe('on');
  }, 20_000);

  it('does not count a reset the BMC ignores: still ON is a failure', async () => {
    bmc.setMode('stuck-on');
    bmc.setPower('on');
    const t0 = Date.now();
    const r = await rig.fence(host(5), [redfish(bmc.port, undefined, { power_timeout: '1' })]);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r).toMatchObject({ outcome: 'failed', power: 'on' });
    expect(r.reason).toMatch(/BMC did not power the host off/);
  }, 20_000);

  it('kills fence_redfish when the BMC never answers, in bounded time', async () => {
    bmc.setMode('hang');
    const t0 = Date.now();
    const r = await rig.fence(host(6), [redfish(bmc.port)], { port: rig.port({ timeoutMs: 1500, retries: 2, retryDelayMs: 100 }) });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(3000);
    expect(took).toBeLessThan(31_000); // 10x the two 1.5 s deadlines: killed, not left hanging
    expect(r.outcome).toBe('failed');
    expect(r.reason).toMatch(/no answer from fence_redfish within 1.5 s \(killed\)/);
    expect(ourAgents()).toEqual([]);
    bmc.setMode('normal');
  }, 20_000);

  it('the password appeared in no result, no log line and no process command line', async () => {
    const seen = await watch.stop();
    expect(seen.scans).toBeGreaterThan(100);
    expect(seen.hits).toEqual([]);
    expect(rig.outputs.length).toBeGreaterThan(5);
    for (const o of rig.outputs) expect(o).not.toContain(rig.password);
    for (const l of rig.logLines) expect(l).not.toContain(rig.password);
    watch = watchCmdlines(rig.password);
  });
});

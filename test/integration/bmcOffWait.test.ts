// Evidence ends the wait early, measured with a real BMC: fence_ipmilan
// against ipmi_sim, through the runner process. A chassis that reports OFF
// during the wait proves the host dead, so the recovery fences (as already off)
// long before the configured wait would have ended; an ON proves nothing and
// the wait runs its full length. Both compare with the wait step's own figures
// (pause x interval), never with wall-clock thresholds.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIpmiSim, type IpmiSim } from '../helpers/bmc/ipmiSim';
import { hostPayload, killAll, rawCall, requireBuild, sim, startSim, until } from '../helpers/processes';
import { startRunner, type RunnerHandle } from '../helpers/runnerProcess';

const PASSWORD = 'Pw-wait-0ff';
const cloud = {
  hosts: [0, 1, 2].map((id) => ({ id, name: `node-${id}`, cpu: 100_000, memory: 1 << 30 })),
  vms: [0, 1].flatMap((h) => [0, 1].map((i) => ({ id: 100 + h * 10 + i, name: `vm-${h}-${i}`, state: 'RUNNING', cpu: 0.1, memory: 64, history: [{ hostId: h, dsId: 0 }] }))),
  options: { schedulerIntervalMs: 100 },
};
const ENDED = ['completed', 'degraded', 'failed', 'fence-failed', 'came-back', 'held', 'skipped'];
type Step = { name: string; input: Record<string, any>; output: Record<string, any>; startedAt: number; endedAt: number };
const step = (d: { steps: Step[] }, name: string) => d.steps.find((x) => x.name === name)!;

beforeAll(() => requireBuild());
afterAll(() => killAll());

describe('a BMC reporting OFF ends the wait early (fence_ipmilan + ipmi_sim, real runner)', () => {
  const bmcs: IpmiSim[] = [];
  afterAll(async () => {
    await Promise.all(bmcs.map((b) => b.stop()));
  });

  /** A host whose only fence level is fence_ipmilan at a fresh ipmi_sim BMC, failed with `-m -p <pause>`. */
  async function failWithBmc(power: 'on' | 'off', monitoringSeconds: number, pause: number) {
    const s = await startSim(cloud);
    const bmc = await startIpmiSim({ password: PASSWORD, power: 'on' });
    bmcs.push(bmc);
    // The chassis loses power (or not) before the host is seen failed.
    if (power === 'off') bmc.setPower('off');
    await rawCall(s.url, 'one.host.update', [0, [
      'ONEHA_FENCE_AGENT = "fence_ipmilan"', 'FENCE_IP = "127.0.0.1"',
      `ONEHA_FENCE_OPTIONS = "ipport=${bmc.port} lanplus=1 cipher=3 power_wait=0 power_timeout=4"`,
    ].join('\n'), 1]);
    const r = await startRunner(s.url, {
      monitoring: { intervalSeconds: monitoringSeconds, pollSeconds: 0.5, monitordConf: '/nonexistent/monitord.conf' },
    }, { noFenceCommand: true, secrets: { default: { username: 'admin', password: PASSWORD } } });
    await sim(s.control, 'POST', '/hosts/0/fail');
    const res = await r.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, 0, `-m -p ${pause}`));
    expect(res.status).toBe(202);
    return { r, bmc, id: res.json.recoveryId as string };
  }
  const ended = (r: RunnerHandle, id: string, timeoutMs: number) => until(async () => {
    const d = (await r.api('GET', `/v1/recoveries/${id}`)).json;
    return ENDED.includes(d?.status) ? d : undefined;
  }, timeoutMs, `recovery ${id} to end`);

  it('OFF: "power off seen at" is journaled and the host is fenced as already off, long before pause x interval', async () => {
    // -p 5 with 30 s cycles: 150 s of waiting, far beyond this test's deadline.
    const { r, bmc, id } = await failWithBmc('off', 30, 5);
    const d = await ended(r, id, 60_000);
    expect(d.status).toBe('completed');
    const w = step(d, 'wait');
    const waited = w.output;
    expect(waited).toMatchObject({ result: 'power-off', intervalSeconds: 30, intervalSource: 'config', powerOffSeenBy: expect.stringContaining('fence_ipmilan') });
    // The wait's own deadline: pause x interval from when the failure was first seen.
    const waitEnd = w.input.since + w.input.pause * waited.intervalSeconds * 1000;
    expect(w.input.pause).toBe(5);
    expect(waited.powerReads).toBeGreaterThanOrEqual(1);
    expect(waited.powerOffSeenAt).toBeLessThan(waitEnd);
    expect(w.endedAt).toBeLessThan(waitEnd);
    // Fencing, and the VMs running elsewhere, came inside the wait it skipped.
    expect(step(d, 'fence').endedAt).toBeLessThan(waitEnd);
    expect(d.updatedAt).toBeLessThan(waitEnd);
    expect(r.proc.output()).toMatch(/host 0: power off seen at \d{4}-\d\d-\d\dT[\d:.]+Z \(fence_ipmilan .*status reported OFF\); the host is dead, not waiting the remaining \d+ s/);
    // Fenced as already off: a status read, no off sent; the chassis stays off.
    expect(d.fence).toMatchObject({ outcome: 'fenced', verified: true, power: 'off', method: 'fence_ipmilan' });
    expect(d.fence.attempts.map((a: { action: string }) => a.action)).toEqual(['status']);
    expect(bmc.power()).toBe('off');
    // The journal on disk holds the evidence with the wait step's result (a resumed flow reads it from there).
    const dir = join(r.env.ONEHA_DATA_DIR, 'journal');
    const journal = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    expect(journal).toContain(`"powerOffSeenAt":${waited.powerOffSeenAt}`);
  }, 90_000);

  it('ON: the BMC is read during the wait but the wait runs its full pause x interval, then the host is fenced', async () => {
    const { r, bmc, id } = await failWithBmc('on', 2, 3);
    const d = await ended(r, id, 60_000);
    expect(d.status).toBe('completed');
    const w = step(d, 'wait');
    const waited = w.output;
    expect(waited).toMatchObject({ result: 'still-failed', intervalSeconds: 2 });
    expect(waited.powerReads).toBeGreaterThanOrEqual(1);
    expect(waited.powerOffSeenAt).toBeUndefined();
    expect(w.endedAt).toBeGreaterThanOrEqual(w.input.since + w.input.pause * waited.intervalSeconds * 1000);
    expect(step(d, 'fence').startedAt).toBeGreaterThanOrEqual(w.endedAt);
    expect(r.proc.output()).not.toContain('power off seen at');
    expect(d.fence.attempts.map((a: { action: string }) => a.action)).toEqual(['status', 'off', 'status']);
    expect(bmc.power()).toBe('off');
  }, 90_000);
});

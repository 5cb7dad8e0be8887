// The console's "fence test" against a real BMC (ipmi_sim): it reads power
// and never changes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FenceMethod } from '../../model/fence';
import { realClock } from '../../model/ports';
import { runFenceTest } from '../../runner/fence/fenceTest';
import { createFenceRig, testHost, type FenceRig } from '../helpers/bmc/fenceRig';
import { startIpmiSim, type IpmiSim } from '../helpers/bmc/ipmiSim';
import { requireTools, TOOLS } from '../helpers/bmc/tools';

let rig: FenceRig;
let sim: IpmiSim;
const ipmi = (port: number, secretRef?: string): FenceMethod => ({
  kind: 'agent', agent: 'fence_ipmilan',
  options: { lanplus: '1', cipher: '3', power_wait: '0', power_timeout: '2', ipport: String(port) },
  ...(secretRef ? { secretRef } : {}),
});

beforeAll(async () => {
  requireTools(TOOLS.fenceIpmilan, TOOLS.ipmitool, TOOLS.ipmiSim);
  rig = createFenceRig();
  rig.secrets.set('wrong', { username: 'admin', password: 'not-the-one' });
  sim = await startIpmiSim({ password: rig.password });
});
afterAll(async () => {
  await sim?.stop();
  rig?.cleanup();
});

describe('runFenceTest', () => {
  it('reports a reachable BMC and its power, leaving an ON host on', async () => {
    sim.setPower('on');
    const h = testHost(21, { FENCE_IP: '127.0.0.1' });
    const r = await runFenceTest(h, [ipmi(sim.port), { kind: 'command', command: 'exit 0' }], rig.port(), realClock);
    expect(r).toMatchObject({ hostId: 21, reachable: true, power: 'on', method: 'fence_ipmilan' });
    expect(r.error).toBeUndefined();
    expect(r.durationMs).toBeGreaterThan(0);
    expect(sim.power()).toBe('on');
  }, 15_000);

  it('reports an OFF host as off and leaves it off', async () => {
    sim.setPower('off');
    const r = await runFenceTest(testHost(22, { FENCE_IP: '127.0.0.1' }), [ipmi(sim.port)], rig.port(), realClock);
    expect(r).toMatchObject({ reachable: true, power: 'off' });
    expect(sim.power()).toBe('off');
  }, 15_000);

  it('reports refused credentials in plain words', async () => {
    sim.setPower('on');
    const r = await runFenceTest(testHost(23, { FENCE_IP: '127.0.0.1' }), [ipmi(sim.port, 'wrong')], rig.port({ retries: 1 }), realClock);
    expect(r).toMatchObject({ reachable: false, error: 'BMC unreachable or credentials refused' });
    expect(sim.power()).toBe('on');
  }, 15_000);

  it('does not run a command method (it would fence) and says why', async () => {
    let called = false;
    const r = await runFenceTest(testHost(24, {}), [{ kind: 'command', command: 'exit 0' }], { power: async () => { called = true; return { ok: true, durationMs: 0 }; } }, realClock);
    expect(called).toBe(false);
    expect(r).toMatchObject({ reachable: false, method: 'command exit 0' });
    expect(r.error).toMatch(/cannot be tested/);
    expect((await runFenceTest(testHost(25, {}), [], rig.port(), realClock)).error).toMatch(/no fencing configured/);
  });
});

// The README's main command: `npm start` = `oneha demo --bmc`. A host failed
// from the demo controls is fenced through its simulated BMC with the real
// fence_ipmilan, verified OFF, its VMs moved, and the host left DISABLED.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, freePort, killAll, rawCall, requireBuild, run, startProcess, tempDir, until, writeFile, type Proc } from '../helpers/processes';

let demo: Proc;
let url = '';
let token = '';
const api = async (method: string, path: string) => {
  const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, json: await res.json() as any };
};

beforeAll(async () => {
  requireBuild();
  const dir = tempDir('oneha-demo-');
  demo = await startProcess([BUNDLE, 'demo', '--bmc', '--port', String(await freePort()), '--sim-port', String(await freePort())],
    { ONEHA_DATA_DIR: join(dir, 'data') }, (l) => l.includes('"ready":true'), 30_000);
  url = String(demo.ready.runnerUrl);
  token = String(demo.ready.token);
});
afterAll(() => killAll());

describe('oneha demo --bmc', () => {
  it('a failed host is fenced by its simulated BMC and its VMs recovered, without touching anything by hand', async () => {
    const hosts = (await api('GET', '/v1/hosts')).json.hosts as { id: number; fence: unknown }[];
    expect(hosts.length).toBe(4);
    expect((await api('POST', '/v1/demo/hosts/1/fail')).status).toBe(200);
    // It ends when its VMs run (verify): a deadline fit for a loaded machine, and whatever it ends in is shown.
    const ended = ['completed', 'degraded', 'failed', 'fence-failed', 'held', 'skipped', 'came-back'];
    const rec = await until(async () => (await api('GET', '/v1/recoveries?host=1')).json.recoveries.find((r: { status: string }) => ended.includes(r.status)), 150_000, 'the recovery');
    const d = (await api('GET', `/v1/recoveries/${rec.id}`)).json;
    expect(d.status, JSON.stringify({ ...d, payload: undefined }).slice(0, 2000)).toBe('completed');
    expect(d.trigger).toBe('hook'); // through deploy/onehook/onehook.sh, run by the simulated oned
    expect(d.fence).toMatchObject({ outcome: 'fenced', method: 'fence_ipmilan', verified: true, power: 'off' });
    expect(d.counts.recovered).toBeGreaterThan(0);
    expect(d.notRecovered.every((v: { reason: string }) => v.reason.length > 0)).toBe(true);
    const [, xml] = await rawCall(String(demo.ready.simUrl), 'one.host.info', [1]);
    expect(xml).toContain('<STATE>4</STATE>'); // left DISABLED
    expect(demo.output()).not.toMatch(/"password"/);
  }, 240_000);

  it('a real fencing failure stays a failure: no stand-in command hides it', async () => {
    const put = await fetch(`${url}/v1/hosts/2/credentials`, {
      method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'not-the-password' }),
    });
    expect(put.status).toBe(200);
    const host = (await api('GET', '/v1/hosts/2')).json;
    expect(host.fence.methods.map((m: { kind: string }) => m.kind)).toEqual(['agent']);
    expect((await api('POST', '/v1/demo/hosts/2/fail')).status).toBe(200);
    const rec = await until(async () => (await api('GET', '/v1/recoveries?host=2')).json.recoveries.find((r: { status: string }) => r.status !== 'running' && r.status !== 'received'), 60_000, 'the recovery to stop');
    expect(rec.status).toBe('fence-failed');
    const d = (await api('GET', `/v1/recoveries/${rec.id}`)).json;
    expect(d.fence).toMatchObject({ outcome: 'failed', verified: false });
    expect(d.fence.attempts.every((a: { level: number }) => a.level === 1)).toBe(true);
    expect(d.counts.recovered).toBe(0);
    // the VMs that are down with the host are listed, with their state from oned, before any plan
    const onHost = (await api('GET', '/v1/hosts/2')).json.vms;
    expect(d.plan).toBeUndefined();
    expect(d.downVms.length).toBe(onHost);
    expect(d.downVms.map((v: { state: string }) => v.state).sort()).toEqual(['ACTIVE/UNKNOWN', 'ACTIVE/UNKNOWN', 'POWEROFF']);
    const show = await run(process.execPath, [BUNDLE, 'show', rec.id], { env: { ONEHA_URL: url, ONEHA_TOKEN_FILE: writeFile(tempDir('oneha-demo-cli-'), 'token', token) } });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^STATUS +: FENCE-FAILED$/m);
    for (const v of d.downVms) expect(show.stdout).toMatch(new RegExp(`^ *${v.vmId} +${v.vmName} +\\S+ +— +down +— +— +not recovered: the host is not confirmed off`, 'm'));
  }, 90_000);
});

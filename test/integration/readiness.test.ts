// Readiness through the real runner and CLI against the simulator over real
// XML-RPC: the API (list and one host), the CLI's tables, the Prometheus
// gauges, the reads it takes and when (in the background, never per request),
// oned's hook (installed, probed through oned's hook manager, then run for
// real by a host failure) and oned's clock.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, freePort, killAll, rawCall, requireBuild, ROOT, run, sim, startSim, tempDir, until, writeFile } from '../helpers/processes';
import { RUNNER_TOKEN, startRunner, type RunnerHandle } from '../helpers/runnerProcess';

const GB = 1024 * 1024;
const hookDir = tempDir('oneha-hooks-');
const cloud = {
  hosts: [
    { id: 0, name: 'node-a', memory: 16 * GB, template: { FENCE_IP: '10.0.0.1' } },
    { id: 1, name: 'node-b', memory: 16 * GB, template: { FENCE_IP: '10.0.0.2', ONEHA_FENCING: 'NO' } },
    { id: 2, name: 'node-c', memory: 16 * GB, template: { FENCE_IP: '10.0.0.3', RESERVED_MEM: String(12 * GB) } },
  ],
  datastores: [
    { id: 0, name: 'system', type: 'SYSTEM', tmMad: 'shared' },
    { id: 1, name: 'default', type: 'IMAGE', tmMad: 'shared' },
    { id: 100, name: 'local_system', type: 'SYSTEM', tmMad: 'ssh', shared: 'NO' },
  ],
  vms: [
    { id: 10, name: 'db', state: 'RUNNING', memory: 8192, history: [{ hostId: 0, dsId: 0 }] },
    { id: 11, name: 'scratch', state: 'RUNNING', memory: 8192, history: [{ hostId: 0, dsId: 100 }], userTemplate: { ONEHA_HA: 'NO' } },
    { id: 12, name: 'web', state: 'RUNNING', memory: 1024, history: [{ hostId: 1, dsId: 100 }] },
    { id: 13, name: 'cache', state: 'RUNNING', memory: 2048, history: [{ hostId: 2, dsId: 0 }] },
  ],
  // oneha's hooks as deploy/onehook installs them: the real onehook.sh, which oned (the simulator) runs on HOST ERROR,
  // and on one.hook.update for the probe (deploy/onehook/probe.hook).
  hooks: [
    { id: 3, name: 'oneha_host_error', state: 'ERROR', command: join(hookDir, 'oneha', 'onehook.sh'), arguments: '$TEMPLATE -m -p 0', argumentsStdin: true, timeoutSeconds: 60, env: { ONEHA_HOOK_ENV: join(hookDir, 'hook.env'), ONEHA_HOOK_BUDGET: '10' } },
    { id: 4, name: 'oneha_probe', type: 'api', call: 'one.hook.update', command: join(hookDir, 'oneha', 'onehook.sh'), arguments: '$API', argumentsStdin: true, timeoutSeconds: 60, env: { ONEHA_HOOK_ENV: join(hookDir, 'hook.env'), ONEHA_HOOK_BUDGET: '2' } },
  ],
};

let r: RunnerHandle;
let s: Awaited<ReturnType<typeof startSim>>;
const REFRESH_SECONDS = 2;
/** A loaded machine runs the probe hook's shell and curl in well under this. */
const PROBE_TIMEOUT = 15;
const metric = async (re: RegExp) => re.exec(await (await fetch(`${r.url}/metrics`)).text());
beforeAll(async () => {
  requireBuild();
  mkdirSync(join(hookDir, 'oneha'));
  copyFileSync(join(ROOT, 'deploy/onehook/onehook.sh'), join(hookDir, 'oneha', 'onehook.sh'));
  s = await startSim(cloud);
  // hook.env before the runner: its first computation sends a probe at once.
  const port = await freePort();
  writeFile(hookDir, 'hook.env', `ONEHA_URL=http://127.0.0.1:${port}\nONEHA_TOKEN=${RUNNER_TOKEN}\n`);
  r = await startRunner(s.url, { readiness: { refreshSeconds: REFRESH_SECONDS, probeIntervalSeconds: 1, probeTimeoutSeconds: PROBE_TIMEOUT } }, { port });
});
afterAll(() => killAll());

describe('readiness (API, CLI, metrics) against the simulator', () => {
  it('GET /v1/readiness: a score per host with its parts and fixes, the reserve per cluster, and the reads it takes', async () => {
    const res = await r.api('GET', '/v1/readiness');
    expect(res.status, res.text).toBe(200);
    expect(res.json.reads).toEqual([
      'one.hostpool.info', 'one.vmpool.infoset (the hosts\' VMs, extended, 64 a call, one call after the other)', 'one.datastorepool.info', 'one.hookpool.info',
      'one.hook.info (oneha\'s hooks)', 'one.hook.update (the probe hook\'s nonce, at most once a probeIntervalSeconds)', 'one.system.version (its Date header)',
    ]);
    const by = (id: number) => res.json.hosts.find((h: { hostId: number }) => h.hostId === id);
    const failing = (id: number) => by(id).parts.filter((p: { ok: boolean | null }) => p.ok === false).map((p: { key: string }) => p.key);
    // node-a: db (8 GB) has 15 GB free on node-b and 4 GB on node-c (12 GB reserved); scratch opted out.
    expect(failing(0)).toEqual([]);
    // node-b: fencing off; its VM is on a local datastore.
    expect(failing(1)).toEqual(['fencing', 'datastores']);
    expect(by(1).parts.find((p: { key: string }) => p.key === 'fencing').fix).toMatch(/ONEHA_FENCING = "YES"/);
    // Fenced by the runner's command: no credentials needed, no status-only test possible.
    expect(by(0).parts.find((p: { key: string }) => p.key === 'fenceTest').ok).toBeNull();
    // The hook is in oned's hook pool and oned has never run it, but the probe came back through oned's hook manager. The clocks agree.
    expect(by(0).parts.find((p: { key: string }) => p.key === 'hook')).toMatchObject({
      ok: true, detail: expect.stringMatching(/^hook 3 \(oneha_host_error: .*\/oneha\/onehook.sh\) installed; the probe sent at \S+ came back through oned's hook manager in \d+\.\d s$/),
    });
    expect(by(0).parts.find((p: { key: string }) => p.key === 'clock')).toMatchObject({ ok: true, detail: expect.stringMatching(/^front-end \d+\.\d s \(± [\d.]+ s\) (ahead of|behind) oned/) });
    expect(by(0).score).toBe(100);
    expect(by(1).score).toBe(53); // 40 of the 75 known points (no fence level: credentials and test unknown)
    expect(res.json.clusters[0]).toMatchObject({ clusterId: 0, hosts: 3 });
  });

  it('GET /v1/hosts/:id/readiness: one host with its cluster\'s reserve; 404 for no host, 400 for a bad id', async () => {
    const one = await r.api('GET', '/v1/hosts/2/readiness');
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ hostId: 2, hostName: 'node-c', cluster: { clusterId: 0 } });
    expect((await r.api('GET', '/v1/hosts/99/readiness')).status).toBe(404);
    expect((await r.api('GET', '/v1/hosts/x/readiness')).status).toBe(400);
  });

  it('oneha readiness prints a table (worst first) and the reserve; with a host, each part and the fixes; gauges follow', async () => {
    const cli = (args: string[]) => run(process.execPath, [BUNDLE, ...args], { env: { ...r.env, ONEHA_URL: r.url } });
    const all = await cli(['readiness']);
    expect(all.code, all.stderr).toBe(0);
    const lines = all.stdout.split('\n');
    expect(lines[0]).toMatch(/^ID +HOST +SCORE +MISSING$/);
    expect(lines[1]).toMatch(/^ +1 +node-b +53 % +fencing, datastores$/);
    expect(all.stdout).toMatch(/^CAPACITY RESERVE$/m);
    const b = await cli(['readiness', 'node-b']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/^SCORE +: 53 %$/m);
    expect(b.stdout).toMatch(/^COMPUTED +: \d+ s ago \(--refresh for a fresh one\)$/m);
    const fresh = await cli(['readiness', 'node-b', '--refresh', '--json']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(JSON.parse(fresh.stdout).ageSeconds).toBeLessThanOrEqual(1);
    expect(b.stdout).toMatch(/^NO +fencing configured +20 +fencing is off/m);
    expect(b.stdout).toMatch(/^FIX$/m);
    expect(JSON.parse((await cli(['readiness', '1', '--json'])).stdout).score).toBe(53);
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metrics).toMatch(/^oneha_host_readiness_score\{host_id="1",host="node-b"\} 53$/m);
    expect(metrics).toMatch(/^oneha_cluster_reserve_ok\{cluster_id="0"\} [01]$/m);
  });

  it('answers the last computation with its age, never reading oned per request; the timer recomputes it and the gauges follow', async () => {
    const calls = async () => (await sim(s.control, 'GET', '/calls')).calls.filter((c: { method: string }) => c.method === 'one.vmpool.infoset').length;
    await until(async () => (await metric(/^oneha_readiness_computed_timestamp_seconds (\S+)$/m)) !== null, 20_000, 'the first background computation');
    // Requests read the last computation: oned is read at most twice per refresh interval (the timer, and one request
    // finding the answer older than the interval), however many requests arrive.
    const before = await calls();
    const t0 = Date.now();
    const answers = await Promise.all(Array.from({ length: 40 }, () => r.api('GET', '/v1/readiness')));
    const intervals = Math.floor((Date.now() - t0) / (REFRESH_SECONDS * 1000)) + 1;
    expect(await calls()).toBeLessThanOrEqual(before + 2 * intervals + 1);
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.json.ageSeconds).toBeGreaterThanOrEqual(0);
    }
    // Fencing switched on for node-b in oned: the background computation sees it; /metrics itself never reads oned.
    const [ok] = await rawCall(s.url, 'one.host.update', [1, 'ONEHA_FENCING = "YES"', 1]);
    expect(ok).toBe(true);
    const score = await until(async () => {
      const m = await metric(/^oneha_host_readiness_score\{host_id="1",host="node-b"\} (\d+)$/m);
      return m && m[1] !== '53' ? Number(m[1]) : undefined;
    }, 30_000, 'the gauge after the next computation');
    expect(score).toBe(82); // fencing passes now, and its command needs no credentials: 70 of 85
    expect(await metric(/^oneha_readiness_refresh_errors_total 0$/m)).not.toBeNull();
  });

  it('oned\'s clock 30 s ahead fails the clock part; ?refresh=1 waits for a fresh computation', async () => {
    await sim(s.control, 'POST', '/clock', { offsetSeconds: 30 });
    const res = await r.api('GET', '/v1/hosts/0/readiness?refresh=1');
    expect(res.status, res.text).toBe(200);
    expect(res.json.ageSeconds).toBeLessThanOrEqual(1); // computed for this request
    expect(res.json.parts.find((p: { key: string }) => p.key === 'clock')).toMatchObject({
      ok: false, detail: expect.stringMatching(/^front-end (2[89]|3[01])\.\d s \(± [\d.]+ s\) behind oned/), fix: expect.stringMatching(/chronyd or ntpd/),
    });
    await sim(s.control, 'POST', '/clock', { offsetSeconds: 0 });
    expect((await r.api('GET', '/v1/readiness?refresh=x')).status).toBe(400);
  });

  it('the probe: oned runs the probe hook (the real onehook.sh) on the runner\'s one.hook.update; noted, nothing else; other updates ignored', async () => {
    const probeRuns = async () => (await sim(s.control, 'GET', '/hooks')).runs.filter((x: { hookId: number }) => x.hookId === 4) as Array<{ code: number; stdout: string; stderr: string }>;
    const n = (await probeRuns()).length;
    const updates = (await sim(s.control, 'GET', '/calls')).calls.filter((c: { method: string }) => c.method === 'one.hook.update');
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.every((c: { params: unknown[] }) => c.params[1] === 4 && /^ONEHA_PROBE = "[0-9a-f]{32}"$/.test(String(c.params[2])) && c.params[3] === 1)).toBe(true);
    expect((await probeRuns()).some((x) => x.code === 0 && x.stdout === 'oneha: probe matched\n')).toBe(true);
    // An operator editing oneha's host-error hook runs the probe hook too: ignored.
    const [ok] = await rawCall(s.url, 'one.hook.update', [3, 'DESCRIPTION = "edited"', 1]);
    expect(ok).toBe(true);
    const ignored = await until(async () => (await probeRuns()).slice(n).find((x) => x.stdout.includes('ignored')), 20_000, 'the probe hook run of the other update');
    expect(ignored).toMatchObject({ code: 0, stdout: 'oneha: probe ignored\n' });
    // Test events start nothing and are not hook events: no recovery, nothing journaled.
    expect((await r.api('GET', '/v1/recoveries')).json.recoveries).toEqual([]);
    expect(await metric(/^oneha_hook_events_total 0$/m)).not.toBeNull();
  });

  it('a probe that does not come back (the hook\'s token is wrong) fails the part with onehook.sh\'s exit and the fix; fixed, it passes again', async () => {
    writeFile(hookDir, 'hook.env', `ONEHA_URL=${r.url}\nONEHA_TOKEN=not-the-token\n`);
    const part = async () => (await r.api('GET', '/v1/hosts/0/readiness?refresh=1')).json.parts.find((x: { key: string }) => x.key === 'hook');
    // The probe is waited for up to PROBE_TIMEOUT within the computation; a busy hook manager may record the run only after it (a later computation reads it).
    const lost = await until(async () => ((p) => (p.ok === false && / exited 2,/.test(p.detail) ? p : undefined))(await part()), 4 * PROBE_TIMEOUT * 1000, 'the probe counted lost');
    expect(lost).toMatchObject({
      detail: expect.stringMatching(/did not come back within 15 s; onehook.sh \(execution \d+ at \S+\) exited 2, the runner refused its token: oneha: wrong token \(401\)$/),
      fix: expect.stringMatching(/ONEHA_TOKEN/),
    });
    writeFile(hookDir, 'hook.env', `ONEHA_URL=${r.url}\nONEHA_TOKEN=${r.token}\n`);
    await until(async () => (await part()).ok === true || undefined, 4 * PROBE_TIMEOUT * 1000, 'the probe back');
  });

  it('a host failure runs oned\'s hook for real (onehook.sh to this runner): its execution record proves the runner is reachable', async () => {
    await sim(s.control, 'POST', '/hosts/2/fail');
    const run0 = await until(async () => (await sim(s.control, 'GET', '/hooks')).runs.find((x: { hookId: number }) => x.hookId === 3), 30_000, 'oned running the hook');
    expect(run0.code, run0.stderr).toBe(0);
    const part = await until(async () => {
      const p = (await r.api('GET', '/v1/hosts/0/readiness?refresh=1')).json.parts.find((x: { key: string }) => x.key === 'hook');
      return p.ok === true ? p : undefined;
    }, 20_000, 'the hook part after the run');
    expect(part.detail).toMatch(/installed; its last run \(execution 0 at \S+\) reached the runner; the probe sent at \S+ came back/);
    // Token changed under the hook: the next run (node-a failing) fails and the part names onehook.sh's exit and the fix.
    writeFile(hookDir, 'hook.env', `ONEHA_URL=${r.url}\nONEHA_TOKEN=not-the-token\n`);
    await sim(s.control, 'POST', '/hosts/0/fail');
    await until(async () => (await sim(s.control, 'GET', '/hooks')).runs.filter((x: { hookId: number }) => x.hookId === 3).length === 2 || undefined, 30_000, 'the second run');
    const failed = (await r.api('GET', '/v1/hosts/0/readiness?refresh=1')).json.parts.find((x: { key: string }) => x.key === 'hook');
    expect(failed).toMatchObject({ ok: false, detail: expect.stringMatching(/execution 1 at \S+\) failed with exit 2, the runner refused its token: oneha: wrong token \(401\)$/), fix: expect.stringMatching(/ONEHA_TOKEN.*onehook retry 3 1/) });
    // The right token again: probes come back (the failed run stays a failure until retried), and later computations do not wait them out.
    writeFile(hookDir, 'hook.env', `ONEHA_URL=${r.url}\nONEHA_TOKEN=${r.token}\n`);
  });

  it('oned failing: a fresh computation fails with 502; the last one is still answered, with the failure beside it, and counted', async () => {
    // Until cleared: the background computation (every 2 s) may read the pool between this fault and the request.
    await sim(s.control, 'POST', '/faults', { errors: [{ method: 'one.vmpool.infoset', code: 'INTERNAL', message: 'Error getting pool' }] });
    const failed = await r.api('GET', '/v1/readiness?refresh=1');
    expect(failed.status).toBe(502);
    expect(failed.json.error.code).toBe('oned');
    const last = await r.api('GET', '/v1/readiness');
    expect(last.status).toBe(200);
    expect(last.json.hosts).toHaveLength(3);
    expect(last.json.error).toMatchObject({ message: expect.stringMatching(/Error getting pool/), at: expect.any(Number) });
    expect(Number((await metric(/^oneha_readiness_refresh_errors_total (\d+)$/m))![1])).toBeGreaterThanOrEqual(1);
    // oned answering again: the next computation clears it.
    await sim(s.control, 'DELETE', '/faults');
    expect((await r.api('GET', '/v1/readiness?refresh=1')).status).toBe(200);
    expect((await r.api('GET', '/v1/readiness')).json.error).toBeUndefined();
  });

  it('oned down for a while (the simulator process stops listening, then comes back): computations fail, then recover', async () => {
    await sim(s.control, 'POST', '/down', { forMs: 2000 });
    expect((await r.api('GET', '/v1/readiness?refresh=1')).status).toBe(502);
    expect((await r.api('GET', '/v1/readiness')).json.error.message).toMatch(/cannot reach oned/);
    await until(async () => (await r.api('GET', '/v1/readiness?refresh=1')).status === 200 || undefined, 30_000, 'oned back');
    expect((await r.api('GET', '/v1/readiness')).json.error).toBeUndefined();
  });
});

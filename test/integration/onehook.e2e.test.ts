// deploy/onehook/onehook.sh run by the simulated oned exactly as the hook
// execution manager runs it (payload on stdin, no argv, a working directory,
// a timeout), against the real runner process.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, requireBuild, ROOT, sim, startSim, tempDir, until, writeFile } from '../helpers/processes';
import { startRunner, type RunnerHandle } from '../helpers/runnerProcess';

type HookRun = { hostId: number; code: number; stdout: string; stderr: string; stdin: string | null; argv: string[]; durationMs: number };

let s: Awaited<ReturnType<typeof startSim>>;
let r: RunnerHandle;
let dir: string;
const hookEnv = (token: string) => writeFile(dir, 'hook.env', `ONEHA_URL=${r.url}\nONEHA_TOKEN=${token}\n`);
const runFor = async (hostId: number, timeoutMs = 20_000) =>
  until(async () => ((await sim(s.control, 'GET', '/hooks')).runs as HookRun[]).find((x) => x.hostId === hostId), timeoutMs, `the hook run for host ${hostId}`);

beforeAll(async () => {
  requireBuild();
  dir = tempDir('oneha-hook-');
  const vms = [1, 2, 3, 4].flatMap((h) => [0, 1].map((i) => ({ id: h * 10 + i, name: `vm-${h}-${i}`, state: 'RUNNING', cpu: 0.1, memory: 64, history: [{ hostId: h, dsId: 0 }] })));
  s = await startSim({
    hosts: Array.from({ length: 8 }, (_, i) => ({ id: i, name: `node-${i}`, cpu: 100_000, memory: 1 << 30 })),
    vms,
    hooks: [{
      name: 'oneha_host_error', state: 'ERROR', command: join(ROOT, 'deploy', 'onehook', 'onehook.sh'),
      arguments: '$TEMPLATE -m -p 0', argumentsStdin: true, timeoutSeconds: 60, cwd: dir,
      env: { ONEHA_HOOK_ENV: join(dir, 'hook.env'), ONEHA_HOOK_BUDGET: '20', PATH: process.env.PATH ?? '/usr/bin:/bin' },
    }],
  });
  r = await startRunner(s.url);
  hookEnv(r.token);
});
afterAll(() => killAll());

describe('the onehook script as OpenNebula runs it', () => {
  it('a host enters ERROR -> the hook posts its stdin -> the recovery completes', async () => {
    await sim(s.control, 'POST', '/hosts/1/fail');
    const run = await runFor(1);
    expect(run.argv).toEqual([]);
    expect(run.stdin).toMatch(/^[A-Za-z0-9+/=]+ -m -p 0$/); // no trailing newline
    expect(run.code).toBe(0);
    const id = /recovery (\S+) accepted/.exec(run.stdout)?.[1];
    expect(id, run.stdout + run.stderr).toBeTruthy();
    const d = await until(async () => {
      const x = (await r.api('GET', `/v1/recoveries/${id}`)).json;
      return x.status === 'completed' ? x : undefined;
    }, 20_000, 'completion');
    expect(d.hostId).toBe(1);
    expect(r.fenced()).toEqual(['1']);
  });

  it('runner down for a few seconds, then up: the script retries and succeeds', async () => {
    await r.kill('SIGKILL');
    await sim(s.control, 'POST', '/hosts/2/fail');
    await new Promise((res) => setTimeout(res, 2000));
    await r.restart();
    // The budget (20 s) covers a restart on a loaded machine; the hook runs until the runner answers.
    const run = await runFor(2, 60_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.durationMs).toBeGreaterThan(1500);
    const id = /recovery (\S+) (accepted|joined|duplicate)/.exec(run.stdout)![1];
    const d = await until(async () => { const x = (await r.api('GET', `/v1/recoveries/${id}`)).json; return ['completed', 'degraded', 'failed', 'held', 'fence-failed'].includes(x.status) ? x : undefined; }, 20_000, 'completion');
    expect(d.status, JSON.stringify(d).slice(0, 2000)).toBe('completed');
  }, 120_000);

  it('runner down longer than the budget: non-zero exit with a clear message, within the budget', async () => {
    await r.kill('SIGKILL');
    await sim(s.control, 'POST', '/hosts/3/fail');
    const run = await runFor(3, 60_000);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/oneha: runner unreachable at http:\/\/127\.0\.0\.1:\d+ for 20s/);
    expect(run.durationMs).toBeLessThan(59_000); // gave up by itself (code 4), before runFor's 60 s kill
    await r.restart();
    // On start the runner reconciles: host 3, whose hook gave up, still gets its recovery.
    const rec = await until(async () => (await r.api('GET', '/v1/recoveries?host=3')).json.recoveries.find((x: { trigger: string; status: string }) => x.trigger === 'reconciled' && x.status === 'completed'), 20_000, 'reconciliation of host 3');
    expect(rec).toBeTruthy();
  }, 120_000);

  it('wrong token: non-zero exit with a clear message, and nothing runs', async () => {
    hookEnv('definitely-not-the-token');
    await sim(s.control, 'POST', '/hosts/4/fail');
    const run = await runFor(4);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('oneha: wrong token (401)');
    await new Promise((res) => setTimeout(res, 500));
    // The rejected request started nothing (the periodic reconciler is off in this test).
    expect((await r.api('GET', '/v1/recoveries?host=4')).json.total).toBe(0);
    expect(r.fenced()).not.toContain('4');
  });
});

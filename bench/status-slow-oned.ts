// status-slow-oned: GET /v1/status (and the other reads) while every oned
// call takes 5 s and 16 recoveries hold the flows' sockets. Beside it, in the
// same run, what one call to that oned takes: what a status that asked oned
// on the request path (as before) would have waited at least.
import { OneClient } from '../runner/one/client';
import { generateScenario } from '../sim/scenario';
import { hostPayloads } from './lib/hooks';
import { requireBuild, simApi, sleep, startRunner, startSim, until } from './lib/procs';
import { int, ms, percentile, runIfMain, timed, type BenchResult, type Row } from './lib/report';

const LATENCY_MS = 5000;
const FAILED_HOSTS = 16;
const ROUNDS = 5;
const CONCURRENT = 50;

async function timedFetch(url: string, token: string): Promise<{ ms: number; status: number; age?: string; body: any }> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.json().catch(() => undefined);
  return { ms: performance.now() - t0, status: res.status, age: res.headers.get('age') ?? undefined, body };
}

export async function run(): Promise<BenchResult> {
  requireBuild();
  return timed(async () => {
    const sim = await startSim(generateScenario({ hosts: FAILED_HOSTS + 8, vmsPerHost: 2 }));
    try {
      const runner = await startRunner(sim.url, {
        monitoring: { intervalSeconds: 1, pollSeconds: 1, monitordConf: '/nonexistent/monitord.conf' },
        reconcile: { intervalSeconds: 0 },
        brakes: { massFailure: { share: 1, count: 0, windowSeconds: 600 } },
      });
      try {
        const status = `${runner.url}/v1/status`;
        await until(async () => (await timedFetch(status, runner.token)).body?.oned?.reachable === true, 30_000, 'the first look at oned');
        await timedFetch(`${runner.url}/v1/hosts`, runner.token);
        const ids = Array.from({ length: FAILED_HOSTS }, (_, i) => i);
        for (const id of ids) await simApi(sim.control, 'POST', `/hosts/${id}/fail`);
        const payloads = await hostPayloads(sim.url, ids, '-m -p 0');
        await simApi(sim.control, 'POST', '/faults', { latencyMs: LATENCY_MS });
        // 16 recoveries start, each waiting 5 s on every oned call: the flows' 9 sockets are all busy.
        for (const id of ids) {
          const r = await fetch(`${runner.url}/v1/hooks/host-error`, { method: 'POST', headers: { authorization: `Bearer ${runner.token}`, 'content-type': 'text/plain' }, body: payloads.get(id) });
          if (r.status !== 202) throw new Error(`hook for host ${id}: ${r.status} ${await r.text()}`);
        }
        // The baseline: one call to this oned, as a status asking oned on the request path would make.
        const direct = new OneClient({ endpoint: sim.url, session: 'oneadmin:oneadmin', timeoutMs: 60_000 });
        const d0 = performance.now();
        const directCall = direct.systemVersion().then(() => performance.now() - d0);

        const statusMs: number[] = [];
        const healthMs: number[] = [];
        let ages: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const batch = await Promise.all(Array.from({ length: CONCURRENT }, () => timedFetch(status, runner.token)));
          if (batch.some((b) => b.status !== 200)) throw new Error(`GET /v1/status answered ${batch.find((b) => b.status !== 200)!.status}`);
          statusMs.push(...batch.map((b) => b.ms));
          ages = batch.map((b) => Number(b.body.oned.checkedAgoSeconds ?? NaN));
          // The floor: the same burst of the cheapest request (GET /healthz) on the same runner, now.
          healthMs.push(...(await Promise.all(Array.from({ length: CONCURRENT }, () => timedFetch(`${runner.url}/healthz`, runner.token)))).map((b) => b.ms));
          await sleep(1000);
        }
        const hostsMs: Array<{ ms: number; age?: string }> = [];
        for (let i = 0; i < 6; i++) {
          hostsMs.push(await timedFetch(`${runner.url}/v1/hosts`, runner.token));
          await sleep(500);
        }
        const one = await timedFetch(`${runner.url}/v1/hosts/${FAILED_HOSTS + 1}`, runner.token);
        const directMs = await directCall;
        direct.close();
        const running = (await timedFetch(`${runner.url}/v1/status`, runner.token)).body.flows.running as number;
        const p99 = percentile(statusMs, 99);
        const hostsP99 = percentile(hostsMs.map((h) => h.ms), 99);
        const rows: Row[] = [
          { metric: `one oned call (one.system.version) at ${LATENCY_MS / 1000} s latency: the baseline`, value: ms(directMs) },
          { metric: `GET /v1/status, ${CONCURRENT} at once x ${ROUNDS}: p50`, value: ms(percentile(statusMs, 50), 2) },
          { metric: `GET /v1/status: p99`, value: ms(p99, 2), target: `< a tenth of one oned call (${ms(directMs / 10, 0)})`, verdict: p99 < directMs / 10 ? 'PASS' : 'FAIL' },
          { metric: 'GET /v1/status: max', value: ms(Math.max(...statusMs), 2) },
          { metric: `GET /healthz, the same ${CONCURRENT} at once right after (any request's floor here): p50 / p99`, value: `${ms(percentile(healthMs, 50), 2)} / ${ms(percentile(healthMs, 99), 2)}` },
          { metric: 'age of the oned answer shown in the last round', value: `${Math.min(...ages).toFixed(1)}–${Math.max(...ages).toFixed(1)} s` },
          { metric: 'GET /v1/hosts (pool read before the slowdown, served when oned takes over 250 ms): p99', value: ms(hostsP99, 2), target: '< 1 s (250 ms wait + serving)', verdict: hostsP99 < 1000 ? 'PASS' : 'FAIL' },
          { metric: 'Age header of GET /v1/hosts', value: `${hostsMs[0].age ?? '-'} … ${hostsMs.at(-1)!.age ?? '-'} s` },
          { metric: 'GET /v1/hosts/:id (one oned call on the read sockets, 16 flows holding the flows\' sockets)', value: ms(one.ms), target: `about one call (${LATENCY_MS / 1000} s), not queued behind the flows`, verdict: one.ms < 2 * LATENCY_MS ? 'PASS' : 'FAIL' },
          { metric: 'flows running while measured', value: int(running) },
        ];
        return {
          name: 'status-slow-oned',
          title: `status-slow-oned: reads while oned answers in ${LATENCY_MS / 1000} s`,
          method: [
            `Simulator process (${FAILED_HOSTS + 8} hosts, 2 VMs each), runner process (\`node dist/oneha.mjs serve\`, mass-failure brake off). After the runner's first look at oned and a first GET /v1/hosts, ${FAILED_HOSTS} hosts fail, every oned call is given ${LATENCY_MS / 1000} s of latency (the simulator's fault API), and ${FAILED_HOSTS} hook events start ${FAILED_HOSTS} recoveries (\`-m -p 0\`), which keep the flows' 9 oned sockets busy.`,
            `Then ${ROUNDS} rounds, 1 s apart, of ${CONCURRENT} concurrent GET /v1/status (latency from send to the parsed JSON) followed by ${CONCURRENT} concurrent GET /healthz (the floor: what any request costs on this machine now), 6 GET /v1/hosts 0.5 s apart, and one GET /v1/hosts/:id, which asks oned for that host on the reads' own sockets. The baseline, in the same run: one direct one.system.version call to the slowed oned from the bench.`,
          ],
          rows,
          notes: ['Before this change GET /v1/status called one.system.version on the request path, sharing 12 sockets with the flows: with oned at 5 s a status took at least 5 s, and 50 at once took 25 s (issue 10). The status answers from memory now; what is left is the cost of any HTTP request on this (shared) machine, shown by the /healthz rows.'],
        };
      } finally {
        await runner.proc.stop();
      }
    } finally {
      await sim.stop();
    }
  });
}

runIfMain(import.meta.url, run);

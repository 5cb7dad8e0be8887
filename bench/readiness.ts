// readiness: every host's readiness score and the per-cluster capacity
// reserve (N+1 and K largest) for 2,500 hosts / 50,000 VMs. The reads it
// needs (one.hostpool.info, one.vmpool.infoextended, one.datastorepool.info)
// are made once against the simulator over real XML-RPC and reported; the
// computation (runner/readiness.ts poolReadiness) is timed on their result,
// in 25 clusters of 100 hosts and in one cluster of 2,500 (the reserve's
// worst case: every host's VMs placed against every other host).
import { OneClient } from '../runner/one/client';
import { poolReadiness, type ReadinessInput } from '../runner/readiness';
import { generateScenario } from '../sim/scenario';
import { requireBuild, startSim } from './lib/procs';
import { int, median, ms, runIfMain, timed, type BenchResult } from './lib/report';

const HOSTS = 2500;
const VMS_PER_HOST = 20;
const CLUSTER_SIZE = 100;
const RUNS = 3;
const TARGET_MS = 2000;

export async function run(): Promise<BenchResult> {
  requireBuild();
  return timed(async () => {
    const scenario = generateScenario({ hosts: HOSTS, vmsPerHost: VMS_PER_HOST });
    scenario.hosts = scenario.hosts!.map((h, i) => ({ ...h, clusterId: Math.floor(i / CLUSTER_SIZE), cluster: `c${Math.floor(i / CLUSTER_SIZE)}` }));
    const sim = await startSim(scenario);
    try {
      const one = new OneClient({ endpoint: sim.url, session: 'oneadmin:oneadmin', timeoutMs: 600_000 });
      // One after the other: the simulator is one process, and its 50,000-VM reply would hold the small ones past their timeout.
      const t0 = performance.now();
      const hosts = await one.hostPoolInfo();
      const datastores = await one.datastorePoolInfo();
      const t1 = performance.now();
      const vms = await one.vmPoolInfoExtended(-2, -1, -1, -1);
      const readMs = performance.now() - t0;
      const vmReadMs = performance.now() - t1;
      const input = (h = hosts): ReadinessInput => ({
        hosts: h, vms, datastores, now: Date.now(), defaults: { mode: 'migrate', pause: 2, force: false, fencing: true },
        fenceMethods: () => [{ kind: 'agent', agent: 'fence_ipmilan', options: {} }],
        credentialsSet: () => true, lastFenceTest: () => ({ reachable: true, at: Date.now() }), fenceTestMaxAgeMs: 86_400_000,
        unlockLocked: false, reserveK: 2, hook: { ok: true, detail: 'bench' }, clockSkewMs: 0, maxClockSkewMs: 5000,
      });
      const timeIt = (h = hosts) => {
        const times: number[] = [];
        let r: ReturnType<typeof poolReadiness> | undefined;
        for (let i = 0; i < RUNS + 1; i++) {
          const t = performance.now();
          r = poolReadiness(input(h));
          if (i > 0) times.push(performance.now() - t); // the first run warms the JIT
        }
        return { ms: median(times), r: r! };
      };
      const clustered = timeIt();
      const single = timeIt(hosts.map((h) => ({ ...h, clusterId: 0, cluster: 'one' })));
      const scored = clustered.r.hosts.filter((h) => h.score !== null).length;
      const ok = scored === HOSTS && clustered.ms < TARGET_MS && single.ms < TARGET_MS;
      return {
        name: 'readiness',
        title: `readiness: ${int(HOSTS)} hosts / ${int(vms.length)} VMs, score per host and capacity reserve`,
        method: [
          `Scenario: \`generateScenario({ hosts: ${int(HOSTS)}, vmsPerHost: ${VMS_PER_HOST} })\`, hosts in clusters of ${CLUSTER_SIZE}; the simulator over real XML-RPC.`,
          'Reads: one.hostpool.info, one.datastorepool.info, then one.vmpool.infoextended(-2,-1,-1,-1) (full bodies: the per-VM ONEHA_* attributes are in USER_TEMPLATE), once each; wall clock in the bench process (the simulator building the reply, XML-RPC, parsing, zod).',
          `Compute: \`poolReadiness\` (runner/readiness.ts: every part of every host, select's rule per host, the N+1 and K=2 reserve per cluster) on those reads; median of ${RUNS} runs after one warm-up, in ${HOSTS / CLUSTER_SIZE} clusters of ${CLUSTER_SIZE} and again with all hosts in one cluster.`,
        ],
        rows: [
          { metric: 'reads (3 calls, once)', value: ms(readMs, 0), verdict: 'INFO' },
          { metric: 'of which one.vmpool.infoextended', value: ms(vmReadMs, 0), verdict: 'INFO' },
          { metric: `compute, ${HOSTS / CLUSTER_SIZE} clusters of ${CLUSTER_SIZE}`, value: ms(clustered.ms), target: `< ${TARGET_MS} ms`, verdict: clustered.ms < TARGET_MS ? 'PASS' : 'FAIL' },
          { metric: `compute, one cluster of ${int(HOSTS)}`, value: ms(single.ms), target: `< ${TARGET_MS} ms`, verdict: single.ms < TARGET_MS ? 'PASS' : 'FAIL' },
          { metric: 'hosts scored', value: `${int(scored)} of ${int(HOSTS)}`, verdict: scored === HOSTS ? 'PASS' : 'FAIL' },
          { metric: 'clusters N+1 ok (clustered)', value: `${clustered.r.clusters.filter((c) => c.n1).length} of ${clustered.r.clusters.length}`, verdict: 'INFO' },
        ],
        tables: [],
        notes: ok ? [] : ['A target was missed: see the rows above.'],
      };
    } finally {
      await sim.stop();
    }
  });
}

runIfMain(import.meta.url, run);

// runner-memory: resident memory of the runner process idle after start,
// and with 50 recovery flows in progress (50 hosts in ERROR, each flow in a
// long wait for its host to come back).
import { generateScenario } from '../sim/scenario';
import { hostPayloads } from './lib/hooks';
import { procMemory, requireBuild, simApi, sleep, startRunner, startSim, until } from './lib/procs';
import { int, runIfMain, timed, type BenchResult } from './lib/report';

const FLOWS = 50;
const HOSTS = 100;
const VMS_PER_HOST = 20;
/** 150 MB read strictly as 150,000,000 bytes (143.1 MiB). */
const TARGET_BYTES = 150_000_000;
const SETTLE_MS = 3000;

const mibOf = (kib: number) => kib / 1024;

export async function run(): Promise<BenchResult> {
  requireBuild();
  return timed(async () => {
    const sim = await startSim(generateScenario({ hosts: HOSTS, vmsPerHost: VMS_PER_HOST }));
    try {
      const runner = await startRunner(sim.url, {
        // -p 60 x 60 s: an hour of waiting, polled every 6 s.
        monitoring: { intervalSeconds: 60, monitordConf: '/nonexistent/monitord.conf' },
        concurrency: { flows: 64 },
        reconcile: { intervalSeconds: 0 },
      });
      try {
        await sleep(SETTLE_MS);
        const idle = procMemory(runner.proc.pid);
        // Hosts fail after the runner started (its start-up reconciliation found none), then their hooks fire.
        const ids = Array.from({ length: FLOWS }, (_, i) => i);
        for (const id of ids) await simApi(sim.control, 'POST', `/hosts/${id}/fail`);
        const payloads = await hostPayloads(sim.url, ids, '-m -p 60');
        const answers = await Promise.all(ids.map((id) => runner.api<{ status: string }>('POST', '/v1/hooks/host-error', { payload: payloads.get(id)! })));
        const accepted = answers.filter((a) => a.status === 202 && a.json.status === 'accepted').length;
        type Summary = { status: string; currentStep?: string };
        const waiting = await until(async () => {
          const r = await runner.api<{ recoveries: Summary[] }>('GET', '/v1/recoveries?status=running&limit=5000');
          const n = r.json.recoveries.filter((x) => x.currentStep === 'wait').length;
          return n >= FLOWS ? n : undefined;
        }, 30_000, `${FLOWS} flows in their wait step`);
        await sleep(SETTLE_MS);
        const busy = procMemory(runner.proc.pid);
        const status = await runner.api<{ flows: { running: number; queued: number } }>('GET', '/v1/status');
        const stillWaiting = (await runner.api<{ recoveries: Summary[] }>('GET', '/v1/recoveries?status=running&limit=5000')).json.recoveries.filter((x) => x.currentStep === 'wait').length;
        const rssMiB = mibOf(busy.rssKiB);
        const notes: string[] = [];
        const rssBytes = busy.rssKiB * 1024;
        if (rssBytes >= TARGET_BYTES) notes.push(`RSS ${rssMiB.toFixed(1)} MiB with ${FLOWS} flows misses the 150 MB target.`);
        if (stillWaiting < FLOWS) notes.push(`Only ${stillWaiting} flows were still waiting when RSS was read.`);
        return {
          name: 'runner-memory',
          title: `runner-memory: RSS idle and with ${FLOWS} flows in progress`,
          method: [
            `Simulator process with \`generateScenario({ hosts: ${HOSTS}, vmsPerHost: ${VMS_PER_HOST} })\` (${int(HOSTS * VMS_PER_HOST)} VMs, every host MONITORED at start). Runner process \`node dist/oneha.mjs serve\` (file journal, \`concurrency.flows: 64\`, \`monitoring.intervalSeconds: 60\`, \`reconcile.intervalSeconds: 0\`).`,
            `Idle: VmRSS from /proc/<pid>/status ${SETTLE_MS / 1000} s after the runner printed "listening on" (leader check and start-up reconciliation done, no flow).`,
            `With flows: hosts 0-${FLOWS - 1} are failed through the simulator's control API (ERROR, their VMs UNKNOWN), then one hook event per host is posted with \`-m -p 60\` (wait 60 cycles of 60 s). Once all ${FLOWS} flows are running with \`wait\` as their current step (GET /v1/recoveries), ${SETTLE_MS / 1000} s later, VmRSS is read again. VmHWM (peak RSS) is reported too. No forced GC.`,
          ],
          rows: [
            { metric: 'RSS idle after start', value: `${mibOf(idle.rssKiB).toFixed(1)} MiB` },
            { metric: `events accepted / flows in wait`, value: `${accepted} / ${waiting}`, target: `${FLOWS} / ${FLOWS}`, verdict: accepted === FLOWS && waiting >= FLOWS ? 'PASS' : 'FAIL' },
            { metric: `RSS with ${FLOWS} flows in progress`, value: `${rssMiB.toFixed(1)} MiB (${(rssBytes / 1e6).toFixed(1)} MB)`, target: '< 150 MB (150,000,000 B = 143.1 MiB)', verdict: rssBytes < TARGET_BYTES ? 'PASS' : 'FAIL' },
            { metric: 'peak RSS (VmHWM) so far', value: `${mibOf(busy.hwmKiB).toFixed(1)} MiB` },
            { metric: 'runner /v1/status flows running / queued', value: `${status.json.flows.running} / ${status.json.flows.queued}` },
          ],
          notes,
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

// verify-1000: what watching the VMs costs. 1,000 VMs of a failed host are
// rescheduled on the simulator with 5 ms per call and a scheduler placing 50
// VMs per second (5 per 100 ms pass); verify then watches them with its
// default 5 s poll. Measured side by side: when the last VM really reached
// RUNNING (the simulator, watched in-process every 10 ms) and when verify
// reported it, and how many one.vmpool.infoset calls each poll made.
import { carryOut } from '../functions/carryOut';
import { noProgress, silentLog, realClock } from '../model/ports';
import { verifyVms, VERIFY_CHUNK } from '../functions/verify';
import { OneClient } from '../runner/one/client';
import { generateScenario, startSimulator } from '../sim/server';
import { int, runIfMain, timed, type BenchResult } from './lib/report';

const VMS = 1000;
const POLL_SECONDS = 5;

export async function run(): Promise<BenchResult> {
  return timed(async () => {
    const scenario = generateScenario({ hosts: 4, vmsPerHost: VMS, vmCpu: 0.01, vmMemory: 16, options: { schedulerIntervalMs: 100, schedulerMaxPerPass: 5, latencyMs: 5 } });
    // Only host 1 carries VMs worth recovering: the others start empty.
    scenario.vms = (scenario.vms ?? []).filter((v) => (v.history ?? []).at(-1)?.hostId === 1);
    const sim = await startSimulator({ scenario, port: 0 });
    const one = new OneClient({ endpoint: sim.url, session: 'oneadmin:oneadmin', timeoutMs: 30_000 });
    try {
      const ids = (scenario.vms ?? []).map((v) => v.id as number);
      sim.cloud.failHost(1);
      const failedAt = Date.now();
      const actions = ids.map((id) => ({ vmId: id, vmName: `vm-${id}`, state: 'ACTIVE/UNKNOWN', operation: 'resched' as const }));
      const ports = { one, clock: realClock, log: silentLog, progress: noProgress };
      await carryOut({ hostId: 1, actions, concurrency: 8, tries: 3, retryDelayMs: 1000, dryRun: false }, ports);

      // The truth, independent of verify: the moment the last VM is RUNNING on another host.
      let lastRunningAt = 0;
      const watcher = setInterval(() => {
        if (lastRunningAt) return;
        if (ids.every((id) => { const v = sim.cloud.vm(id)!; return v.lcmState === 3 && v.hostId !== 1; })) lastRunningAt = Date.now();
      }, 10);
      sim.resetCalls();
      const t0 = Date.now();
      const r = await verifyVms({
        hostId: 1, failedAt, pollSeconds: POLL_SECONDS, deadlineAt: t0 + 600_000, unlockLocked: false,
        ladder: { retries: 2, recreate: false, backoffSeconds: 10 },
        vms: actions.map((a) => ({ vmId: a.vmId, vmName: a.vmName, operation: a.operation })),
      }, ports);
      const doneAt = Date.now();
      clearInterval(watcher);
      const reads = sim.calls.filter((c) => c.method === 'one.vmpool.infoset');
      const maxPerPoll = Math.ceil(VMS / VERIFY_CHUNK);
      const lastSeen = Math.max(...r.vms.map((v) => v.at));
      const added = lastSeen - lastRunningAt;
      const okAdded = r.stuck === 0 && lastRunningAt > 0 && added <= POLL_SECONDS * 1000;
      const okReads = reads.length <= r.polls * maxPerPoll && reads.every((c) => String(c.params[1]).split(',').length <= VERIFY_CHUNK);
      return {
        name: 'verify-1000',
        title: 'verify-1000: watching 1,000 recovered VMs until they run',
        method: [
          `In-process simulator, 4 hosts, ${int(VMS)} RUNNING VMs on host 1, 5 ms per call, the scheduler placing 50 VMs/s (5 per 100 ms pass). Host 1 fails; every VM is rescheduled (carry-out, 8 at a time), then \`verify\` watches them with a ${POLL_SECONDS} s poll on the real clock.`,
          'The last VM\'s real RUNNING time comes from the simulator itself (checked every 10 ms in-process), not from verify.',
        ],
        rows: [
          { metric: 'VMs running elsewhere / stuck', value: `${int(r.running)} / ${int(r.stuck)}`, target: `${int(VMS)} / 0`, verdict: r.running === VMS ? 'PASS' : 'FAIL' },
          { metric: 'verify saw the last VM running after it did', value: `${(added / 1000).toFixed(2)} s`, target: `≤ one poll (${POLL_SECONDS} s)`, verdict: okAdded ? 'PASS' : 'FAIL' },
          { metric: 'one.vmpool.infoset calls', value: `${int(reads.length)} in ${int(r.polls)} polls (at most ${maxPerPoll} per poll, ≤ ${VERIFY_CHUNK} VMs each)`, target: `≤ 1 per ${VERIFY_CHUNK} VMs per poll`, verdict: okReads ? 'PASS' : 'FAIL' },
          { metric: 'MTTR (host ERROR → last VM running, as verify reports it)', value: `${((r.mttrMs ?? NaN) / 1000).toFixed(1)} s`, verdict: 'INFO' },
          { metric: 'last VM really running after the failure', value: `${((lastRunningAt - failedAt) / 1000).toFixed(1)} s`, verdict: 'INFO' },
          { metric: 'verify step duration', value: `${((doneAt - t0) / 1000).toFixed(1)} s`, verdict: 'INFO' },
        ],
        notes: ['The scheduler\'s pace (50 VMs/s) sets the floor: 1,000 VMs cannot all run before ~20 s. Verify adds at most one poll on top, and reads only the VMs it still waits for.'],
        verdict: r.running === VMS && okAdded && okReads ? 'PASS' : 'FAIL',
      };
    } finally {
      one.close();
      await sim.close();
    }
  });
}

runIfMain(import.meta.url, run);

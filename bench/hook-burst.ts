// hook-burst: a storm at the front door. 200 different hosts' hook events
// posted within one second (open loop, on loopback) to the runner as a real
// process on a simulator process; latency from the scheduled send to the 202.
// Beside it, in the same run, the same burst to a runner that starts no flow
// (Raft FOLLOWER): the acknowledgement path alone, the floor of the figure.
import { existsSync } from 'node:fs';
import { fsyncLatency, measure, type Measured } from './hook-ack-latency';
import { requireBuild, tempDir } from './lib/procs';
import { int, ms, percentile, runIfMain, timed, type BenchResult, type Row } from './lib/report';

const HOSTS = 200;
const TARGET_P99_MS = 100;

export async function run(): Promise<BenchResult> {
  requireBuild();
  return timed(async () => {
    // measure() posts rate x seconds events, one per host: 200 in 1 s.
    const burst = await measure({ label: `${HOSTS} hosts in 1 s, flows run, journal on disk`, noFlows: false, tmpfs: false, seconds: 1 }, HOSTS);
    const floor = await measure({ label: `${HOSTS} hosts in 1 s, no flows (FOLLOWER), journal on disk`, noFlows: true, tmpfs: false, seconds: 1 }, HOSTS);
    // Where fsync costs nothing: what the disk adds under the same burst.
    const shm = existsSync('/dev/shm') ? await measure({ label: `${HOSTS} hosts in 1 s, flows run, journal on tmpfs`, noFlows: false, tmpfs: true, seconds: 1 }, HOSTS) : undefined;
    const fsync = fsyncLatency(tempDir('oneha-bench-fsync-'));
    const p = (m: Measured, q: number) => percentile(m.lat, q);
    const bad = burst.samples.filter((s) => !(s.status === 202 && !s.body));
    const p99 = p(burst, 99);
    const rows: Row[] = [
      { metric: 'events sent / answered 202 accepted', value: `${int(burst.samples.length)} / ${int(burst.ok.length)}`, target: 'all', verdict: bad.length ? 'FAIL' : 'PASS' },
      { metric: 'send window (first to last send)', value: ms(burst.sendWindowMs) },
      { metric: 'ack latency p50', value: ms(p(burst, 50), 2) },
      { metric: 'ack latency p99', value: ms(p99, 2), target: `< ${TARGET_P99_MS} ms`, verdict: p99 < TARGET_P99_MS ? 'PASS' : 'FAIL' },
      { metric: 'ack latency max', value: ms(Math.max(...burst.lat), 2) },
      { metric: 'the same burst with no flow running: p50 / p99', value: `${ms(p(floor, 50), 2)} / ${ms(p(floor, 99), 2)}` },
      ...(shm ? [{ metric: 'the same burst with the journal on tmpfs: p50 / p99', value: `${ms(p(shm, 50), 2)} / ${ms(p(shm, 99), 2)}` }] : []),
      { metric: 'append + fdatasync on this disk, measured after (p50 / p99)', value: `${ms(fsync.p50, 2)} / ${ms(fsync.p99, 2)}` },
      { metric: 'flows started by the burst, by final status', value: Object.entries(burst.byStatus).map(([s, c]) => `${s} ${int(c)}`).join(', ') },
    ];
    const notes: string[] = [];
    if (bad.length) notes.push(`${bad.length} events were not answered 202 "accepted": ${bad.slice(0, 3).map((s) => `${s.status || s.error} ${s.body ?? ''}`).join('; ')}`);
    if (!burst.flowsDone) notes.push('Not every flow had ended 45 s after the burst; the flow counts are a snapshot.');
    return {
      name: 'hook-burst',
      title: `hook-burst: ${HOSTS} hosts' hook events within 1 s`,
      method: [
        `Simulator process with ${HOSTS + 20} hosts, every host MONITORED; the payload for host i is what oned's hook manager writes (base64 of its one.host.info XML, then \`-m -p 5\`), distinct per host, so every event is "accepted" and starts a flow.`,
        'Runner process `node dist/oneha.mjs serve`, file journal on local disk, defaults otherwise (concurrency.flows 16). Each flow decodes, starts its wait, sees the host answering and ends "came-back", so the runner journals and runs the flows of the first events while the later ones arrive.',
        `Open loop: event i is sent at t0 + i x ${(1000 / HOSTS).toFixed(1)} ms (keep-alive, up to 512 sockets), whether or not earlier ones were answered; latency from the scheduled send to the 202. 20 unmeasured warm-up events on other hosts first. Then the same burst to a fresh runner whose oned says FOLLOWER (it journals and acknowledges, starts no flow), and to one whose journal is on tmpfs (/dev/shm: fsync costs nothing).`,
        'The acknowledgement waits for one group-committed fdatasync (the `received` event); the host event and the flow start follow it off the request path.',
      ],
      rows,
      tables: [{
        caption: 'All runs (the first is the measured one):',
        header: ['run', 'events', 'p50', 'p95', 'p99', 'max', 'runner CPU per event'],
        rows: [burst, floor, ...(shm ? [shm] : [])].map((m) => [m.variant.label, int(m.samples.length), ms(p(m, 50), 2), ms(p(m, 95), 2), ms(p(m, 99), 2), ms(Math.max(...m.lat), 2), ms(m.cpuPerEventMs, 2)]),
      }],
      notes,
    };
  });
}

runIfMain(import.meta.url, run);

// MTTR on a real oned (../shared/oned, dummy drivers): host ERROR -> last VM
// RUNNING elsewhere, for oneha's runner, oneha's drop-in and OpenNebula's own
// ft/host_error.rb, with the same hook flags (-m -p 1), the same monitoring
// timers and the same fence_host.sh (exits 0), alternating in one run.
// Everything is read from oned by a 100 ms poller; the parts of each recovery
// come from what oned shows (and the fence script's own time stamps).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, startProcess, until, type Proc } from '../test/helpers/processes';
import {
  call, deployVms, failHost, fenceLines, host, HOST, layout, restoreHost, runnerEnv, RUNNER_CONFIG, startOned, stopOned, vm, xml,
  type HostView, type Layout, type VmView,
} from '../test/real-oned/oned';
import { freePort } from './lib/procs';
import { median, runIfMain, timed, type BenchResult } from './lib/report';

const VARIANTS = [
  { name: 'oneha runner', command: 'oneha/onehook.sh', runner: true },
  { name: 'oneha drop-in', command: 'oneha/host_error.sh', runner: false },
  { name: 'host_error.rb', command: 'ft/host_error.rb', runner: false },
] as const;
type Variant = (typeof VARIANTS)[number];

interface Sample {
  variant: string;
  round: number;
  host: string;
  /** ms, all relative to the host's ERROR as the poller saw it. */
  fenceStart: number;
  fenceMs: number;
  lastActed: number;
  lastPlaced: number;
  lastRunning: number;
}

/** Polls oned every 100 ms: when the host went ERROR, and when each VM was acted on, placed, RUNNING elsewhere. */
async function observe(l: Layout, h: HostView, ids: number[], before: Map<number, VmView>, fencesBefore: number): Promise<Omit<Sample, 'variant' | 'round' | 'host'>> {
  let error = 0;
  const acted = new Map<number, number>();
  const placed = new Map<number, number>();
  const runningAt = new Map<number, number>();
  const deadline = Date.now() + 300_000;
  while (runningAt.size < ids.length) {
    if (Date.now() > deadline) throw new Error(`host ${h.name}: VMs not all RUNNING elsewhere after 300 s`);
    const now = Date.now();
    if (!error && (await host(h.id)).state !== HOST.MONITORED) error = now;
    const pool = xml(String(await call('one.vmpool.infoset', ids.join(','), false))).VM_POOL?.VM ?? [];
    for (const v of pool) {
      const id = +v.ID;
      const b = before.get(id)!;
      const lcm = +v.LCM_STATE;
      const hid = +[v.HISTORY_RECORDS?.HISTORY].flat().at(-1)?.HID;
      // Acted on: RESCHED set, or it left UNKNOWN; placed: its current record is on another host.
      if (!acted.has(id) && error && (+v.RESCHED === 1 || (+v.STATE === 3 && lcm !== 16 && lcm !== 3) || hid !== b.hostId)) acted.set(id, now);
      if (!placed.has(id) && hid !== b.hostId) placed.set(id, now);
      if (!runningAt.has(id) && +v.STATE === 3 && lcm === 3 && hid !== b.hostId) runningAt.set(id, now);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const [fence] = fenceLines(l).slice(fencesBefore).filter((f) => f.hostId === h.id);
  const last = (m: Map<number, number>) => Math.max(...m.values()) - error;
  return { fenceStart: fence ? fence.start - error : NaN, fenceMs: fence ? fence.end - fence.start : NaN, lastActed: last(acted), lastPlaced: last(placed), lastRunning: last(runningAt) };
}

export async function run(opts: { rounds?: number; vms?: number } = {}): Promise<BenchResult> {
  const rounds = opts.rounds ?? Number(process.env.BENCH_ROUNDS ?? 2);
  const nVms = opts.vms ?? 4;
  return timed(async () => {
    const l = layout('/tmp/oneha-real-oned-bench', await freePort());
    const log: string[] = [];
    const t0 = Date.now();
    await startOned(l, 4, (x) => log.push(x));
    const startS = (Date.now() - t0) / 1000;
    // The runner's shipped defaults (8 VMs at a time), not the test suite's; the pause comes from the hook's -p 1.
    // Hosts fail one after another here, each back before the next: the mass-failure brake is not what is measured.
    const { monitoring, brakes } = RUNNER_CONFIG(l);
    writeFileSync(join(l.prefix, 'etc/oneha/oneha.json'), JSON.stringify({ monitoring, brakes }));
    const hookId = 0;
    const samples: Sample[] = [];
    const restoring = new Map<number, Promise<void>>();
    let next = 0;
    try {
      for (let round = 1; round <= rounds; round++) {
        // Alternate the order each round, so no variant always follows the same one.
        const order = round % 2 ? VARIANTS : [...VARIANTS].reverse();
        for (const v of order) {
          const id = next++ % 4;
          // Every host back first: a runner starting now would otherwise reconcile a host still being restored.
          await Promise.all(restoring.values());
          const h = await host(id);
          samples.push({ variant: v.name, round, host: h.name, ...(await measure(l, v, h, nVms, hookId)) });
          restoring.set(id, restoreHost(l, h));
        }
      }
      await Promise.all(restoring.values());
    } finally {
      killAll();
      await stopOned(l).catch(() => {});
    }

    const byVariant = (name: string) => samples.filter((s) => s.variant === name);
    const s = (x: number) => (Number.isFinite(x) ? `${(x / 1000).toFixed(1)} s` : '-');
    const med = (name: string, f: (x: Sample) => number) => median(byVariant(name).map(f));
    const rb = med('host_error.rb', (x) => x.lastRunning);
    const rows = VARIANTS.map((v) => ({
      metric: `${v.name}: ERROR -> last VM RUNNING (median of ${byVariant(v.name).length})`,
      value: s(med(v.name, (x) => x.lastRunning)),
      verdict: 'INFO' as const,
    }));
    for (const v of VARIANTS.slice(0, 2)) {
      const m = med(v.name, (x) => x.lastRunning);
      rows.push({ metric: `${v.name} vs host_error.rb`, value: `${((rb - m) / 1000).toFixed(1)} s sooner (${(rb / m).toFixed(2)}x)`, verdict: 'INFO' as const });
    }
    return {
      name: 'real-oned-mttr',
      title: `real-oned-mttr: ERROR to last VM RUNNING on a real oned, oneha vs host_error.rb (-m -p 1, ${nVms} VMs)`,
      method: [
        `OpenNebula 7.5.80 built from source (\`../shared/oned\`, dummy drivers), 4 hosts, monitoring timers of start.sh: MONITORING_INTERVAL_HOST 30 s, manager timer 5 s, beacon 5 s; oneha installed by \`deploy/install.sh --prefix\` (started in ${startS.toFixed(0)} s).`,
        `Each measurement: ${nVms} VMs deployed on one host (shared system DS), the hook's COMMAND set to the variant with ARGUMENTS \`$TEMPLATE -m -p 1\`, the host failed with \`fail_host.sh\`; the next measurement uses the next host while this one is restored and enabled. ${rounds} rounds, the three variants alternating (order reversed every other round).`,
        'Variants: the oneha runner (`oneha/onehook.sh` posts to `oneha serve`, shipped defaults), the oneha drop-in (`oneha/host_error.sh` = `oneha hook host-error` in the hook), and the stock `ft/host_error.rb` of the install. All fence with the same `ft/fence_host.sh`, which exits 0 and records its start and end.',
        'A poller reads oned every 100 ms (`one.host.info`, one `one.vmpool.infoset`). Parts, from the host\'s ERROR: wait = until fence_host.sh starts (hook dispatch + the -p pause); fence = fence_host.sh\'s run; calls = fence end -> last VM acted on (RESCHED=1 or out of UNKNOWN); scheduler = -> last VM placed (its new history record on another host); boot = -> last VM RUNNING.',
      ],
      rows,
      tables: [{
        caption: 'Each measurement (seconds from the host entering ERROR):',
        header: ['round', 'variant', 'host', 'wait (fence starts)', 'fence', 'calls (last VM acted on)', 'scheduler (last placed)', 'boot = MTTR (last RUNNING)'],
        rows: samples.map((x) => [String(x.round), x.variant, x.host, s(x.fenceStart), `${x.fenceMs} ms`, s(x.lastActed), s(x.lastPlaced), s(x.lastRunning)]),
      }],
      notes: [
        'host_error.rb computes its pause from `one.system.config`\'s MONITORING_INTERVAL_HOST, which 7.x does not report (it lives in monitord.conf): -p 1 waits its 60 s fallback. oneha reads monitord.conf (`monitoring.monitordConf`) and waits the real 30 s, watching the host meanwhile.',
        'The dummy drivers boot instantly and the scheduler places VMs every few seconds, so what is left after the wait is mostly the scheduler; a real hypervisor adds its boot time equally to every variant.',
        `Machine load while it ran is in the summary table above; start log: ${log.filter((x) => x.includes(' up in ')).join('; ')}`,
      ],
    };
  });
}

async function measure(l: Layout, v: Variant, h: HostView, nVms: number, hookId: number) {
  const ids = await deployVms('vm-shared', h.id, nVms, 'mttr');
  const before = new Map((await Promise.all(ids.map(vm))).map((x) => [x.id, x]));
  await call('one.hook.update', hookId, `COMMAND = "${v.command}"\nARGUMENTS = "$TEMPLATE -m -p 1"\nTIMEOUT = "300"`, 1);
  let runner: Proc | undefined;
  if (v.runner) runner = await startProcess([join(l.prefix, 'usr/lib/oneha/oneha.mjs'), 'serve'], runnerEnv(l), (x) => x.includes('start-up reconciliation'), 60_000);
  const fences = fenceLines(l).length;
  try {
    const watching = observe(l, h, ids, before, fences);
    await failHost(l, h);
    return await watching;
  } finally {
    if (runner) {
      const exited = runner.exited;
      runner.child.kill('SIGTERM');
      await exited;
    }
    // A clean slate: the next host's failure recovers only its own VMs.
    for (const id of ids) await call('one.vm.recover', id, 3).catch(() => {});
    await until(async () => (await Promise.all(ids.map(vm))).every((x) => x.state === 6), 60_000, 'bench VMs deleted');
  }
}

runIfMain(import.meta.url, () => run());

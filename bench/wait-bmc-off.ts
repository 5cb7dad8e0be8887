// wait-bmc-off: evidence ends the wait early (issue 16, item 7), with a real
// BMC: fence_ipmilan against ipmi_sim, the runner as a process. A host fails
// with `-m -p 5`; its chassis is OFF (power lost) or ON (the baseline, side
// by side in the same run). Measured: hook to the wait's end and to fenced,
// against the wait's own configured length (pause x interval).
import { startIpmiSim } from '../sim/bmc/ipmiSim';
import { hostPayloads } from './lib/hooks';
import { requireBuild, simApi, startRunner, startSim, until } from './lib/procs';
import { runIfMain, timed, type BenchResult, type Row } from './lib/report';

const PAUSE = 5;
const INTERVAL_S = 2;
const PASSWORD = 'bench-bmc-pw';
const POLL_S = 1;

interface Run { power: 'off' | 'on'; sinceMs: number; waitEndMs: number; fencedMs: number; doneMs: number; result: string; powerReads: number; configuredMs: number }

async function once(power: 'off' | 'on'): Promise<Run> {
  const bmc = await startIpmiSim({ password: PASSWORD, power: 'on' });
  try {
    if (power === 'off') bmc.setPower('off');
    const sim = await startSim({
      hosts: [0, 1].map((id) => ({
        id, name: `node-${id}`, cpu: 100_000, memory: 1 << 30,
        template: id === 0 ? { ONEHA_FENCE_AGENT: 'fence_ipmilan', FENCE_IP: '127.0.0.1', ONEHA_FENCE_OPTIONS: `ipport=${bmc.port} lanplus=1 cipher=3 power_wait=0 power_timeout=4` } : {},
      })),
      vms: [0, 1, 2, 3].map((i) => ({ id: 100 + i, name: `vm-${i}`, state: 'RUNNING', cpu: 0.1, memory: 64, history: [{ hostId: 0, dsId: 0 }] })),
      options: { schedulerIntervalMs: 100 },
    });
    const runner = await startRunner(sim.url, {
      monitoring: { intervalSeconds: INTERVAL_S, pollSeconds: POLL_S, monitordConf: '/nonexistent/monitord.conf' },
      reconcile: { intervalSeconds: 0 },
      // One host of two: not a mass failure here.
      brakes: { massFailure: { share: 1, count: 0, windowSeconds: 60 } },
      verify: { pollSeconds: 0.2 },
    }, { secrets: { default: { username: 'admin', password: PASSWORD } } });
    // After the start-up reconciliation: otherwise it may find the failed host first and the hook's -p would only join its flow.
    await until(async () => runner.proc.tail().includes('start-up reconciliation') || undefined, 30_000, 'the start-up reconciliation');
    await simApi(sim.control, 'POST', '/hosts/0/fail');
    const payload = (await hostPayloads(sim.url, [0], `-m -p ${PAUSE}`)).get(0)!;
    const sent = Date.now();
    // The hook's payload is plain text, as onehook posts it.
    const res = await fetch(`${runner.url}/v1/hooks/host-error`, { method: 'POST', headers: { authorization: `Bearer ${runner.token}` }, body: payload });
    const id = ((await res.json()) as { recoveryId?: string }).recoveryId;
    if (res.status !== 202 || !id) throw new Error(`hook answered ${res.status}`);
    type Step = { name: string; endedAt: number; input: { pause: number; since: number }; output: { result?: string; powerReads?: number; intervalSeconds: number } };
    const d = await until(async () => {
      const x = (await runner.api<{ status: string; steps: Step[] }>('GET', `/v1/recoveries/${id}`)).json;
      return ['completed', 'degraded', 'failed', 'fence-failed', 'held', 'skipped', 'came-back'].includes(x.status) ? x : undefined;
    }, 60_000, `recovery ${id}`);
    if (d.status !== 'completed') throw new Error(`BMC ${power}: recovery ended ${d.status}: ${(d as { reason?: string }).reason}`);
    const step = (n: string) => d.steps.find((s) => s.name === n)!;
    const w = step('wait');
    return {
      // The wait's own length, as it computed it: pause x interval (from the failure's first sight).
      power, result: w.output.result ?? '?', powerReads: w.output.powerReads ?? 0, configuredMs: w.input.pause * w.output.intervalSeconds * 1000,
      sinceMs: w.input.since - sent,
      waitEndMs: w.endedAt - sent, fencedMs: step('fence').endedAt - sent, doneMs: step('verify').endedAt - sent,
    };
  } finally {
    await bmc.stop();
  }
}

export async function run(): Promise<BenchResult> {
  requireBuild();
  return timed(async () => {
    const off = await once('off');
    const on = await once('on');
    const s = (x: number) => `${(x / 1000).toFixed(2)} s`;
    const rows: Row[] = [
      { metric: `BMC OFF: hook to fenced (wait configured ${s(off.configuredMs)})`, value: s(off.fencedMs), target: `< ${s(off.configuredMs)} (the wait's own length)`, verdict: off.result === 'power-off' && off.fencedMs < off.configuredMs ? 'PASS' : 'FAIL' },
      { metric: 'BMC OFF: hook to the end of the wait', value: `${s(off.waitEndMs)} (${off.powerReads} power read${off.powerReads === 1 ? '' : 's'}, result ${off.result})`, verdict: 'INFO' },
      { metric: 'BMC ON (baseline): hook to fenced', value: s(on.fencedMs), target: `>= ${s(on.configuredMs)} (an ON never shortens the wait)`, verdict: on.result === 'still-failed' && on.waitEndMs - on.sinceMs >= on.configuredMs ? 'PASS' : 'FAIL' },
      { metric: 'BMC ON (baseline): hook to the end of the wait', value: `${s(on.waitEndMs)} (${on.powerReads} power reads, result ${on.result})`, verdict: 'INFO' },
      { metric: 'the wait counted from (failure first seen, relative to the hook): OFF / ON', value: `${s(off.sinceMs)} / ${s(on.sinceMs)}`, verdict: 'INFO' },
      { metric: 'hook to the last VM running: OFF / ON', value: `${s(off.doneMs)} / ${s(on.doneMs)}`, verdict: 'INFO' },
    ];
    return {
      name: 'wait-bmc-off',
      title: 'A BMC reporting OFF ends the wait early (fence_ipmilan + ipmi_sim)',
      method: [
        `The runner as a process on a simulator process; host 0 has one fence level, fence_ipmilan at an ipmi_sim BMC on loopback (lanplus, cipher 3, power_wait=0). It fails and the hook arrives with \`-m -p ${PAUSE}\`, monitoring interval ${INTERVAL_S} s (a ${PAUSE * INTERVAL_S} s wait), power read at most once per ${POLL_S} s poll.`,
        'Run 1: the chassis is OFF before the failure (power lost). Run 2, the baseline in the same run: the chassis is ON, so the wait runs its full length and fencing powers it off. Times are from the hook\'s POST to the end of each step as journaled.',
        'On a real oned with 30 s cycles and `-p 5` the wait is 150 s; an OFF host is fenced after the first power read, as here, whatever the configured length.',
      ],
      rows,
      notes: [],
    };
  });
}

runIfMain(import.meta.url, run);

// sim-scale: the simulator builds and serves big clouds fast enough to be the
// ground for the other benchmarks. These targets used to be assertions in
// test/sim/perf.test.ts; the tests keep the behaviour, the speed lives here.
import { generateScenario, parseScenario } from '../sim/scenario';
import { startSimulator } from '../sim/server';
import { ms, runIfMain, timed, type BenchResult, type Row } from './lib/report';

const since = (t: number) => performance.now() - t;
const row = (metric: string, value: number, targetMs: number): Row =>
  ({ metric, value: ms(value), target: `< ${targetMs} ms`, verdict: value < targetMs ? 'PASS' : 'FAIL' });

export async function run(): Promise<BenchResult> {
  return timed(async () => {
    const rows: Row[] = [];
    let t = performance.now();
    parseScenario(generateScenario({ hosts: 50, vmsPerHost: 1000, states: { RUNNING: 8, SUSPENDED: 1, POWEROFF: 1 }, pendingVms: 10 }));
    rows.push(row('generate + validate 50,000 VMs', since(t), 2000));

    const small = await startSimulator({ scenario: generateScenario({ hosts: 2, vmsPerHost: 1000 }) });
    try {
      const admin = small.cloud.users.get(0)!;
      const pool = () => small.cloud.vmPoolRpc(small.cloud.selectVms(admin, -2, -1, -1, -1));
      t = performance.now(); pool(); rows.push(row('1,000 VMs: pool reply, cold', since(t), 500));
      t = performance.now(); pool(); rows.push(row('1,000 VMs: pool reply, warm', since(t), 100));
      t = performance.now(); small.cloud.failHost(0); rows.push(row('fail a host with 1,000 VMs', since(t), 100));
    } finally {
      await small.close();
    }

    t = performance.now();
    const big = await startSimulator({ scenario: generateScenario({ hosts: 50, vmsPerHost: 1000 }) });
    try {
      rows.push(row('start a 50,000-VM simulator', since(t), 4000));
      const admin = big.cloud.users.get(0)!;
      const pool = () => big.cloud.vmPoolRpc(big.cloud.selectVms(admin, -2, -1, -1, -1));
      t = performance.now(); pool(); rows.push(row('50,000 VMs: pool reply, cold', since(t), 3000));
      let warm = Infinity;
      for (let i = 0; i < 3; i++) { t = performance.now(); pool(); warm = Math.min(warm, since(t)); }
      rows.push(row('50,000 VMs: pool reply, warm (best of 3)', warm, 600));
    } finally {
      await big.close();
    }
    return {
      name: 'sim-scale',
      title: 'sim-scale: the simulator at 1,000 and 50,000 VMs',
      method: ['In process, `performance.now()` around each call of the simulated cloud (no HTTP): scenario generation and zod validation, the `one.vmpool.info` reply body (cold = every cached VM body built, warm = cached), and failing a host.'],
      rows,
      notes: [],
    };
  });
}

runIfMain(import.meta.url, run);

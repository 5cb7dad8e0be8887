// Runs one failure scenario (a folder of data) against the simulated
// OpenNebula over real XML-RPC, on a virtual clock, and renders what
// happened as text to compare byte for byte with the folder's log.expect.
//
// A scenario folder holds:
//   cloud.json   the simulated cloud (sim/scenario.ts format)
//   cmd          a timeline, one "<seconds> <command>" per line:
//                  fail host N | restore host N | hook host N <flags...> | oned down | oned up
//                  fault auth | fault error <method> [vm N] <CODE> [times N] | latency <ms>
//                exactly one "hook" line: it runs the recovery (oneha's foreground flow)
//   config.json  optional runner settings: { fence: "ok"|"fail"|"none", interval, concurrency,
//                inventory, afterRecovery, tries }
//   log.expect   the golden result (UPDATE_GOLDEN=1 rewrites it)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import xmlrpc from 'xmlrpc';
import { vmStateName, lastHistory } from '../../functions/domain';
import type { FenceMethod } from '../../functions/fenceTypes';
import { createFencePort } from '../../runner/fence/agentPort';
import { createSecretStore } from '../../runner/fence/secrets';
import { runDropIn } from '../../runner/dropIn';
import type { FlowSettings } from '../../runner/flow/recoveryFlow';
import { TextLogger } from '../../runner/log';
import { OneClient } from '../../runner/one/client';
import { startSimulator, type Simulator } from '../../sim/server';
import { VirtualClock } from '../helpers/virtualClock';

interface ScenarioConfig {
  fence?: 'ok' | 'fail' | 'none';
  interval?: number;
  concurrency?: number;
  inventory?: 'host-vms' | 'pool';
  afterRecovery?: 'disabled' | 'offline' | 'none';
  tries?: number;
}

const FENCE_COMMANDS = {
  ok: 'cat >/dev/null; echo "host powered off"',
  fail: 'cat >/dev/null; echo "ERROR: Unable to connect to BMC" >&2; exit 1',
};

const secs = (ms: number) => `+${(ms / 1000).toFixed(3)}s`;

function rawHostXml(url: string, id: number): Promise<string> {
  const c = xmlrpc.createClient({ url });
  return new Promise((resolve, reject) =>
    c.methodCall('one.host.info', ['oneadmin:oneadmin', id], (err, v) => (err ? reject(err) : v[0] ? resolve(v[1]) : reject(new Error(v[1])))),
  );
}

export async function runScenario(dir: string): Promise<string> {
  const cloud = JSON.parse(readFileSync(join(dir, 'cloud.json'), 'utf8'));
  const cfg: ScenarioConfig = existsSync(join(dir, 'config.json')) ? JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) : {};
  const timeline = readFileSync(join(dir, 'cmd'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [t, ...words] = l.split(/\s+/);
      return { at: Number(t) * 1000, words };
    });
  const clock = new VirtualClock(0);
  const sim: Simulator = await startSimulator({ scenario: { ...cloud, options: { ...cloud.options, schedulerIntervalMs: 3_600_000 } }, port: 0, clock });
  const lines: string[] = [];
  try {
    const apply = async (words: string[]) => {
      const [verb, a, b, ...rest] = words;
      if (verb === 'fail' && a === 'host') sim.cloud.failHost(Number(b));
      else if (verb === 'restore' && a === 'host') sim.cloud.restoreHost(Number(b));
      else if (verb === 'oned' && a === 'down') await sim.down();
      else if (verb === 'oned' && a === 'up') await sim.up();
      else if (verb === 'fault' && a === 'auth') sim.faults.set({ authFailure: true });
      else if (verb === 'latency') sim.faults.set({ latencyMs: Number(a) });
      else if (verb === 'fault' && a === 'error') {
        const args = [b, ...rest];
        const method = args.shift()!;
        let id: number | undefined;
        let times: number | undefined;
        if (args[0] === 'vm') { args.shift(); id = Number(args.shift()); }
        const code = args.shift()!;
        if (args[0] === 'times') { args.shift(); times = Number(args.shift()); }
        sim.faults.set({ errors: [{ method, id, code: code as never, times }] });
      } else throw new Error(`${dir}: unknown timeline command "${words.join(' ')}"`);
      lines.push(`${secs(clock.now())} [T] ${words.join(' ')}`);
    };

    const hook = timeline.find((e) => e.words[0] === 'hook');
    if (!hook) throw new Error(`${dir}: no "hook" line in cmd`);
    const before = timeline.filter((x) => x !== hook && x.at <= hook.at);
    const isHostCommand = (w: string[]) => w[1] === 'host';
    for (const e of timeline.filter((x) => x !== hook && x.at > hook.at)) clock.at(e.at, e.words.join(' '), () => apply(e.words));
    for (const e of before.filter((x) => isHostCommand(x.words))) await apply(e.words);
    await clock.advance(hook.at);
    const [, , hostId, ...flags] = hook.words;
    // The hook manager's stdin: base64 of the host XML as oned had it at the transition, then the flags.
    const xml = await rawHostXml(sim.url, Number(hostId));
    // Faults at the hook's time apply after the event was emitted.
    for (const e of before.filter((x) => !isHostCommand(x.words))) await apply(e.words);
    const payload = `${Buffer.from(xml).toString('base64')} ${flags.join(' ')}`;
    lines.push(`${secs(clock.now())} [T] hook host ${hostId} ${flags.join(' ')}`);

    // The simulator's port changes from run to run; the golden says <oned>.
    const log = new TextLogger({ write: (l) => void lines.push(l.trimEnd().split(sim.url).join('<oned>')) }, {}, () => clock.now(), secs);
    const fence = cfg.fence ?? 'ok';
    const settings: FlowSettings = {
      defaults: { mode: 'migrate', pause: 2, force: false, fencing: true },
      configuredInterval: cfg.interval ? { seconds: cfg.interval, source: 'config' } : undefined,
      inventorySource: cfg.inventory ?? 'host-vms',
      vmConcurrency: cfg.concurrency ?? 1,
      vmTries: cfg.tries ?? 3,
      retryDelayMs: 1000,
      stepTries: 3,
      afterRecovery: cfg.afterRecovery ?? 'disabled',
    };
    const one = new OneClient({ endpoint: sim.url, session: 'oneadmin:oneadmin', timeoutMs: 5000 });
    const { code, recovery } = await runDropIn(payload, {
      one,
      fence: createFencePort({ secrets: createSecretStore({}), retries: 2, retryDelayMs: 10, timeoutMs: 5000 }),
      fenceMethods: (): FenceMethod[] => (fence === 'none' ? [] : [{ kind: 'command', command: FENCE_COMMANDS[fence] }]),
      settings,
      log,
      clock,
    });
    // One pass of the simulated scheduler, run here rather than on its timer, so placement is deterministic.
    sim.cloud.schedulerPass();

    const out = ['# log', ...lines, '', '# mutating calls received by oned'];
    for (const c of sim.mutatingCalls()) out.push(`${c.method}(${c.params.slice(1).map((p: unknown) => JSON.stringify(p)).join(', ')})${c.ok ? '' : ` -> error ${c.code}`}`);
    out.push('', '# result', `status ${recovery.status}${recovery.reason ? `: ${recovery.reason.split(sim.url).join('<oned>')}` : ''}`, `exit ${code}`);
    if (!sim.faults.authFailure) {
      try {
        await sim.up();
        sim.faults.clear();
        out.push('', '# VMs afterwards');
        const hosts = new Map((await one.hostPoolInfo()).map((h) => [h.id, h]));
        for (const v of (await one.vmPoolInfo(-2, -1, -1, -2)).sort((x, y) => x.id - y.id)) {
          const h = lastHistory(v);
          out.push(`${v.id} ${v.name} ${vmStateName(v.state, v.lcmState)}${v.resched ? ' RESCHED' : ''}${h ? ` on ${h.hostname}` : ''}`);
        }
        out.push('', '# hosts afterwards');
        for (const h of hosts.values()) out.push(`${h.id} ${h.name} state ${h.state}`);
      } catch (e) {
        out.push(`(could not read the cloud afterwards: ${(e as Error).message})`);
      }
    }
    return out.join('\n') + '\n';
  } finally {
    await sim.close();
  }
}

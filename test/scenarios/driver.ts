// Runs one failure scenario (a folder of data, see README.md) through the
// real runner (its hook route, flow manager, journal, brakes, leadership
// checks and reconciliation, composed by runner/compose.ts and composeRunner.ts with this
// driver's clock, OpenNebula client, journal store and fence port) against the simulated OpenNebula over real
// XML-RPC, everything on one virtual clock, and renders what happened as
// text to compare byte for byte with the folder's log.expect.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vmStateName } from '../../model/one';
import type { Clock, FencePort } from '../../model/ports';
import { loadConfig, type Config, type ConfigInput } from '../../runner/config';
import { composeBasics } from '../../runner/compose';
import { FINAL_STATUSES, WAITING_STATUSES, type JournalEvent } from '../../runner/journal/events';
import { FileJournalStore } from '../../runner/journal/fileStore';
import type { JournalStore } from '../../runner/journal/store';
import { OneClient } from '../../runner/one/client';
import { XmlRpcTransport, type Scalar } from '../../runner/one/transport';
import { Runner } from '../../runner/runner';
import type { RehearsalReport } from '../../runner/rehearsal';
import { startSimulator, type Simulator } from '../../sim/server';
import { SimulatedBmcs, type DeviceMode } from './bmcs';
import { parseTimeline, takeTrigger, type Timeline, type Trigger } from './timeline';
import { VirtualTime } from './virtualTime';

const TOKEN = 'scenario-hook-token-0123456789';
/** The shared default cloud, for scenarios without a cloud.json. */
const DEFAULT_CLOUD = join(import.meta.dirname, 'cloud.json');
/** After the last command, once no recovery is under way, the cloud is watched this long (the scheduler places VMs). */
const TAIL_MS = 60_000;
/** A scenario that has not settled after this much virtual time is reported as stuck. */
const LIMIT_MS = 7 * 24 * 3600_000;

/** Runner settings every scenario starts from; config.json is merged over them (null removes a key). */
// Deadlines on real work (an XML-RPC call, a fence command) are real time: generous, so a loaded machine never trips them.
const BASE_CONFIG: ConfigInput = {
  listen: '127.0.0.1:0',
  one: { timeoutMs: 120_000 },
  concurrency: { vms: 1 },
  retries: { stepTries: 3, delayMs: 1000, vmTries: 3 },
  monitoring: { monitordConf: '/nonexistent/monitord.conf' },
  fence: { agent: 'fence_ipmilan', retries: 2, retryDelayMs: 10, timeoutMs: 120_000 },
};

const never = <T>() => new Promise<T>(() => {});
const secs = (ms: number) => `${ms < 0 ? '-' : '+'}${(Math.abs(ms) / 1000).toFixed(3)}s`;

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === null) delete out[k];
    else if (v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object') out[k] = merge(out[k] as Record<string, unknown>, v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}

/**
 * One life of the runner. A restart ends it the way SIGKILL would: whatever
 * it was waiting for (an oned answer, a journal write, a sleep) never comes
 * back, and it writes nothing more. Its work in flight is counted by the
 * virtual clock, so time only moves when the runner waits on the clock.
 */
class RunnerLife {
  alive = true;
  readonly runner: Runner;

  constructor(
    config: Config,
    private readonly env: {
      time: VirtualTime; sim: Simulator; bmcs: SimulatedBmcs; log(line: string): void;
      onCall(method: string): void; onFence(action: string): void; onJournal(e: JournalEvent): void;
    },
  ) {
    const life = this;
    const { time, sim } = env;
    class WatchedTransport extends XmlRpcTransport {
      override call(method: string, params: Scalar[], timeoutMs: number): Promise<unknown> {
        return life.gate(() => super.call(method, params, timeoutMs), () => env.onCall(method));
      }
    }
    const one = new OneClient({ endpoint: sim.url, session: 'oneadmin:oneadmin', timeoutMs: config.one.timeoutMs }, new WatchedTransport(sim.url, 12));
    const file = new FileJournalStore(config.dataDir);
    const journalStore: JournalStore = {
      kind: file.kind,
      append: (e) => this.gate(() => file.append(e)),
      load: (apply) => this.gate(() => file.load(apply)),
      attach: (snapshot) => this.gate(() => file.attach(snapshot)),
      keepRejected: (entry) => this.gate(() => file.keepRejected(entry)),
      stats: () => file.stats(),
      close: () => file.close(),
    };
    const clock: Clock = {
      now: () => time.now(),
      sleep: (ms, signal) => (this.alive ? time.sleep(ms, signal).then(() => (this.alive ? undefined : never<void>())) : never()),
    };
    const fence: FencePort = { power: (m, a, h) => this.gate(() => env.bmcs.power(m, a, h), () => env.onFence(a)) };
    this.runner = new Runner(config, {
      token: TOKEN, clock, fence, one, journalStore,
      logSink: { write: (l) => void (this.alive && env.log(l)) },
    });
    this.runner.ctx.bus.subscribe((e) => this.alive && env.onJournal(e));
  }

  /** Real work of this runner: counted while in flight; a dead runner never sees its result. */
  gate<T>(work: () => Promise<T>, after?: () => void): Promise<T> {
    if (!this.alive) return never();
    // Work queued before a restart does not start after it (a dead runner sends nothing).
    return this.env.time.track(() => (this.alive ? work() : Promise.resolve(undefined as T))).then(
      (v) => {
        if (this.alive) after?.();
        return this.alive ? v : never<T>();
      },
      (e) => (this.alive ? Promise.reject(e) : never<T>()),
    );
  }

  kill(): void {
    this.alive = false;
  }

  /** The runner's HTTP API, in process. */
  async request(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await this.runner.app.fetch(new Request(`http://runner${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    }));
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }
}

export async function runScenario(dir: string): Promise<string> {
  const cloud = readJson(existsSync(join(dir, 'cloud.json')) ? join(dir, 'cloud.json') : DEFAULT_CLOUD);
  const scenarioConfig = existsSync(join(dir, 'config.json')) ? readJson(join(dir, 'config.json')) : {};
  const timeline: Timeline = parseTimeline(readFileSync(join(dir, 'cmd'), 'utf8'), join(dir, 'cmd'));
  // The runner starts at 0; a cloud can be set up before it (negative times).
  const time = new VirtualTime(Math.min(0, timeline.timed[0]?.at ?? 0));
  // A scheduler pass every 15 s of virtual time (oned's default SCHED_INTERVAL), unless the cloud says otherwise.
  const options = { schedulerIntervalMs: 15_000, ...(cloud.options as object | undefined) };
  const sim = await startSimulator({ scenario: { ...cloud, options } as never, port: 0, clock: time });
  time.parked = () => sim.delayedCalls;
  const dataDir = mkdtempSync(join(tmpdir(), 'oneha-scenario-'));
  const config = loadConfig({}, merge(merge(BASE_CONFIG, { dataDir, fence: { secretsFile: join(dataDir, 'secrets.json') } }), scenarioConfig) as ConfigInput);

  const lines: string[] = [];
  const labels = new Map<string, string>();
  /** Recovery ids are random: the golden names them R1, R2... in the order they appear. */
  const label = (id: string) => labels.get(id) ?? (labels.set(id, `R${labels.size + 1}`), labels.get(id)!);
  const clean = (s: string) => s.split(sim.url).join('<oned>').replace(/\br[0-9a-z]+-[0-9a-f]{8}\b/g, label);
  const note = (s: string) => lines.push(`${secs(time.now())} [T] ${clean(s)}`);
  const logLine = (json: string) => {
    const { level, msg, recoveryId, hostId, vmId } = JSON.parse(json) as Record<string, string | number | undefined>;
    const tags = [recoveryId === undefined ? '' : label(String(recoveryId)), hostId === undefined ? '' : `host=${hostId}`, vmId === undefined ? '' : `vm=${vmId}`].filter(Boolean);
    lines.push(`${secs(time.now())} [${String(level)[0].toUpperCase()}] ${tags.length ? tags.join(' ') + ' ' : ''}${clean(String(msg))}`);
  };

  // The real fence port of the composition root runs a level's command (the simulated BMCs answer the agents).
  const commandPort = composeBasics(config, { logSink: { write() {} } }).fence;
  const bmcs = new SimulatedBmcs(commandPort, () => secs(time.now()));
  let life: RunnerLife;
  let firedTimed = 0;
  let lastPayload = '';

  const fire = (t: Trigger, why: string) => {
    if (t.words.join(' ') === 'restart runner') life.kill(); // at once: the runner dies right here
    time.setTimer(() => apply(t.words, why), 0);
  };
  const env = {
    time, sim, bmcs, log: logLine,
    onCall: (method: string) => {
      const t = takeTrigger(timeline, 'call', method);
      if (t) fire(t, `after oned carried out ${method}`);
    },
    onFence: (action: string) => {
      const t = takeTrigger(timeline, 'fence', action);
      if (t) fire(t, `after the fence device carried out ${action}`);
    },
    onJournal: (e: JournalEvent) => {
      const t = e.type === 'step-started' || e.type === 'step-finished' ? takeTrigger(timeline, e.type, e.step)
        : e.type === 'status' ? takeTrigger(timeline, 'status', e.status) : undefined;
      if (t) fire(t, `on ${t.event} ${t.what} of ${label(e.id)}`);
    },
  };
  const boot = async () => {
    life = new RunnerLife(config, env);
    await life.runner.resume();
    life.runner.startBackground();
  };

  async function apply(words: string[], why?: string): Promise<void> {
    note(`${words.join(' ')}${why ? ` (${why})` : ''}`);
    const text = words.join(' ');
    const n = (i: number) => Number(words[i]);
    const [verb, a] = words;
    if (text.startsWith('fail host')) sim.cloud.failHost(n(2));
    else if (text.startsWith('restore host')) {
      // A host that answers monitoring again is powered on, whatever its BMC last did (someone turned it back on).
      sim.cloud.restoreHost(n(2));
      bmcs.setPower(n(2), 'on');
    }
    else if (text.startsWith('flap host')) {
      // flap host N times K down D up U: ERROR D s, MONITORED U s, K ERRORs in all (the beacon fails, the probe answers)
      const opt = (name: string) => Number(words[words.indexOf(name) + 1]);
      sim.cloud.flapHost(n(2), { times: opt('times'), downMs: opt('down') * 1000, upMs: opt('up') * 1000 });
    } else if (verb === 'lock') sim.cloud.vmLock(n(2), n(3), false, sim.cloud.users.get(0)!); // onevm lock as oneadmin
    else if (text.startsWith('enable host') || text.startsWith('disable host')) sim.cloud.hostStatus(n(2), verb === 'enable' ? 0 : 1); // onehost enable|disable
    else if (verb === 'hook') {
      // What oned's hook manager writes to the hook's stdin: base64 of the host XML at the transition, then the flags;
      // "again" delivers the previous one once more, byte for byte (the hook script retrying).
      if (a !== 'again') lastPayload = `${Buffer.from(sim.cloud.hostXml(n(2))).toString('base64')} ${words.slice(3).join(' ')}`;
      const r = await life.request('POST', '/v1/hooks/host-error', lastPayload);
      note(`  -> ${r.status} ${r.json.status ?? JSON.stringify(r.json.error)} ${r.json.recoveryId ?? ''}`.trimEnd());
    } else if (text.startsWith('oned down')) {
      await sim.down();
      if (words[2]) time.setTimer(() => apply(['oned', 'up']), n(2) * 1000);
    } else if (text === 'oned up') await sim.up();
    else if (text === 'fault auth') sim.faults.set({ authFailure: true });
    else if (verb === 'latency') sim.faults.set({ latencyMs: n(1) });
    else if (verb === 'fault') {
      const [method, ...rest] = words.slice(2);
      const vm = rest[0] === 'vm' ? Number(rest.splice(0, 2)[1]) : undefined;
      const times = rest[1] === 'times' ? Number(rest[2]) : undefined;
      sim.faults.set({ errors: [{ method, id: vm, code: rest[0] as never, times }] });
    } else if (text === 'restart runner') {
      life.kill();
      await life.runner.stop();
      await boot();
    } else if (verb === 'disarm' || verb === 'arm') {
      const hostId = a === 'host' ? n(2) : undefined;
      const rest = words.slice(hostId === undefined ? 1 : 3);
      const body = verb === 'arm' ? { hostId } : { hostId, minutes: Number(rest[0]), reason: rest.slice(1).join(' ') };
      const r = await life.request('POST', `/v1/${verb}`, body);
      if (r.status !== 200) note(`  -> ${r.status} ${JSON.stringify(r.json)}`);
    } else if (verb === 'release') {
      const id = a === 'host'
        ? life.runner.ctx.journal.list().find((r) => r.hostId === n(2) && WAITING_STATUSES.has(r.status))?.id
        : [...labels].find(([, l]) => l === a)?.[0];
      const r = await life.request('POST', `/v1/recoveries/${id ?? 'none'}/release`);
      note(`  -> ${r.status} ${clean(String(r.json.status ?? JSON.stringify(r.json.error)))}`);
    } else if (verb === 'confirm-down' || verb === 'replay') {
      const id = [...labels].find(([, l]) => l === a)?.[0] ?? 'none';
      const r = verb === 'confirm-down'
        ? await life.request('POST', `/v1/recoveries/${id}/confirm-down`, { reason: words.slice(2).join(' ') })
        : await life.request('POST', `/v1/recoveries/${id}/replay`, words[2] === 'from' ? { from: words[3] } : {});
      note(`  -> ${r.status} ${clean(String(r.json.status ?? JSON.stringify(r.json.error)))}${r.json.recoveryId ? ` ${clean(String(r.json.recoveryId))}` : ''}`);
    } else if (verb === 'rehearse') {
      // "What if it died now", through the API: the predicted outcome, the plan in tier order, what is left down, the MTTR.
      const r = await life.request('POST', `/v1/hosts/${n(2)}/rehearse`);
      const x = r.json as RehearsalReport;
      if (r.status !== 200) note(`  -> ${r.status} ${JSON.stringify(r.json.error)}`);
      else {
        note(`  -> 200 ${x.outcome}: ${x.reason}`);
        note(`  wait ${x.wait?.seconds ?? '-'} s; fence ${x.fence?.levels.map((l) => `${l.level} ${l.method} ${l.result}`).join(', ') || '-'}`);
        note(`  plan ${x.plan?.actions.map((a) => `${a.priority ?? 'MEDIUM'} ${a.vmId} ${a.operation} ${a.outcome}`).join(', ') || '-'}`);
        for (const v of x.leftDown) note(`  left down ${v.vmId} (${v.by}): ${v.reason}`);
        if (x.mttr) note(`  MTTR ${x.mttr.seconds} s = ${x.mttr.parts.map((p) => `${p.part} ${p.seconds}`).join(' + ')}`);
      }
    } else if (verb === 'bmc') {
      const level = words[2] === 'level' ? n(3) : 1;
      const state = words[words.length - 1];
      const host = sim.cloud.mustHost(n(1));
      if (state === 'on' || state === 'off') bmcs.setPower(host.id, state);
      else bmcs.setMode(host.template.get(level === 1 ? 'FENCE_IP' : `FENCE_IP_${level}`) ?? '', state as DeviceMode);
    } else if (verb === 'template' && a === 'vm') {
      // A VM's USER_TEMPLATE, as `onevm update` or the guest through OneGate (READY=YES) would set it.
      const vm = sim.cloud.mustVm(n(2));
      for (const kv of words.slice(3)) vm.userTemplate.set(kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1));
      vm.touch();
    } else if (verb === 'template') {
      const host = sim.cloud.mustHost(n(2));
      for (const kv of words.slice(3)) host.template.set(kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1));
    } else if (verb === 'raft') {
      sim.cloud.raft.state = ['solo', 'candidate', 'follower', 'leader'].indexOf(a);
    } else if (verb !== 'end') throw new Error(`the driver has no action for "${text}"`);
  }

  try {
    for (const e of timeline.timed) time.setTimer(() => (firedTimed++, apply(e.words)), e.at - time.now());
    await time.runUntil(0, { before: true });
    await boot();
    const lastAt = timeline.timed.at(-1)?.at ?? 0;
    const settled = () => firedTimed === timeline.timed.length && time.now() >= lastAt &&
      life.runner.ctx.journal.list().every((r) => FINAL_STATUSES.has(r.status) || WAITING_STATUSES.has(r.status) || r.hostId === undefined);
    while (!settled()) {
      const next = time.nextAt();
      if (next === undefined || next > LIMIT_MS) throw new Error(`${dir}: the scenario did not settle (virtual time ${secs(time.now())})`);
      await time.runUntil(next);
    }
    await time.runUntil(time.now() + TAIL_MS);
    return render();
  } finally {
    life!.kill();
    await life!.runner.stop();
    await sim.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  function render(): string {
    const out = ['# log', ...lines, '', '# mutating calls received by oned'];
    for (const c of sim.mutatingCalls()) {
      out.push(`${secs(c.at)} ${c.method}(${c.params.slice(1).map((p) => JSON.stringify(p)).join(', ')})${c.ok ? '' : ` -> error ${c.code}`}`);
    }
    out.push('', '# fence devices', ...collapseRepeats(bmcs.actions));
    out.push('', '# recoveries');
    // Ids are random: order by arrival, then by the label given in order of appearance.
    const byLabel = (id: string) => Number(label(id).slice(1));
    const recoveries = life.runner.ctx.journal.list().sort((x, y) => x.receivedAt - y.receivedAt || byLabel(x.id) - byLabel(y.id));
    for (const r of recoveries) {
      out.push(`${label(r.id)} ${r.trigger}${r.hostId === undefined ? '' : ` host ${r.hostId}`}: ${r.status}${r.reason ? `: ${clean(r.reason)}` : ''}`);
    }
    const unfired = timeline.triggers.filter((t) => !t.fired);
    if (unfired.length) out.push('', '# triggers that never fired', ...unfired.map((t) => `cmd:${t.line} on ${t.event} ${t.what} ${t.words.join(' ')}`));
    out.push('', '# VMs afterwards');
    for (const v of [...sim.cloud.vms.values()].sort((x, y) => x.id - y.id)) {
      const view = sim.cloud.vmView(v);
      out.push(`${v.id} ${v.name} ${vmStateName(v.state, v.lcmState)}${v.resched ? ' RESCHED' : ''}${view.hostname ? ` on ${view.hostname}` : ''}`);
    }
    out.push('', '# hosts afterwards');
    for (const h of [...sim.cloud.hosts.values()].sort((x, y) => x.id - y.id)) out.push(`${h.id} ${h.name} state ${h.state} power ${bmcs.powerOf(h.id)}`);
    return out.join('\n') + '\n';
  }
}

/**
 * The same status answer read again and again (a wait reads power every
 * poll) as one line with its first and last time and a count, so a golden
 * shows what changed rather than every poll.
 */
function collapseRepeats(actions: string[]): string[] {
  const out: string[] = [];
  let run: { first: string; last: string; what: string; n: number } | undefined;
  const flush = () => {
    if (run) out.push(`${run.first}${run.last === run.first ? '' : `..${run.last}`} ${run.what}${run.n === 1 ? '' : ` (${run.n} times)`}`);
    run = undefined;
  };
  for (const a of actions) {
    const at = a.slice(0, a.indexOf(' '));
    const what = a.slice(at.length + 1);
    if (run && run.what === what && / status -> /.test(what)) {
      run.last = at;
      run.n++;
      continue;
    }
    flush();
    run = { first: at, last: at, what, n: 1 };
  }
  flush();
  return out;
}

// The `oneha` command line: one table of commands, each with its options,
// its help (printed before anything else runs: `--help` never has a side
// effect) and its action. API commands print tables; `--json` prints the
// runner's JSON for scripts. Exit codes: ./exitCodes.ts.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeError } from '../../model/errors';
import { realClock } from '../../model/ports';
import { functions, getFunction } from '../../functions/registry';
import { ConfigError, loadConfig, type Config } from '../config';
import { runDropIn } from '../dropIn';
import { createFencePort } from '../fence/agentPort';
import { createSecretStore } from '../fence/secrets';
import { fenceDefaults, fenceMethodsForHost } from '../../model/hostPolicy/fenceLevels';
import { invokeByName } from '../invokeFunction';
import { JsonLogger, stderrSink, TextLogger } from '../log';
import type { Log, LogFields } from '../../model/ports';
import { OneClient } from '../one/client';
import { CredentialsError, resolveEndpoint, resolveSession } from '../one/credentials';
import { pluginExtensions } from '../pluginExtensions';
import { flowSettings, Runner, VERSION } from '../runner';
import { STEP_ORDER } from '../flow/recoveryFlow';
import type { FenceTestResult } from '../fence/fenceTest';
import type { DisarmState } from '../flow/brakes';
import { CliError, EXIT, exitCodeTable } from './exitCodes';
import { wholeNumber } from './options';
import { ticker, type Ticker } from './progress';
import { renderDisarm, renderDryRun, renderFenceTest, renderPowerOn, renderRecoveries, renderRecovery, renderStatus, type DetailView, type StatusView, type SummaryView } from './render';
import { callRunner, resolveHost, resolveRecovery } from './runnerClient';

interface Option { type: 'string' | 'boolean'; short?: string; value?: string; help: string }
type Values = Record<string, string | boolean | undefined>;

interface Command {
  /** What follows the command name in the usage line. */
  args?: string;
  summary: string;
  options?: Record<string, Option>;
  /** Commands that take the hook's own flags (-m, -p 5, ...) leave unknown words alone. */
  passThrough?: boolean;
  run(values: Values, positionals: string[]): Promise<number>;
}

const DROP_IN_ONED_PATIENCE_SECONDS = 10;
const FUNCTION_NAMES = Object.keys(functions).join(', ');
const JSON_OPTION: Option = { type: 'boolean', help: 'print the runner\'s JSON instead of a table (for scripts)' };
const HOST_HELP = 'a host id or name, as with onehost';

const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'run the runner (config: ONEHA_CONFIG file + environment, see docs/configuration.md)',
    run: () => serveCommand(),
  },
  demo: {
    summary: 'the runner and admin console on an embedded simulated OpenNebula',
    options: {
      port: { type: 'string', value: 'N', help: 'the runner\'s port (default 2720, or a free one if 2720 is busy)' },
      'sim-port': { type: 'string', value: 'N', help: 'the simulated oned\'s port (default: a free one)' },
      scenario: { type: 'string', value: 'FILE', help: 'a simulator scenario (JSON) instead of the built-in demo cloud' },
      pause: { type: 'string', value: 'N', help: 'monitoring cycles to wait before fencing (-p of the hook; default 1)' },
      bmc: { type: 'boolean', help: 'one simulated IPMI BMC per host, fenced by the real fence_ipmilan (npm start uses it)' },
      fireedge: { type: 'boolean', help: 'also start FireEdge Sunstone with the plugin when its package is found (../shared/fireedge or $ONEHA_FIREEDGE_DIR; npm start uses it)' },
      'fireedge-dir': { type: 'string', value: 'DIR', help: 'the FireEdge package folder (implies --fireedge)' },
    },
    run: async (v) => (await companion<typeof import('../../demo/demo')>('demo.mjs', '../../demo/demo.ts')).demoCommand(v),
  },
  hook: {
    args: 'host-error [-m|-r|-d] [-f] [-p N] [-u] [--fence-command CMD] [--log FILE]',
    summary: 'foreground drop-in for ft/host_error.rb: reads the hook\'s stdin, same flags, same ONE_XMLRPC/ONE_AUTH',
    passThrough: true,
    options: {
      'fence-command': { type: 'string', value: 'CMD', help: 'fence with this fence_host.sh-style command instead of the host\'s settings' },
      log: { type: 'string', value: 'FILE', help: 'append the log to FILE instead of stderr' },
    },
    run: (v, p) => hookCommand(v, p),
  },
  invoke: {
    args: '<function>',
    summary: `run one recovery function with real ports; prints its JSON output (functions: ${FUNCTION_NAMES})`,
    options: {
      input: { type: 'string', short: 'i', value: 'FILE|-', help: 'the input JSON (default: stdin)' },
      'dry-run': { type: 'boolean', help: 'effectful functions read but change nothing' },
    },
    run: (v, p) => invokeCommand(v, p),
  },
  'fence-test': {
    args: '<host>',
    summary: 'status-only fence test of a host through the runner (never powers anything off)',
    options: { json: JSON_OPTION },
    run: (v, p) => fenceTestCommand(v, p),
  },
  status: {
    summary: 'runner health, oned, flows in progress, recoveries waiting for an operator, disarms',
    options: { json: JSON_OPTION },
    run: async (v) => print(v, await callRunner<StatusView>('GET', '/v1/status'), (s) => renderStatus(s)),
  },
  recoveries: {
    summary: 'recoveries, newest first',
    options: {
      host: { type: 'string', value: 'HOST', help: HOST_HELP },
      status: { type: 'string', value: 'STATUS', help: 'only this status (held, fence-failed, running, completed, failed, ...)' },
      limit: { type: 'string', value: 'N', help: 'at most N (default 50)' },
      json: JSON_OPTION,
    },
    run: (v) => recoveriesCommand(v),
  },
  show: {
    args: '<recovery>',
    summary: 'one recovery: steps, fencing evidence, each VM\'s outcome (an id or a unique start of one)',
    options: {
      json: JSON_OPTION,
      step: { type: 'string', value: 'STEP', help: `one journaled step (${STEP_ORDER.join(', ')}) as JSON: its function, exact input and output` },
      input: { type: 'boolean', help: 'with --step: only the input, ready for `oneha invoke <fn> --input -`' },
      output: { type: 'boolean', help: 'with --step: only the output' },
    },
    run: async (v, p) => {
      const id = await resolveRecovery(need(p[0], 'a recovery id'));
      if (v.step !== undefined) {
        const s = await callRunner<{ fn: string; input: unknown; output: unknown }>('GET', `/v1/recoveries/${encodeURIComponent(id)}/steps/${encodeURIComponent(v.step as string)}`);
        // The function to invoke goes to stderr, so stdout stays the JSON itself.
        if (v.input) console.error(`replay with: oneha invoke ${s.fn} --input <file>`);
        console.log(JSON.stringify(v.input ? s.input : v.output ? s.output : s, null, 2));
        return EXIT.ok;
      }
      return print(v, await callRunner<DetailView>('GET', `/v1/recoveries/${encodeURIComponent(id)}`), (d) => renderRecovery(d));
    },
  },
  replay: {
    args: '<recovery>',
    summary: 'run a journaled recovery again, from a step, or as a dry run that prints the plan and changes nothing',
    options: {
      from: { type: 'string', value: 'STEP', help: `start at this step (${STEP_ORDER.join(', ')}); the steps before it are reused` },
      'dry-run': { type: 'boolean', help: 'print what the replay would do; nothing is sent to oned or a BMC' },
      json: JSON_OPTION,
    },
    run: (v, p) => replayCommand(v, p),
  },
  release: {
    args: '<recovery>',
    summary: 'let a held or fence-failed recovery go on (fences the host again first)',
    options: { json: JSON_OPTION },
    run: async (v, p) => {
      const id = await resolveRecovery(need(p[0], 'a recovery id'));
      return print(v, await callRunner<SummaryView>('POST', `/v1/recoveries/${encodeURIComponent(id)}/release`), (r) => `Recovery ${r.id} released: ${r.status}.`);
    },
  },
  'confirm-down': {
    args: '<recovery>',
    summary: 'a dead BMC: confirm the host of a fence-failed or held recovery is off; the recovery goes on with your confirmation as fencing evidence',
    options: { reason: { type: 'string', value: 'TEXT', help: 'why the host is known to be off (journaled with your name)' }, json: JSON_OPTION },
    run: async (v, p) => {
      const id = await resolveRecovery(need(p[0], 'a recovery id'));
      const reason = need(v.reason as string | undefined, '--reason TEXT');
      return print(v, await callRunner<SummaryView>('POST', `/v1/recoveries/${encodeURIComponent(id)}/confirm-down`, { reason }), (r) => `Recovery ${r.id}: host confirmed down, released: ${r.status}.`);
    },
  },
  'power-on': {
    args: '<host>',
    summary: 'power a fenced host back on through its fence agent (explicit; oneha never does it alone)',
    options: { json: JSON_OPTION },
    run: async (v, p) => {
      const host = await resolveHost(need(p[0], HOST_HELP));
      const r = await callRunner<Parameters<typeof renderPowerOn>[0]>('POST', `/v1/hosts/${host.id}/power-on`);
      return print(v, r, (x) => renderPowerOn(x, `${host.name} (${host.id})`), r.ok === false ? EXIT.failed : EXIT.ok);
    },
  },
  disarm: {
    summary: 'maintenance: no new recovery for a host (or every host) for a while',
    options: {
      host: { type: 'string', value: 'HOST', help: `${HOST_HELP}; without it every host is disarmed` },
      minutes: { type: 'string', value: 'M', help: 'HA re-arms itself after M minutes (required)' },
      reason: { type: 'string', value: 'TEXT', help: 'shown in status and in the console' },
      json: JSON_OPTION,
    },
    run: (v) => disarmCommand(v),
  },
  arm: {
    summary: 'end a disarm early: the global one, one host\'s (--host) or all of them (--all)',
    options: { host: { type: 'string', value: 'HOST', help: HOST_HELP }, all: { type: 'boolean', help: 'the global disarm and every host\'s' }, json: JSON_OPTION },
    run: (v) => armCommand(v),
  },
  sim: {
    args: '--scenario FILE|demo|sample [--port N] [--host ADDR]',
    summary: 'run the simulated OpenNebula alone',
    passThrough: true,
    run: async (_v, p) => (await companion<typeof import('../../sim/main')>('sim.mjs', '../../sim/main.ts')).simMain(p),
  },
  version: { summary: 'print the version', run: async () => (console.log(VERSION), EXIT.ok) },
};

/**
 * The demo and the simulator are bundles of their own next to dist/oneha.mjs
 * (the runner never bundles the simulator); from the sources (tsx) they are
 * the .ts files.
 */
function companion<T>(bundle: string, source: string): Promise<T> {
  const fromBundle = import.meta.url.endsWith('.mjs');
  return import(new URL(fromBundle ? `./${bundle}` : source, import.meta.url).href) as Promise<T>;
}

function usageLine(name: string, c: Command): string {
  const opts = Object.entries(c.options ?? {}).filter(() => !c.args?.includes('--')).map(([k, o]) => (o.type === 'boolean' ? `[--${k}]` : `[--${k} ${o.value}]`));
  return [`oneha ${name}`, c.args, ...opts].filter(Boolean).join(' ');
}

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    `oneha ${VERSION}: high availability for OpenNebula VMs`,
    '',
    'Usage: oneha <command> [options]    (oneha <command> --help for its options)',
    '',
    ...Object.entries(COMMANDS).map(([k, c]) => `  oneha ${k.padEnd(width)}  ${c.summary}`),
    '',
    'Runner API commands (fence-test, status, recoveries, show, replay, release, confirm-down, power-on, disarm, arm) talk to',
    'the runner at ONEHA_URL (default: the config\'s listen) with the token in ONEHA_TOKEN_FILE.',
    '',
    'Exit codes (every command):',
    exitCodeTable(),
  ].join('\n');
}

export function commandHelp(name: string): string {
  const c = COMMANDS[name];
  const opts = Object.entries({ ...c.options, help: { type: 'boolean', short: 'h', help: 'this help' } as Option });
  const label = ([k, o]: [string, Option]) => `${o.short ? `-${o.short}, ` : ''}--${k}${o.type === 'string' ? ` ${o.value}` : ''}`;
  const width = Math.max(...opts.map((o) => label(o).length));
  return [
    `Usage: ${usageLine(name, c)}`,
    '',
    c.summary,
    '',
    'Options:',
    ...opts.map((o) => `  ${label(o).padEnd(width)}  ${o[1].help}`),
    '',
    'Exit codes:',
    exitCodeTable(),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.error(usage());
    return EXIT.badInput;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    console.log(topic && Object.hasOwn(COMMANDS, topic) ? commandHelp(topic) : usage());
    return EXIT.ok;
  }
  if (name === '--version') return COMMANDS.version.run({}, []);
  if (!Object.hasOwn(COMMANDS, name)) {
    console.error(`oneha: there is no command "${name}" (oneha --help lists them)`);
    return EXIT.badInput;
  }
  const cmd = COMMANDS[name];
  // Help first: nothing else runs, whatever else is on the line.
  if (rest.includes('--help') || (!cmd.passThrough && rest.includes('-h'))) {
    console.log(commandHelp(name));
    return EXIT.ok;
  }
  try {
    if (cmd.passThrough) return await cmd.run({}, rest);
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: cmd.options ?? {}, allowPositionals: !!cmd.args, strict: true });
    } catch (e) {
      throw new CliError(EXIT.badInput, `${(e as Error).message.replace(/\.$/, '')} (oneha ${name} --help lists the options)`);
    }
    return await cmd.run(parsed.values as Values, parsed.positionals);
  } catch (e) {
    if (e instanceof CliError) {
      console.error(`oneha: ${e.message}`);
      return e.exit;
    }
    if (e instanceof ConfigError || e instanceof CredentialsError) {
      console.error(`oneha: ${e.message}`);
      return EXIT.badInput;
    }
    console.error(`oneha: ${describeError(e)}`);
    return EXIT.failed;
  }
}

function need(v: string | undefined, what: string): string {
  if (!v) throw new CliError(EXIT.badInput, `missing ${what}`);
  return v;
}

function print<T>(v: Values, data: T, render: (d: T) => string, code: number = EXIT.ok): number {
  console.log(v.json ? JSON.stringify(data, null, 2) : render(data));
  return code;
}

async function serveCommand(): Promise<number> {
  // The admin console is part of the runner: sign-in, host settings, the page.
  const runner = new Runner(loadConfig(), { extensions: pluginExtensions });
  await runner.start();
  await new Promise<void>((resolve) => {
    const stop = () => {
      // Within 5 s whatever happens (systemd's TimeoutStopSec is 30 s): every acknowledged event is already durable.
      setTimeout(() => {
        console.error('oneha: stop took too long; exiting (flows resume from the journal at the next start)');
        process.exit(EXIT.ok);
      }, 4500).unref();
      void runner.stop().then(resolve, (e) => {
        console.error(`oneha: stop: ${describeError(e)}`);
        resolve();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  // Flows cut short by the stop may still hold timers or sockets: the process ends here, not when they drain.
  process.exit(EXIT.ok);
}

function oneClient(config: Config): OneClient {
  return new OneClient({ endpoint: resolveEndpoint(config.one.endpoint).value, session: resolveSession(config.one.authFile).value, timeoutMs: config.one.timeoutMs });
}

function fencePortFor(config: Config, log: Log) {
  return createFencePort({
    secrets: createSecretStore({ file: config.fence.secretsFile }), agentDir: config.fence.agentDir,
    timeoutMs: config.fence.timeoutMs, retries: config.fence.retries, retryDelayMs: config.fence.retryDelayMs, log,
    allowLoopback: config.fence.allowLoopback,
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The drop-in's log on a terminal: while the wait step watches the host, a
 * progress line under the log counts down to fencing; any log line clears it.
 */
class WaitProgressLog implements Log {
  private tick?: Ticker;
  constructor(private readonly inner: Log) {}
  private around(write: () => void, fields?: LogFields) {
    this.tick?.stop();
    this.tick = undefined;
    write();
    const until = fields?.waitUntil;
    if (typeof until === 'number') {
      this.tick = ticker(() => `  waiting for host ${fields?.hostId} to come back: ${Math.max(0, Math.ceil((until - Date.now()) / 1000))} s left before fencing`);
    }
  }
  info(msg: string, fields?: LogFields) { this.around(() => this.inner.info(msg, fields), fields); }
  warn(msg: string, fields?: LogFields) { this.around(() => this.inner.warn(msg, fields), fields); }
  error(msg: string, fields?: LogFields) { this.around(() => this.inner.error(msg, fields), fields); }
  stop() { this.tick?.stop(); }
}

async function hookCommand(_v: Values, rest: string[]): Promise<number> {
  if (rest[0] !== 'host-error') throw new CliError(EXIT.badInput, 'oneha hook takes one event: host-error (oneha hook --help)');
  // Hook flags (-m, -p 5, ...) pass through untouched: only our own options are taken out.
  const words = rest.slice(1);
  let fenceCommand: string | undefined;
  let logFile: string | undefined;
  const payloadWords: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '--fence-command') fenceCommand = need(words[++i], 'the --fence-command value');
    else if (words[i].startsWith('--fence-command=')) fenceCommand = words[i].slice('--fence-command='.length);
    else if (words[i] === '--log') logFile = need(words[++i], 'the --log value');
    else payloadWords.push(words[i]);
  }
  const config = loadConfig();
  const text = new TextLogger(logFile ? { write: (l: string) => void import('node:fs').then((fs) => fs.appendFileSync(logFile!, l)) } : stderrSink);
  const log = logFile ? text : new WaitProgressLog(text);
  // ARGUMENTS_STDIN = yes: the payload is stdin; otherwise it is argv.
  const payload = payloadWords.length ? payloadWords.join(' ') : await readStdin();
  const { code, recovery } = await runDropIn(payload, {
    one: oneClient(config),
    fence: fencePortFor(config, log),
    fenceMethods: (host) => fenceCommand ? [{ kind: 'command', command: fenceCommand }] : fenceMethodsForHost(host, fenceDefaults(config)),
    // In the foreground there is no journal to resume from and the hook manager
    // waits: oned gets a short while to answer, then exit 3 (onehook retry runs it again).
    settings: { ...flowSettings(config), transientDeadlineSeconds: Math.min(config.retries.deadlineSeconds, DROP_IN_ONED_PATIENCE_SECONDS) },
    log,
  });
  log.info(`finished: ${recovery.status}${recovery.reason ? ` (${recovery.reason})` : ''}; exit ${code}`, { hostId: recovery.hostId });
  if (log instanceof WaitProgressLog) log.stop();
  return code;
}

async function invokeCommand(v: Values, p: string[]): Promise<number> {
  const name = need(p[0], `a function name (${FUNCTION_NAMES})`);
  const fn = getFunction(name);
  if (!fn) {
    const hint = name === 'recover' ? ': the recover step runs migrate, recreate or delete, by the plan\'s mode' : name === 'finish' ? ': finish is a step of the flow, not a function' : '';
    throw new CliError(EXIT.badInput, `there is no function "${name}"${hint} (functions: ${FUNCTION_NAMES})`);
  }
  const src = v.input as string | undefined;
  const text = !src || src === '-' ? await readStdin() : readFileSync(src, 'utf8');
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    throw new CliError(EXIT.badInput, `the input is not JSON (${src && src !== '-' ? src : 'stdin'})`);
  }
  const config = loadConfig();
  const log = new JsonLogger(stderrSink);
  // A pure function (decode, select) asks for no port: it needs neither oned nor its credentials.
  const needs = new Set<string>(fn.ports);
  const unused = <T extends object>(port: string) => new Proxy({} as T, { get: () => { throw new Error(`${name} does not use the ${port} port`); } });
  const r = await invokeByName({
    one: needs.has('one') ? oneClient(config) : unused('one'),
    fence: needs.has('fence') ? fencePortFor(config, log) : unused('fence'),
    clock: realClock, log,
  }, name, input, !!v['dry-run']);
  if (r.ok) {
    console.log(JSON.stringify(r.output, null, 2));
    return EXIT.ok;
  }
  console.error(`oneha: ${r.error.message}`);
  return r.status === 400 || r.status === 404 ? EXIT.badInput : r.status === 502 ? EXIT.oned : EXIT.failed;
}

async function fenceTestCommand(v: Values, p: string[]): Promise<number> {
  const host = await resolveHost(need(p[0], HOST_HELP));
  const label = `${host.name} (${host.id})`;
  // Through the runner: the same agent, retries and time budget as the console's test.
  const tick = ticker((ms) => `  testing the fence device of host ${label}: ${Math.round(ms / 1000)} s`);
  let r: FenceTestResult;
  try {
    r = await callRunner<FenceTestResult>('POST', `/v1/hosts/${host.id}/fence-test`);
  } finally {
    tick.stop();
  }
  return print(v, r, (x) => renderFenceTest(x, label), r.reachable ? EXIT.ok : EXIT.failed);
}

async function recoveriesCommand(v: Values): Promise<number> {
  const q = new URLSearchParams();
  if (v.host !== undefined) q.set('host', String((await resolveHost(String(v.host))).id));
  if (v.status !== undefined) q.set('status', String(v.status));
  q.set('limit', String(wholeNumber(v.limit, 'limit', 1) ?? 50));
  const r = await callRunner<{ total: number; recoveries: SummaryView[] }>('GET', `/v1/recoveries?${q}`);
  return print(v, r, (x) => renderRecoveries(x.recoveries) + (x.total > x.recoveries.length ? `\n(${x.recoveries.length} of ${x.total}; --limit shows more)` : ''));
}

async function replayCommand(v: Values, p: string[]): Promise<number> {
  const from = v.from as string | undefined;
  if (from !== undefined && !(STEP_ORDER as string[]).includes(from)) throw new CliError(EXIT.badInput, `--from takes a step name (${STEP_ORDER.join(', ')}), not "${from}"`);
  const id = await resolveRecovery(need(p[0], 'a recovery id'));
  const dryRun = !!v['dry-run'];
  const r = await callRunner<{ status: string; recoveryId?: string; recovery?: DetailView }>('POST', `/v1/recoveries/${encodeURIComponent(id)}/replay`, { from, dryRun });
  if (dryRun && !v.json && r.recovery) {
    // The dry run's scratch recovery, read like any other (never the raw payload).
    const { recoveryDetail } = await import('../recoveryView');
    console.log(renderDryRun(recoveryDetail(r.recovery as never) as DetailView, from));
    return EXIT.ok;
  }
  return print(v, r, (x) => (x.status === 'joined' ? `A recovery of this host is already running: ${x.recoveryId} (oneha show ${x.recoveryId}).` : `Replay started as recovery ${x.recoveryId} (oneha show ${x.recoveryId}).`));
}

async function disarmCommand(v: Values): Promise<number> {
  const minutes = wholeNumber(need(v.minutes as string | undefined, '--minutes M (HA re-arms itself after M minutes)'), 'minutes', 1)!;
  const host = v.host === undefined ? undefined : await resolveHost(String(v.host));
  const r = await callRunner<DisarmState>('POST', '/v1/disarm', { hostId: host?.id, minutes, reason: (v.reason as string | undefined) ?? '' });
  return print(v, r, (d) => `HA disarmed for ${host ? `host ${host.name} (${host.id})` : 'every host'} for ${minutes} min.\n${renderDisarm(d)}`);
}

async function armCommand(v: Values): Promise<number> {
  if (v.all && v.host !== undefined) throw new CliError(EXIT.badInput, 'give --host or --all, not both');
  const host = v.host === undefined ? undefined : await resolveHost(String(v.host));
  let r = await callRunner<DisarmState>('POST', '/v1/arm', { hostId: host?.id });
  if (v.all) for (const id of Object.keys(r.hosts)) r = await callRunner<DisarmState>('POST', '/v1/arm', { hostId: Number(id) });
  return print(v, r, (d) => {
    const left = Object.keys(d.hosts);
    const what = host ? `host ${host.name} (${host.id})` : v.all ? 'every host' : 'the global switch';
    const rest = left.length && !v.all ? `\nStill disarmed: ${left.map((id) => `host ${id}`).join(', ')} (oneha arm --host <host>, or oneha arm --all).` : '';
    return `HA armed for ${what}.${rest}\n${renderDisarm(d)}`;
  });
}

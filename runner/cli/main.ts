// The `oneha` command line: one table of commands, each with its options,
// its help (printed before anything else runs: `--help` never has a side
// effect) and its action. API commands print tables; `--json` prints the
// runner's JSON for scripts. Exit codes: ./exitCodes.ts.
import { STEP_NAMES } from '../../model/steps';
import { FUNCTION_NAMES } from '../../functions/names';
import { VERSION } from '../version';
import { HOST_HELP, type Values } from './args';
import { CliError, EXIT, exitCodeTable } from './exitCodes';
import { runAction } from './runAction';

interface Option { type: 'string' | 'boolean'; short?: string; value?: string; help: string }

interface Command {
  /** What follows the command name in the usage line. */
  args?: string;
  summary: string;
  options?: Record<string, Option>;
  /** Commands that take the hook's own flags (-m, -p 5, ...) leave unknown words alone. */
  passThrough?: boolean;
  run(values: Values, positionals: string[]): Promise<number>;
}

const JSON_OPTION: Option = { type: 'boolean', help: 'print the runner\'s JSON instead of a table (for scripts)' };
const HOST_OPTION: Option = { type: 'string', value: 'HOST', help: HOST_HELP };
const STEPS = STEP_NAMES.join(', ');
/** The API commands' actions, loaded only when one runs. */
const api = () => import('./runnerCommands');

const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'run the runner (config: ONEHA_CONFIG file + environment, see docs/configuration.md)',
    run: async () => (await import('./serve')).serveCommand(),
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
    run: async (v, p) => (await companion<typeof import('./dropInMain')>('oneha-dropin.cjs', './dropInMain.ts')).hookCommand(v, p),
  },
  invoke: {
    args: '<function>',
    summary: `run one recovery function with real ports; prints its JSON output (functions: ${FUNCTION_NAMES.join(', ')})`,
    options: {
      input: { type: 'string', short: 'i', value: 'FILE|-', help: 'the input JSON (default: stdin)' },
      'dry-run': { type: 'boolean', help: 'effectful functions read but change nothing' },
    },
    run: async (v, p) => (await import('./invoke')).invokeCommand(v, p),
  },
  'fence-test': {
    args: '<host>',
    summary: 'status-only fence test of a host through the runner (never powers anything off)',
    options: { json: JSON_OPTION },
    run: async (v, p) => (await api()).fenceTest(v, p),
  },
  readiness: {
    args: '[host]',
    summary: 'readiness of every host (a table), or one host\'s parts with the fix for each: if it died now, would its VMs come back?',
    options: { json: JSON_OPTION, refresh: { type: 'boolean', help: 'wait for a fresh computation (otherwise the runner\'s last one, made every readiness.refreshSeconds, with its age)' } },
    run: async (v, p) => (await api()).readiness(v, p),
  },
  rehearse: {
    args: '<host>',
    summary: 'what if this healthy host died now: the whole recovery chain as a dry run (status-only fence test, plan in tier order, VMs left down, predicted MTTR); touches nothing',
    options: { json: JSON_OPTION },
    run: async (v, p) => (await api()).rehearse(v, p),
  },
  rehearsals: {
    args: '<host>',
    summary: 'the host\'s last rehearsals (at most 10), newest first: when, operator or scheduled, the outcome, VMs planned and left down, the predicted MTTR',
    options: { json: JSON_OPTION },
    run: async (v, p) => (await api()).rehearsals(v, p),
  },
  status: {
    summary: 'runner health, oned, flows in progress, recoveries waiting for an operator, disarms',
    options: { json: JSON_OPTION },
    run: async (v) => (await api()).status(v),
  },
  recoveries: {
    summary: 'recoveries, newest first',
    options: {
      host: HOST_OPTION,
      status: { type: 'string', value: 'STATUS', help: 'only this status (held, fence-failed, running, completed, failed, ...)' },
      limit: { type: 'string', value: 'N', help: 'at most N (default 50)' },
      json: JSON_OPTION,
    },
    run: async (v) => (await api()).recoveries(v),
  },
  show: {
    args: '<recovery>',
    summary: 'one recovery: steps, fencing evidence, each VM\'s outcome (an id or a unique start of one)',
    options: {
      json: JSON_OPTION,
      step: { type: 'string', value: 'STEP', help: `one journaled step (${STEPS}) as JSON: its function, exact input and output` },
      input: { type: 'boolean', help: 'with --step: only the input, ready for `oneha invoke <fn> --input -`' },
      output: { type: 'boolean', help: 'with --step: only the output' },
    },
    run: async (v, p) => (await api()).show(v, p),
  },
  replay: {
    args: '<recovery>',
    summary: 'run a journaled recovery again, from a step, or as a dry run that prints the plan and changes nothing',
    options: {
      from: { type: 'string', value: 'STEP', help: `start at this step (${STEPS}); the steps before it are reused` },
      'dry-run': { type: 'boolean', help: 'print what the replay would do; nothing is sent to oned or a BMC' },
      json: JSON_OPTION,
    },
    run: async (v, p) => (await api()).replay(v, p),
  },
  release: {
    args: '<recovery>',
    summary: 'let a held or fence-failed recovery go on (fences the host again first)',
    options: { json: JSON_OPTION },
    run: async (v, p) => (await api()).letGo(v, p, 'release'),
  },
  'confirm-down': {
    args: '<recovery>',
    summary: 'a dead BMC: confirm the host of a fence-failed or held recovery is off; the recovery goes on with your confirmation as fencing evidence',
    options: { reason: { type: 'string', value: 'TEXT', help: 'why the host is known to be off (journaled with your name)' }, json: JSON_OPTION },
    run: async (v, p) => (await api()).letGo(v, p, 'confirm-down'),
  },
  'power-on': {
    args: '<host>',
    summary: 'power a fenced host back on through its fence agent (explicit; oneha never does it alone)',
    options: { json: JSON_OPTION },
    run: async (v, p) => (await api()).powerOn(v, p),
  },
  disarm: {
    summary: 'maintenance: no new recovery for a host (or every host) for a while',
    options: {
      host: { type: 'string', value: 'HOST', help: `${HOST_HELP}; without it every host is disarmed` },
      minutes: { type: 'string', value: 'M', help: 'HA re-arms itself after M minutes (required)' },
      reason: { type: 'string', value: 'TEXT', help: 'shown in status and in the console' },
      json: JSON_OPTION,
    },
    run: async (v) => (await api()).disarm(v),
  },
  arm: {
    summary: 'end a disarm early: the global one, one host\'s (--host) or all of them (--all)',
    options: { host: HOST_OPTION, all: { type: 'boolean', help: 'the global disarm and every host\'s' }, json: JSON_OPTION },
    run: async (v) => (await api()).arm(v),
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
 * The demo, the simulator and the drop-in are bundles of their own next to
 * dist/oneha.mjs (the runner never bundles the simulator; the drop-in loads
 * only its own code, build.mjs says why); from the sources (tsx) they are the
 * .ts files.
 */
async function companion<T>(bundle: string, source: string): Promise<T> {
  const fromBundle = import.meta.url.endsWith('.mjs');
  // A CommonJS bundle (the drop-in's) is required: import() would have node scan its source for exports first.
  if (fromBundle && bundle.endsWith('.cjs')) return (await import('node:module')).createRequire(import.meta.url)(`./${bundle}`) as T;
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
    'Runner API commands (fence-test, readiness, rehearse, rehearsals, status, recoveries, show, replay, release, confirm-down, power-on, disarm, arm) talk to',
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
  return runAction(async () => {
    if (cmd.passThrough) return cmd.run({}, rest);
    // node:util is loaded here: `--help` and the drop-in (pass-through) never parse options with it.
    const { parseArgs } = await import('node:util');
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: cmd.options ?? {}, allowPositionals: !!cmd.args, strict: true });
    } catch (e) {
      throw new CliError(EXIT.badInput, `${(e as Error).message.replace(/\.$/, '')} (oneha ${name} --help lists the options)`);
    }
    return cmd.run(parsed.values as Values, parsed.positionals);
  });
}


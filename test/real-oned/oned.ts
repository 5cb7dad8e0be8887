// A real oned (../shared/oned: OpenNebula built from source, dummy drivers)
// for end-to-end tests and the MTTR benchmark: set up, started once per run
// with oneha installed the way deploy/install.sh installs it, driven over
// XML-RPC, and its hosts failed and restored with the package's own scripts.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { BUNDLE, ROOT, rawCall, run, until } from '../helpers/processes';
import { SHARED } from '../helpers/samples';

export const ONED_PKG = join(SHARED, 'oned');
/**
 * oned's ports, handed to start.sh: the package's defaults unless the environment names
 * others (ONEHA_REAL_ONED_ONE_PORT, _MONITOR_PORT, _HM_PORT), so that a second oned, with
 * its own ONEHA_REAL_ONED_DIR, can run beside the suite's.
 */
export const ONED_PORTS = {
  ONE_PORT: envPort('ONEHA_REAL_ONED_ONE_PORT', 2733),
  MONITOR_PORT: envPort('ONEHA_REAL_ONED_MONITOR_PORT', 4724),
  HM_PORT: envPort('ONEHA_REAL_ONED_HM_PORT', 2701),
};
export const ONED_URL = `http://127.0.0.1:${ONED_PORTS.ONE_PORT}/RPC2`;

function envPort(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  // HM_PORT + 1 is the hook manager's replier: the port and the one after it must be valid.
  if (!/^\d+$/.test(v) || +v < 1024 || +v > 65534) throw new Error(`${name}=${v}: a port number from 1024 to 65534`);
  return +v;
}
export const HOSTS = 4;

/** Where everything lives: the oned install (DEST), oneha staged by install.sh --prefix, test files. */
export interface Layout {
  base: string;
  dest: string;
  prefix: string;
  work: string;
  /** The runner's port, written into oneha.env before install.sh (so hook.env points at it). */
  runnerPort: number;
  fenceLog: string;
  /** A fence_host.sh that exits 0 and logs the host id, where the stock one lives (remotes/hooks/ft). */
  fenceCommand: string;
  hooksDir: string;
}

export function layout(base = process.env.ONEHA_REAL_ONED_DIR ?? '/tmp/oneha-real-oned', runnerPort = 2790): Layout {
  const dest = join(base, 'one');
  const work = join(base, 'work');
  const hooksDir = join(dest, 'var/remotes/hooks');
  return { base, dest, prefix: join(base, 'root'), work, runnerPort, fenceLog: join(work, 'fenced.log'), fenceCommand: join(hooksDir, 'ft/fence_host.sh'), hooksDir };
}

const sh = async (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 300_000) => {
  const r = await run(cmd, args, { env, timeoutMs });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
};

/** The environment of oned, its hook manager and so of every hook (start.sh passes it through). */
export function onedEnv(l: Layout): Record<string, string> {
  return {
    ONE_USER: 'oneadmin',
    // The installed hook script and CLI, staged under the prefix instead of /etc and /usr.
    ONEHA_HOOK_ENV: join(l.prefix, 'etc/oneha/hook.env'),
    ONEHA_ENV_FILE: join(l.prefix, 'etc/oneha/oneha.env'),
    ONEHA_CLI: join(l.prefix, 'usr/bin/oneha'),
    // A hook that cannot reach the runner gives up after 5 s instead of 50 s: the
    // "hook lost while the runner is down" case waits for that, not for the default.
    ONEHA_HOOK_BUDGET: '5',
  };
}

/** start.sh's port settings (../shared/oned/README.md, "Environment"). */
const portsEnv = (): Record<string, string> => Object.fromEntries(Object.entries(ONED_PORTS).map(([k, v]) => [k, String(v)]));

/** The runner's settings as install.sh leaves them for an operator to edit (oneha.env + oneha.json). */
export function runnerEnv(l: Layout): Record<string, string> {
  const etc = join(l.prefix, 'etc/oneha');
  return {
    ONE_XMLRPC: ONED_URL,
    ONE_AUTH: join(l.dest, 'var/.one/one_auth'),
    ONEHA_LISTEN: `127.0.0.1:${l.runnerPort}`,
    ONEHA_TOKEN_FILE: join(etc, 'token'),
    ONEHA_CONFIG: join(etc, 'oneha.json'),
    ONEHA_SECRETS_FILE: join(etc, 'secrets.json'),
    ONEHA_DATA_DIR: join(l.prefix, 'var/lib/oneha'),
    ONEHA_FENCE_COMMAND: l.fenceCommand,
  };
}

export const RUNNER_CONFIG = (l: Layout) => ({
  monitoring: { monitordConf: join(l.dest, 'etc/monitord.conf'), pollSeconds: 1 },
  // Several single-host failures follow one another within minutes here; each is
  // back in service before the next, so the mass-failure brake is not what is tested.
  brakes: { massFailure: { share: 1, count: 0, windowSeconds: 1 } },
  retries: { delayMs: 500 },
  reconcile: { intervalSeconds: 10 },
  // A reconciled flow (no hook flags) recovers at once: the lost-hook case does not wait 2 cycles again.
  defaults: { mode: 'migrate', pause: 0 },
  // Two VMs at a time: the SIGKILL case's recovery lasts long enough to be cut in the middle.
  concurrency: { vms: 2, flows: 4 },
  // The hook probe (readiness): a probe per computation; oned's hook manager on a loaded machine takes seconds.
  readiness: { probeIntervalSeconds: 1, probeTimeoutSeconds: 60 },
});

/**
 * Unpacks and starts a fresh cloud (N dummy hosts, no VMs), installs oneha with
 * deploy/install.sh --prefix and creates its hook with `onehook create`, as an
 * operator would. Returns the start log.
 */
export async function startOned(
  l: Layout, hosts = HOSTS, onLine: (l: string) => void = () => {}, env: Record<string, string> = {},
  opts: { priority?: boolean; schedulerRetrySeconds?: number } = {},
): Promise<void> {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` (npm test does it first)`);
  mkdirSync(l.base, { recursive: true, mode: 0o755 });
  chmodSync(l.base, 0o755);
  if (existsSync(join(l.dest, 'var/oned.pid'))) await stopOned(l, true).catch((e) => onLine(`stop of an earlier oned: ${e}`));
  onLine(await sh(join(ONED_PKG, 'setup.sh'), [l.dest]));
  if (existsSync(join(l.dest, 'var/one.db'))) onLine(await sh(join(ONED_PKG, 'stop.sh'), [l.dest, '--wipe']));
  installOneha(l);
  // The drivers' (and so the monitoring probes') `nice` increment over oned: stock 19.
  setting(join(l.dest, 'etc/defaultrc'), 'PRIORITY', opts.priority ? 0 : 19);
  // How long the scheduler waits before it tries again a VM it did not dispatch: stock 60 s.
  // With MAX_ACTIONS_PER_HOST 1, a host that is still booting the last VM it got is at its
  // limit, so on a loaded machine a case's 3rd or 4th VM waited a whole minute for its turn.
  setting(join(l.dest, 'etc/oned.conf'), 'SCHED_RETRY_TIME', opts.schedulerRetrySeconds ?? 60);
  const t0 = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      const start = [join(ONED_PKG, 'start.sh'), l.dest, String(hosts), '0'];
      onLine(await sh(...niced(start, opts.priority), { ...onedEnv(l), ...portsEnv(), ...env }));
      break;
    } catch (e) {
      // On a busy machine the dummy monitor clients can take longer to start than
      // start.sh waits (180 s; monitord retries them): oned is up, give the hosts more time.
      if (/timed out waiting for \d+ hosts MONITORED/.test(String(e))) {
        onLine('start.sh: hosts not MONITORED in its 180 s; waiting longer');
        break;
      }
      // oned exits when a driver does not answer within its fixed 10 s; start.sh tries 3 times.
      // Under heavy load all 3 can miss: start over from a fresh database, twice more.
      if (attempt === 3 || !/Driver initialization time out/.test(String(e))) throw e;
      onLine(`start.sh gave up (drivers too slow to start, attempt ${attempt}); again from a fresh database`);
      await stopOned(l, true);
    }
  }
  await until(async () => {
    const pool = xml(await call('one.hostpool.info')).HOST_POOL?.HOST ?? [];
    return pool.length === hosts && pool.every((h: any) => +h.STATE === HOST.MONITORED);
  }, 300_000, `${hosts} hosts MONITORED`);
  onLine(`oned and ${hosts} hosts up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // The hooks, as install.sh --activate creates them (as oneadmin: `onehook create host_error.hook`, then the probe's).
  await cli(l, 'onehook', 'create', join(l.prefix, 'usr/share/oneha/host_error.hook'));
  await cli(l, 'onehook', 'create', join(l.prefix, 'usr/share/oneha/probe.hook'));
}

/**
 * oned as on its own front-end, not starved by the test processes beside it: oned gives
 * each of its drivers (Ruby) a fixed 10 s to start, which they miss at load 20+ on two
 * cores, and its monitoring, scheduler and hooks run in the same process tree (they
 * inherit the priority). Needs root; otherwise `nice` warns and runs it unchanged.
 */
function niced([cmd, ...args]: string[], priority = false): [string, string[]] {
  return priority ? ['nice', ['-n', '-10', cmd, ...args]] : [cmd, args];
}

/** One `NAME=number` / `NAME = number` line of an OpenNebula configuration file, set. */
function setting(file: string, name: string, value: number): void {
  const line = new RegExp(`^(${name} *= *)\\d+$`, 'm');
  const text = readFileSync(file, 'utf8');
  if (!line.test(text)) throw new Error(`${file}: no ${name} line`);
  writeFileSync(file, text.replace(line, `$1${value}`));
}

export async function stopOned(l: Layout, wipe = false): Promise<void> {
  await sh(join(ONED_PKG, 'stop.sh'), [l.dest, ...(wipe ? ['--wipe'] : [])], {}, 120_000);
}

/** deploy/install.sh into the prefix, its hook folder linked where oned's hook manager looks. */
function installOneha(l: Layout): void {
  rmSync(l.prefix, { recursive: true, force: true });
  rmSync(l.work, { recursive: true, force: true });
  mkdirSync(join(l.prefix, 'etc/oneha'), { recursive: true });
  mkdirSync(l.work, { recursive: true, mode: 0o777 });
  chmodSync(l.work, 0o777); // the hook (as oneadmin) and the runner write here
  const env = runnerEnv(l);
  // The operator's settings, in place before install.sh (which keeps an existing oneha.env).
  writeFileSync(join(l.prefix, 'etc/oneha/oneha.env'), Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''));
  writeFileSync(join(l.prefix, 'etc/oneha/oneha.json'), JSON.stringify(RUNNER_CONFIG(l), null, 2));
  const r = spawnSyncOk(join(ROOT, 'deploy/install.sh'), ['--prefix', l.prefix, '--bundle', BUNDLE]);
  if (!r.includes('installed oneha')) throw new Error(r);
  // The package's hook folder is DEST/var/remotes/hooks (its hook_base_path), not /var/lib/one/remotes/hooks.
  const link = join(l.hooksDir, 'oneha');
  rmSync(link, { recursive: true, force: true });
  symlinkSync(join(l.prefix, 'var/lib/one/remotes/hooks/oneha'), link);
  // The operator's ft/fence_host.sh (the stock one starts with `exit 1`): exits 0, logs the host id.
  writeFileSync(l.fenceCommand, [
    '#!/bin/sh',
    '# The operator\'s fence_host.sh for a cloud of dummy hosts: nothing to power off; exits 0.',
    '# Reads the base64 host XML on stdin (as host_error.rb and oneha pass it); logs "<host id> <start ms> <end ms>".',
    'start=$(date +%s%3N)',
    "id=$(base64 -d | grep -o '<ID>[0-9]*</ID>' | head -n1 | tr -dc 0-9)",
    `echo "$id $start $(date +%s%3N)" >> '${l.fenceLog}'`,
    '',
  ].join('\n'), { mode: 0o755 });
  writeFileSync(l.fenceLog, '', { mode: 0o666 });
  chmodSync(l.fenceLog, 0o666);
}

function spawnSyncOk(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** The OpenNebula CLI of the package (Ruby), for what an operator types. */
export function cli(l: Layout, ...args: string[]): Promise<string> {
  return sh('bash', ['-c', `. '${l.dest}/one.env' && "$@"`, 'cli', ...args], {}, 60_000);
}

/**
 * fail_host.sh: the host's probes fail (monitord sets ERROR, its VMs go UNKNOWN,
 * oned runs the ERROR hooks); waits until oned shows the host out of MONITORED
 * (the script's own wait for ERROR can miss a recovery that disables the host first).
 */
export async function failHost(l: Layout, h: { id: number; name: string }): Promise<void> {
  await sh(join(ONED_PKG, 'fail_host.sh'), [l.dest, h.name, '--no-wait']);
  await until(async () => (await host(h.id)).state !== HOST.MONITORED, 120_000, `host ${h.name} to fail`);
}
/** fail_host.sh --restore: the probes succeed again; waits until the host leaves ERROR (a DISABLED host stays so). */
export async function unfailHost(l: Layout, name: string): Promise<void> {
  await sh(join(ONED_PKG, 'fail_host.sh'), [l.dest, name, '--restore'], { FAIL_TIMEOUT: '120' }, 150_000);
}

// --- oned over XML-RPC ------------------------------------------------------

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (n) => ['HISTORY', 'ID', 'VM', 'HOST', 'HOOK', 'HOOK_EXECUTION_RECORD'].includes(n) });

export class OneError extends Error {
  constructor(readonly method: string, message: string, readonly code: number) {
    super(`${method}: ${message} (${code})`);
  }
}

/** One XML-RPC call; the reply array as oned sent it. */
export function rpc(method: string, ...params: unknown[]): Promise<unknown[]> {
  return rawCall(ONED_URL, method, params);
}

export async function call(method: string, ...params: unknown[]): Promise<any> {
  const r = await rpc(method, ...params);
  if (!r[0]) throw new OneError(method, String(r[1]), Number(r[2]));
  return r[1];
}

export const xml = (text: string) => parser.parse(text);

export interface HistoryRecord { seq: number; hostId: number; hostname: string; action: number; dsId: number }
export interface VmView { id: number; state: number; lcm: number; resched: number; history: HistoryRecord[]; hostId?: number; schedMessage?: string }

export async function vm(id: number): Promise<VmView> {
  const v = xml(await call('one.vm.info', id, false)).VM[0];
  const history: HistoryRecord[] = (v.HISTORY_RECORDS?.HISTORY ?? []).map((h: any) => ({ seq: +h.SEQ, hostId: +h.HID, hostname: h.HOSTNAME, action: +h.ACTION, dsId: +h.DS_ID }));
  return { id, state: +v.STATE, lcm: +v.LCM_STATE, resched: +v.RESCHED, history, hostId: history.at(-1)?.hostId, schedMessage: v.USER_TEMPLATE?.SCHED_MESSAGE };
}

export interface HostView { id: number; name: string; state: number; vms: number[] }
export async function host(id: number): Promise<HostView> {
  const h = xml(await call('one.host.info', id, false)).HOST[0];
  return { id, name: h.NAME, state: +h.STATE, vms: (h.VMS?.ID ?? []).map(Number) };
}

export const HOST = { INIT: 0, MONITORED: 2, ERROR: 3, DISABLED: 4, OFFLINE: 8 } as const;
export const running = (v: VmView) => v.state === 3 && v.lcm === 3;

export async function templateId(name: string): Promise<number> {
  const pool = xml(await call('one.templatepool.info', -2, -1, -1));
  const t = [pool.VMTEMPLATE_POOL.VMTEMPLATE].flat().find((x: any) => x.NAME === name);
  if (!t) throw new Error(`no template ${name}`);
  return +t.ID;
}

export async function datastoreId(name: string): Promise<number> {
  const pool = xml(await call('one.datastorepool.info'));
  const d = [pool.DATASTORE_POOL.DATASTORE].flat().find((x: any) => x.NAME === name);
  if (!d) throw new Error(`no datastore ${name}`);
  return +d.ID;
}

/** VMs from a package template ("vm-shared" / "vm-local"), deployed on a chosen host, RUNNING. */
export async function deployVms(template: 'vm-shared' | 'vm-local', hostId: number, n: number, name: string = template): Promise<number[]> {
  const tid = await templateId(template);
  const ds = await datastoreId(template === 'vm-shared' ? 'sys-shared' : 'sys-local');
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = Number(await call('one.template.instantiate', tid, `${name}-${Date.now() % 100000}-${i}`, true, '', false));
    await call('one.vm.deploy', id, hostId, false, ds);
    ids.push(id);
  }
  await until(async () => (await Promise.all(ids.map(vm))).every(running), 60_000, `VMs ${ids} RUNNING on host ${hostId}`);
  return ids;
}

/** Back in service: probes succeed again (fail_host.sh --restore), then `onehost enable`. */
export async function restoreHost(l: Layout, h: HostView): Promise<void> {
  await unfailHost(l, h.name);
  await until(async () => (await host(h.id)).state !== HOST.ERROR, 60_000, `host ${h.name} out of ERROR`);
  await call('one.host.status', h.id, 0);
  await until(async () => (await host(h.id)).state === HOST.MONITORED, 60_000, `host ${h.name} MONITORED`);
}

/** The oneha hook's template, edited as an operator would (`onehook update`, merge). */
export async function setHook(args: { command?: string; arguments: string }): Promise<number> {
  const id = await hookId('oneha_host_error');
  const tmpl = `ARGUMENTS = "${args.arguments}"${args.command ? `\nCOMMAND = "${args.command}"` : ''}`;
  await call('one.hook.update', id, tmpl, 1);
  return id;
}

export async function hookId(name: string): Promise<number> {
  const pool = xml(await call('one.hookpool.info', -2, -1, -1));
  const h = (pool.HOOK_POOL?.HOOK ?? []).find((x: any) => x.NAME === name);
  if (!h) throw new Error(`no hook ${name}`);
  return +h.ID;
}

export interface HookExecution { id: number; rc: number; stdout: string; stderr: string }
/** The hook's executions as oned records them (`onehook show`: HOOKLOG). */
export async function hookExecutions(id: number): Promise<HookExecution[]> {
  const h = xml(await call('one.hook.info', id, false)).HOOK[0];
  return (h.HOOKLOG?.HOOK_EXECUTION_RECORD ?? []).map((r: any) => ({
    id: +r.EXECUTION_ID, rc: Number(r.EXECUTION_RESULT?.CODE ?? NaN),
    stdout: b64(r.EXECUTION_RESULT?.STDOUT), stderr: b64(r.EXECUTION_RESULT?.STDERR),
  }));
}
const b64 = (s: unknown) => (typeof s === 'string' ? Buffer.from(s, 'base64').toString('utf8') : '');

/** Each run of the fence_host.sh above, in order. */
export function fenceLines(l: Layout): { hostId: number; start: number; end: number }[] {
  if (!existsSync(l.fenceLog)) return [];
  return readFileSync(l.fenceLog, 'utf8').split('\n').filter(Boolean).map((x) => {
    const [hostId, start, end] = x.split(' ').map(Number);
    return { hostId, start, end };
  });
}
export const fenced = (l: Layout): number[] => fenceLines(l).map((f) => f.hostId);

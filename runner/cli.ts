// The `oneha` command line.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describeError } from '../functions/oneErrors';
import { realClock } from '../functions/ports';
import { ConfigError, loadConfig, parseListen, type Config } from './config';
import { EXIT, runDropIn } from './dropIn';
import { createFencePort } from './fence/agentPort';
import { createSecretStore } from './fence/secrets';
import { fenceMethodsForHost } from './fence/settings';
import { runFenceTest } from './fence/fenceTest';
import { invokeByName } from './invokeFunction';
import { JsonLogger, stderrSink, TextLogger } from './log';
import { OneClient } from './one/client';
import { CredentialsError, resolveEndpoint, resolveSession } from './one/credentials';
import { flowSettings, Runner, VERSION } from './runner';
import { pluginExtensions } from './pluginExtensions';

const USAGE = `oneha ${VERSION}: high availability for OpenNebula VMs

Usage:
  oneha serve                         run the runner (config: ONEHA_CONFIG file + environment)
  oneha demo [--port N]               runner + admin console on an embedded simulated cloud
  oneha hook host-error [--fence-command CMD] [payload words...]
                                      foreground drop-in for ft/host_error.rb (reads the hook's stdin)
  oneha invoke <function> [--input FILE|-] [--dry-run]
                                      run one recovery function with the real ports
  oneha fence-test <host-id>          status-only fence test of a host (never powers off)
  oneha status                        runner health and flows in progress
  oneha replay <recovery-id> [--from STEP] [--dry-run]
  oneha release <recovery-id>         let a held or fence-failed recovery go on
  oneha power-on <host-id>            power a fenced host back on (explicit; oneha never does it alone)
  oneha disarm [--host N] --minutes M [--reason TEXT]
  oneha arm [--host N]
  oneha sim --scenario FILE [--port N]
                                      run the simulated OpenNebula alone

Runner API clients (status, replay, release, disarm, arm) use ONEHA_URL (default from the
config's listen) and the token in ONEHA_TOKEN_FILE.`;

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'serve': return await serveCommand();
      case 'demo': return await (await import('./demo')).demoCommand(rest);
      case 'hook': return await hookCommand(rest);
      case 'invoke': return await invokeCommand(rest);
      case 'fence-test': return await fenceTestCommand(rest);
      case 'status': return await apiCommand('GET', '/v1/status');
      case 'replay': return await replayCommand(rest);
      case 'release': return await apiCommand('POST', `/v1/recoveries/${need(rest[0], 'a recovery id')}/release`);
      case 'power-on': return await apiCommand('POST', `/v1/hosts/${Number(need(rest[0], 'a host id'))}/power-on`);
      case 'disarm': return await disarmCommand(rest, true);
      case 'arm': return await disarmCommand(rest, false);
      case 'sim': return await (await import('../sim/main')).simMain(rest);
      case 'version': case '--version': console.log(VERSION); return 0;
      case undefined: case 'help': case '--help': case '-h': console.log(USAGE); return cmd ? 0 : EXIT.badInput;
      default: throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`oneha: ${e.message}\n\n${USAGE}`);
      return EXIT.badInput;
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
  if (!v) throw new UsageError(`missing ${what}`);
  return v;
}

function args(rest: string[], options: NonNullable<ParseArgsConfig['options']>, allowPositionals = true) {
  try {
    return parseArgs({ args: rest, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function serveCommand(): Promise<number> {
  // The admin console is part of the runner: sign-in, host settings, the page.
  const runner = new Runner(loadConfig(), { extensions: pluginExtensions });
  await runner.start();
  await new Promise<void>((resolve) => {
    const stop = () => void runner.stop().then(resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}

function oneClient(config: Config): OneClient {
  return new OneClient({ endpoint: resolveEndpoint(config.one.endpoint).value, session: resolveSession(config.one.authFile).value, timeoutMs: config.one.timeoutMs });
}

function fencePortFor(config: Config, log: TextLogger | JsonLogger) {
  return createFencePort({
    secrets: createSecretStore({ file: config.fence.secretsFile }), agentDir: config.fence.agentDir,
    timeoutMs: config.fence.timeoutMs, retries: config.fence.retries, retryDelayMs: config.fence.retryDelayMs, log,
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function hookCommand(rest: string[]): Promise<number> {
  if (rest[0] !== 'host-error') throw new UsageError('oneha hook takes one event: host-error');
  // Hook flags (-m, -p 5, ...) pass through untouched: only our own options are taken out.
  const words = rest.slice(1);
  let fenceCommand: string | undefined;
  let logFile: string | undefined;
  const payloadWords: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '--fence-command') fenceCommand = need(words[++i], '--fence-command value');
    else if (words[i].startsWith('--fence-command=')) fenceCommand = words[i].slice('--fence-command='.length);
    else if (words[i] === '--log') logFile = need(words[++i], '--log value');
    else payloadWords.push(words[i]);
  }
  const config = loadConfig();
  const sink = logFile ? { write: (l: string) => void import('node:fs').then((fs) => fs.appendFileSync(logFile!, l)) } : stderrSink;
  const log = new TextLogger(sink);
  // ARGUMENTS_STDIN = yes: the payload is stdin; otherwise it is argv.
  const payload = payloadWords.length ? payloadWords.join(' ') : await readStdin();
  const { code, recovery } = await runDropIn(payload, {
    one: oneClient(config),
    fence: fencePortFor(config, log),
    fenceMethods: (host) => fenceCommand ? [{ kind: 'command', command: fenceCommand }] : fenceMethodsForHost(host, { command: config.fence.command, agent: config.fence.agent, options: config.fence.options }),
    settings: flowSettings(config),
    log,
  });
  log.info(`finished: ${recovery.status}${recovery.reason ? ` (${recovery.reason})` : ''}; exit ${code}`, { hostId: recovery.hostId });
  return code;
}

async function invokeCommand(rest: string[]): Promise<number> {
  const { values, positionals } = args(rest, { input: { type: 'string', short: 'i' }, 'dry-run': { type: 'boolean' } });
  const name = need(positionals[0], 'a function name (decode, wait, fence, inventory, select, migrate, recreate, delete)');
  const src = values.input as string | undefined;
  const text = !src || src === '-' ? await readStdin() : readFileSync(src, 'utf8');
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    throw new UsageError(`the input is not JSON (${src ?? 'stdin'})`);
  }
  const config = loadConfig();
  const log = new JsonLogger(stderrSink);
  const r = await invokeByName({ one: oneClient(config), fence: fencePortFor(config, log), clock: realClock, log }, name, input, !!values['dry-run']);
  if (r.ok) {
    console.log(JSON.stringify(r.output, null, 2));
    return 0;
  }
  console.error(`oneha: ${r.error.code}: ${r.error.message}`);
  return r.status === 400 || r.status === 404 ? EXIT.badInput : r.status === 502 ? EXIT.oned : EXIT.failed;
}

async function fenceTestCommand(rest: string[]): Promise<number> {
  const id = Number(need(rest[0], 'a host id'));
  if (!Number.isInteger(id) || id < 0) throw new UsageError('the host id is a whole number');
  const config = loadConfig();
  const log = new JsonLogger(stderrSink);
  const host = await oneClient(config).hostInfo(id);
  const methods = fenceMethodsForHost(host, { command: config.fence.command, agent: config.fence.agent, options: config.fence.options });
  const r = await runFenceTest(host, methods, fencePortFor(config, log), realClock);
  console.log(JSON.stringify(r, null, 2));
  return r.reachable ? 0 : EXIT.failed;
}

function runnerUrl(): string {
  if (process.env.ONEHA_URL) return process.env.ONEHA_URL.replace(/\/$/, '');
  const { hostname, port } = parseListen(loadConfig().listen);
  return `http://${hostname === '0.0.0.0' ? '127.0.0.1' : hostname}:${port}`;
}

function cliToken(): string {
  const file = process.env.ONEHA_TOKEN_FILE ?? loadConfig().tokenFile;
  if (!file) throw new UsageError('set ONEHA_TOKEN_FILE to the runner token file');
  return readFileSync(file, 'utf8').split('\n')[0].trim();
}

async function apiCommand(method: 'GET' | 'POST', path: string, body?: unknown): Promise<number> {
  const url = runnerUrl() + path;
  let res: Response;
  try {
    res = await fetch(url, {
      method, headers: { authorization: `Bearer ${cliToken()}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    console.error(`oneha: cannot reach the runner at ${url}: ${(e as Error).cause ?? (e as Error).message}`);
    return EXIT.failed;
  }
  const text = await res.text();
  let out: unknown = text;
  try {
    out = JSON.parse(text);
  } catch { /* plain text */ }
  (res.ok ? console.log : console.error)(typeof out === 'string' ? out : JSON.stringify(out, null, 2));
  return res.ok ? 0 : EXIT.failed;
}

async function replayCommand(rest: string[]): Promise<number> {
  const { values, positionals } = args(rest, { from: { type: 'string' }, 'dry-run': { type: 'boolean' } });
  const id = need(positionals[0], 'a recovery id');
  return apiCommand('POST', `/v1/recoveries/${encodeURIComponent(id)}/replay`, { from: values.from, dryRun: !!values['dry-run'] });
}

async function disarmCommand(rest: string[], disarm: boolean): Promise<number> {
  const { values } = args(rest, { host: { type: 'string' }, minutes: { type: 'string' }, reason: { type: 'string' } }, false);
  const hostId = values.host === undefined ? undefined : Number(values.host);
  if (!disarm) return apiCommand('POST', '/v1/arm', { hostId });
  const minutes = Number(need(values.minutes as string | undefined, '--minutes'));
  return apiCommand('POST', '/v1/disarm', { hostId, minutes, reason: values.reason ?? '' });
}

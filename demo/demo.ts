// `oneha demo` (and `npm start`): the runner and the admin console on an
// embedded simulated OpenNebula. Its own bundle (dist/demo.mjs), loaded by
// the CLI only for `oneha demo`: the production bundle holds no simulator. A failed host goes through the real hook
// script (deploy/onehook/onehook.sh), the real runner flow and a fence
// command, so a newcomer watches a recovery end to end.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { startIpmiSim, type IpmiSim } from '../sim/bmc/ipmiSim';
import { startSimulator, type Simulator } from '../sim/server';
import demoScenario from '../sim/scenarios/demo.json';
import { loadConfig } from '../runner/config';
import { demoRoutes, type DemoControls } from '../runner/http/demoRoutes';
import { Runner } from '../runner/runner';
import { pluginExtensions } from '../runner/pluginExtensions';
import { CliError, EXIT } from '../runner/cli/exitCodes';
import { wholeNumber } from '../runner/cli/options';
import { fireEdgePackage, startDemoFireEdge, type DemoFireEdge } from './demoFireEdge';

const DEFAULT_DEMO_PORT = 2720;

/** Whether `port` can be listened on now; port 0 answers a free one. */
function tryPort(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => {
      const got = (s.address() as { port: number }).port;
      s.close(() => resolve(got));
    });
  });
}

/** The checkout root, from dist/demo.mjs or from demo/demo.ts under tsx. */
export function repoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '..');
}

export interface DemoHandle {
  runnerUrl: string;
  simUrl: string;
  token: string;
  /** FireEdge Sunstone with the plugin, when asked for and available. */
  sunstone?: string;
  /** Why there is no Sunstone, when one was asked for. */
  sunstoneMissing?: string;
  stop(): Promise<void>;
}

export async function startDemo(opts: { port?: number; simPort?: number; dataDir?: string; quiet?: boolean; pause?: number; scenarioFile?: string; bmc?: boolean; fireedge?: string | boolean } = {}): Promise<DemoHandle> {
  const root = repoRoot();
  const dataDir = resolve(opts.dataDir ?? process.env.ONEHA_DATA_DIR ?? join(process.cwd(), '.data', 'demo'));
  // Each demo starts a new simulated cloud: recoveries of an earlier demo's cloud would not make sense in it.
  rmSync(join(dataDir, 'journal'), { recursive: true, force: true });
  rmSync(join(dataDir, 'disarm.json'), { force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(24).toString('hex');
  const port = opts.port ?? DEFAULT_DEMO_PORT;
  writeFileSync(join(dataDir, 'token'), token + '\n', { mode: 0o600 });
  writeFileSync(join(dataDir, 'one_auth'), 'oneadmin:oneadmin\n', { mode: 0o600 });
  writeFileSync(join(dataDir, 'hook.env'), `ONEHA_URL=http://127.0.0.1:${port}\nONEHA_TOKEN=${token}\n`, { mode: 0o600 });
  // The hook manager runs a command with the payload on stdin: the real hook script.
  const hookScript = join(root, 'deploy', 'onehook', 'onehook.sh');
  if (!existsSync(hookScript)) throw new Error(`${hookScript} is missing`);
  // Named as installed (hook_base_path/oneha/onehook.sh): readiness's hook part recognises oneha's hook by it.
  mkdirSync(join(dataDir, 'oneha'), { recursive: true });
  const hookWrapper = join(dataDir, 'oneha', 'onehook.sh');
  writeFileSync(hookWrapper, `#!/bin/sh\nONEHA_HOOK_ENV='${join(dataDir, 'hook.env')}' exec sh '${hookScript}' "$@"\n`);
  chmodSync(hookWrapper, 0o755);
  // Without a BMC, fencing is a command that takes a moment and succeeds.
  const fenceCmd = join(dataDir, 'fence-demo.sh');
  writeFileSync(fenceCmd, '#!/bin/sh\n# demo fence: reads the base64 host XML like fence_host.sh, "powers off" after a moment\ncat >/dev/null\nsleep 1\necho "host powered off (simulated)"\n');
  chmodSync(fenceCmd, 0o755);

  const pause = opts.pause ?? 1;
  const base = opts.scenarioFile ? JSON.parse(readFileSync(opts.scenarioFile, 'utf8')) : demoScenario;
  const scenario = {
    ...base,
    // oneha's two hooks as install.sh creates them: host ERROR, and the readiness probe (an API hook).
    hooks: [
      { name: 'oneha_host_error', state: 'ERROR', command: hookWrapper, arguments: `$TEMPLATE -m -p ${pause}`, argumentsStdin: true, timeoutSeconds: 60 },
      { name: 'oneha_probe', type: 'api', call: 'one.hook.update', command: hookWrapper, arguments: '$API', argumentsStdin: true, timeoutSeconds: 60 },
    ],
    options: { ...(base as { options?: object }).options, schedulerIntervalMs: 500, bootDelayMs: 1500 },
  };
  const sim = await startSimulator({ scenario: scenario as never, port: opts.simPort ?? 0 });
  // With --bmc (and openipmi + fence-agents installed) every host gets a simulated BMC that
  // fence_ipmilan really powers off; otherwise the demo fence command stands in.
  const bmcs = opts.bmc ? await startDemoBmcs(sim, dataDir) : [];
  const fePkg = opts.fireedge ? fireEdgePackage(root, typeof opts.fireedge === 'string' ? opts.fireedge : undefined) : undefined;
  const fePort = fePkg ? ((await tryPort(2616)) ?? (await tryPort(0))!) : 0;
  const config = loadConfig({ ...process.env, ONEHA_CONFIG: undefined, ONE_XMLRPC: undefined, ONE_AUTH: undefined }, {
    listen: `127.0.0.1:${port}`,
    // The Sunstone plugin calls the runner from FireEdge's origin.
    ...(fePkg ? { plugin: { allowedOrigins: [`http://127.0.0.1:${fePort}`] } } : {}),
    dataDir,
    one: { endpoint: sim.url, authFile: join(dataDir, 'one_auth') },
    monitoring: { intervalSeconds: 5, pollSeconds: 1 },
    // With simulated BMCs the stand-in command is not a second fence level: it would turn every
    // real fencing failure (a wrong FENCE_IP, a stopped BMC) into a success.
    fence: { command: bmcs.length ? undefined : fenceCmd, secretsFile: join(dataDir, 'secrets.json'), retries: 2, retryDelayMs: 200, timeoutMs: 10_000, allowLoopback: true }, // simulated BMCs on 127.0.0.1
    retries: { delayMs: 200 },
    reconcile: { intervalSeconds: 15 },
    dedupeWindowSeconds: 5,
  });
  const demo: DemoControls = {
    simUrl: sim.url, controlUrl: sim.url.replace(/\/RPC2$/, '/sim'),
    // A restored host is powered on again, as an operator would after repairing it.
    onRestore: (hostId: number) => bmcs.find((b) => b.hostId === hostId)?.bmc.setPower('on'),
  };
  const runner = new Runner(config, {
    token,
    simulated: true,
    logSink: opts.quiet ? { write() {} } : undefined,
    extensions: (ctx) => {
      const ext = pluginExtensions(ctx);
      return { ...ext, routes: [...(ext.routes ?? []), demoRoutes(ctx, demo)] };
    },
  });
  const { url } = await runner.start();
  let fireedge: DemoFireEdge | undefined;
  if (fePkg) {
    process.stderr.write(`demo: starting FireEdge Sunstone from ${fePkg} (a minute the first time)...\n`);
    fireedge = await startDemoFireEdge({ root, pkg: fePkg, dataDir, simUrl: sim.url, runnerUrl: url, port: fePort, subscriberPort: (await tryPort(0))! });
  }
  return {
    runnerUrl: url, simUrl: sim.url, token,
    sunstone: fireedge?.url,
    sunstoneMissing: opts.fireedge && !fePkg ? `no FireEdge package found (shared/fireedge next to the checkout, $ONEHA_FIREEDGE_DIR or --fireedge DIR): the runner's own page is the admin console` : undefined,
    stop: async () => {
      await fireedge?.stop();
      await runner.stop();
      await sim.close();
      await Promise.all(bmcs.map((b) => b.bmc.stop()));
    },
  };
}

/** `oneha demo`: options as parsed by the CLI's command table. */
export async function demoCommand(values: { port?: unknown; 'sim-port'?: unknown; scenario?: unknown; pause?: unknown; bmc?: unknown; fireedge?: unknown; 'fireedge-dir'?: unknown }): Promise<number> {
  const explicit = wholeNumber(values.port, 'port', 1);
  // The default port may be taken (another demo, a runner): then any free one, printed below.
  // A port the operator chose is never silently replaced.
  const port = explicit ?? (await tryPort(DEFAULT_DEMO_PORT)) ?? (await tryPort(0))!;
  if (explicit !== undefined && !(await tryPort(explicit))) throw new CliError(EXIT.badInput, `port ${explicit} is in use: choose another with --port N`);
  const simPort = wholeNumber(values['sim-port'], 'sim-port', 1);
  if (simPort !== undefined && !(await tryPort(simPort))) throw new CliError(EXIT.badInput, `port ${simPort} is in use: choose another with --sim-port N (or leave it out for a free one)`);
  const d = await startDemo({
    port,
    simPort: simPort ?? 0,
    scenarioFile: values.scenario as string | undefined,
    pause: wholeNumber(values.pause, 'pause'),
    bmc: !!values.bmc,
    fireedge: (values['fireedge-dir'] as string | undefined) ?? !!values.fireedge,
  });
  // A machine-readable line for tests and scripts that start the demo as a child process.
  process.stdout.write(JSON.stringify({ ready: true, runnerUrl: d.runnerUrl, simUrl: d.simUrl, token: d.token, ...(d.sunstone ? { sunstone: d.sunstone } : {}) }) + '\n');
  const control = d.simUrl.replace(/\/RPC2$/, '/sim');
  process.stderr.write(`
oneha demo is running on a simulated OpenNebula.
${d.sunstone ? `  Sunstone       ${d.sunstone}   (FireEdge with oneha's High Availability pages; sign in as oneadmin / oneadmin)\n` : d.sunstoneMissing ? `  (${d.sunstoneMissing})\n` : ''}  admin console  ${d.runnerUrl}/plugin/   (sign in as oneadmin / oneadmin; viewer / viewer is read-only)
  runner API     ${d.runnerUrl}/v1/status  (token: ${d.token})
  OpenAPI        ${d.runnerUrl}/v1/openapi.json
  simulated oned ${d.simUrl}
Fail a host and watch it recover:
  curl -X POST ${control}/hosts/1/fail
  curl -s -H 'authorization: Bearer ${d.token}' ${d.runnerUrl}/v1/recoveries
Ctrl-C stops it.
`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await d.stop();
  return 0;
}

const DEMO_TOOLS = ['/usr/bin/ipmi_sim', '/usr/bin/ipmitool', '/usr/sbin/fence_ipmilan'];

/** One ipmi_sim per host, wired into the host template and the secret store. */
async function startDemoBmcs(sim: Simulator, dataDir: string): Promise<{ hostId: number; bmc: IpmiSim }[]> {
  const missing = DEMO_TOOLS.filter((t) => !existsSync(t));
  if (missing.length) {
    process.stderr.write(`demo: ${missing.join(', ')} not installed (apt-get install openipmi ipmitool fence-agents): using the demo fence command\n`);
    return [];
  }
  const password = randomBytes(6).toString('hex');
  writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify({ default: { username: 'admin', password } }), { mode: 0o600 });
  const out: { hostId: number; bmc: IpmiSim }[] = [];
  for (const h of sim.cloud.summary().hosts) {
    const bmc = await startIpmiSim({ password, power: 'on' });
    out.push({ hostId: h.id, bmc });
    sim.cloud.hostUpdate(h.id, [
      'ONEHA_FENCE_AGENT = "fence_ipmilan"', 'FENCE_IP = "127.0.0.1"',
      `ONEHA_FENCE_OPTIONS = "ipport=${bmc.port} lanplus=1 cipher=3 power_wait=0 power_timeout=5"`,
    ].join('\n'), 1);
  }
  return out;
}

// The runner as a real process (`node dist/oneha.mjs serve`) wired to a
// simulator process, with a fence command that leaves a trace per fencing.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE, freePort, hostPayload, requireBuild, sim, startProcess, startSim, tempDir, until, writeFile, type Proc } from './processes';

export interface RunnerHandle {
  url: string;
  token: string;
  dir: string;
  proc: Proc;
  env: Record<string, string>;
  /** Hosts fenced, one line per fence command run. */
  fenced(): string[];
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: any; text: string; headers: Headers }>;
  restart(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The token every test runner accepts. */
export const RUNNER_TOKEN = 'test-token-0123456789abcdef';

export async function startRunner(simUrl: string, config: object = {}, opts: { dir?: string; fenceSleep?: number; noFenceCommand?: boolean; secrets?: object; wrap?: string[]; port?: number } = {}): Promise<RunnerHandle> {
  const dir = opts.dir ?? tempDir('oneha-runner-');
  // A port chosen before the start lets a test write the hook's hook.env first (the first readiness computation probes at once).
  const port = opts.port ?? await freePort();
  const token = RUNNER_TOKEN;
  const fenceLog = join(dir, 'fenced.log');
  // fence_host.sh-style: the host XML arrives base64 on stdin.
  const fence = writeFile(dir, 'fence.sh', `#!/bin/sh\nid=$(base64 -d | grep -o '<ID>[0-9]*</ID>' | head -n1 | tr -dc 0-9)\nsleep ${opts.fenceSleep ?? 0}\necho "$id" >> '${fenceLog}'\n`, 0o755);
  const env = {
    ONE_XMLRPC: simUrl,
    ONE_AUTH: writeFile(dir, 'one_auth', 'oneadmin:oneadmin\n'),
    ONEHA_LISTEN: `127.0.0.1:${port}`,
    ONEHA_TOKEN_FILE: writeFile(dir, 'token', token + '\n'),
    ONEHA_DATA_DIR: join(dir, 'data'),
    ...(opts.noFenceCommand ? {} : { ONEHA_FENCE_COMMAND: fence }),
    ONEHA_SECRETS_FILE: opts.secrets ? writeFile(dir, 'secrets.json', JSON.stringify(opts.secrets)) : join(dir, 'secrets.json'),
    ONEHA_CONFIG: writeFile(dir, 'oneha.json', JSON.stringify({
      monitoring: { intervalSeconds: 1, pollSeconds: 0.2, monitordConf: join(dir, 'none.conf') },
      retries: { delayMs: 100 },
      verify: { pollSeconds: 0.2, backoffSeconds: 0.2 },
      reconcile: { intervalSeconds: 0 },
      ...config,
      // The simulated hosts' BMCs are on 127.0.0.1.
      fence: { allowLoopback: true, ...(config as { fence?: object }).fence },
    })),
    HOME: dir,
  };
  // Ready once the start-up reconciliation has looked at oned's hosts (so a test's own failures come after it).
  const start = () => startProcess([BUNDLE, 'serve'], env, (l) => l.includes('start-up reconciliation'), 15_000, opts.wrap);
  const h: RunnerHandle = {
    url: `http://127.0.0.1:${port}`, token, dir, env, proc: await start(),
    fenced: () => (existsSync(fenceLog) ? readFileSync(fenceLog, 'utf8').split('\n').filter(Boolean) : []),
    async api(method, path, body, headers = {}) {
      const res = await fetch(h.url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let json: any;
      try {
        json = JSON.parse(text);
      } catch { /* not JSON */ }
      return { status: res.status, json, text, headers: res.headers };
    },
    async restart() {
      h.proc = await start();
    },
    async kill(signal = 'SIGKILL') {
      const exited = h.proc.exited;
      h.proc.child.kill(signal);
      await exited;
    },
  };
  return h;
}

/**
 * The sample cloud, a runner, and one completed recovery of host 1 (`-m -p 0`):
 * what the CLI and replay tests start from.
 */
export async function startRunnerWithRecovery(): Promise<{ s: Awaited<ReturnType<typeof startSim>>; r: RunnerHandle; recoveryId: string }> {
  requireBuild();
  const s = await startSim('sample');
  const r = await startRunner(s.url);
  await sim(s.control, 'POST', '/hosts/1/fail');
  const recoveryId: string = (await r.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, 1, '-m -p 0'))).json.recoveryId;
  await until(async () => (await r.api('GET', `/v1/recoveries/${recoveryId}`)).json.status === 'completed', 20_000, 'the recovery');
  return { s, r, recoveryId };
}

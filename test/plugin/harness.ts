// A runner with the admin-console extensions on a real simulated oned,
// driven through Hono's app.request() (no listening socket): sign in,
// carry the cookie and the CSRF token, read the simulator's call log.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../model/ports';
import { loadConfig, type ConfigInput } from '../../runner/config';
import { pluginExtensions } from '../../runner/pluginExtensions';
import { Runner, type RunnerOptions } from '../../runner/runner';
import { startSimulator, type Scenario, type Simulator } from '../../sim/server';

export const USERS: Scenario['users'] = [
  { id: 0, name: 'oneadmin', password: 'oneadmin', gid: 0 },
  { id: 1, name: 'viewer', password: 'viewer', gid: 1 },
  { id: 2, name: 'ops', password: 'ops-pw', gid: 1, groups: [1, 0] },
];

/** What an administrator adds so group "users" sees every host (oned's own rules let them MANAGE hosts, not USE them: `onehost list` would be empty). */
export const USERS_SEE_HOSTS: Scenario['acls'] = ['@1 HOST/* USE #0'];

export const SMALL_CLOUD: Scenario = {
  users: USERS,
  acls: USERS_SEE_HOSTS,
  hosts: [
    { id: 0, name: 'kvm-node-01', template: { FENCE_IP: '10.0.0.1' } },
    { id: 1, name: 'kvm-node-02', template: { FENCE_IP: '10.0.0.2', ONEHA_FENCE_AGENT: 'fence_ipmilan', ONEHA_FENCE_OPTIONS: 'lanplus=1 cipher=3', ONEHA_MODE: 'recreate' } },
    { id: 2, name: 'kvm-node-03', state: 'ERROR' },
  ],
  vms: [
    { id: 10, name: 'web-01', state: 'RUNNING', history: [{ hostId: 0 }] },
    { id: 11, name: 'web-02', state: 'RUNNING', history: [{ hostId: 0 }] },
  ],
};

export interface Harness {
  sim: Simulator;
  runner: Runner;
  token: string;
  dir: string;
  logs: string[];
  /** `source` is the client address the runner sees (loopback addresses only in tests). */
  req(method: string, path: string, opts?: { body?: unknown; cookie?: string; csrf?: string; bearer?: boolean; headers?: Record<string, string>; source?: string }): Promise<{ status: number; json: any; text: string; headers: Headers }>;
  signIn(username: string, password: string, source?: string): Promise<{ cookie: string; csrf: string; admin: boolean }>;
  template(hostId: number): Promise<Record<string, string>>;
  hostUpdates(): Array<{ method: string; params: unknown[] }>;
  close(): Promise<void>;
}

/** `config` is merged over the harness's own (e.g. { fence: { allowLoopback: false } }); `clock`: the runner's clock (a test may hold time still to check what a TTL keeps). */
export async function startHarness(scenario: Scenario = SMALL_CLOUD, config: ConfigInput = {}, clock?: Clock, runnerOptions: Pick<RunnerOptions, 'resolveName'> = {}): Promise<Harness> {
  const sim = await startSimulator({ scenario });
  const dir = mkdtempSync(join(tmpdir(), 'oneha-plugin-'));
  const agentDir = join(dir, 'agents');
  mkdirSync(agentDir);
  for (const a of ['fence_ipmilan', 'fence_redfish', 'fence_idrac']) {
    // Answers -o metadata as the real agent does (the option allowlist comes from it); anything else fails.
    writeFileSync(join(agentDir, a), `#!/bin/sh\n[ "$1 $2" = "-o metadata" ] && exec /usr/sbin/${a} -o metadata\nexit 1\n`);
    chmodSync(join(agentDir, a), 0o755);
  }
  writeFileSync(join(dir, 'one_auth'), 'oneadmin:oneadmin\n', { mode: 0o600 });
  const base: ConfigInput = {
    dataDir: join(dir, 'data'),
    one: { endpoint: sim.url, authFile: join(dir, 'one_auth'), timeoutMs: 5000 },
    fence: { secretsFile: join(dir, 'secrets.json'), agentDir, command: '/usr/local/bin/fence_host.sh', allowLoopback: true },
    plugin: { sessionTtlSeconds: 3600 },
  };
  const merged = { ...base, ...config, one: { ...base.one, ...config.one }, fence: { ...base.fence, ...config.fence }, plugin: { ...base.plugin, ...config.plugin } } as ConfigInput;
  const runnerConfig = loadConfig({}, merged);
  const token = 'plugin-test-token-0123456789abcdef';
  const logs: string[] = [];
  const runner = new Runner(runnerConfig, { ...runnerOptions, token, clock, logSink: { write: (l) => void logs.push(l) }, extensions: pluginExtensions });
  const app = runner.app;

  const req: Harness['req'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
    if (opts.cookie) headers.cookie = opts.cookie;
    if (opts.csrf) headers['x-csrf-token'] = opts.csrf;
    if (opts.bearer) headers.authorization = `Bearer ${token}`;
    // What @hono/node-server hands the app: the socket the request came in on.
    const env = { incoming: { socket: { remoteAddress: opts.source ?? '127.0.0.1' } } };
    const res = await app.request(path, { method, headers, body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }, env);
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers };
  };

  return {
    sim, runner, token, dir, logs, req,
    async signIn(username, password, source) {
      const r = await req('POST', '/v1/session', { body: { username, password }, source });
      if (r.status !== 200) throw new Error(`sign-in of ${username} failed: ${r.status} ${r.text}`);
      const cookie = /oneha_session=[^;]+/.exec(r.headers.get('set-cookie') ?? '')?.[0];
      if (!cookie) throw new Error('no session cookie');
      return { cookie, csrf: r.json.csrf, admin: r.json.admin };
    },
    async template(hostId) {
      return (await runner.ctx.one.hostInfo(hostId)).template;
    },
    hostUpdates() {
      return sim.calls.filter((c) => c.method === 'one.host.update');
    },
    async close() {
      await runner.stop();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

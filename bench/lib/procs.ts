// Child processes of a benchmark (the simulator, the runner) and their
// cleanup: every child is tracked and SIGKILLed by pid when the benchmark
// ends, throws, or the bench process is interrupted.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, until } from '../../test/helpers/processes';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const RUNNER_BUNDLE = join(ROOT, 'dist', 'oneha.mjs');
export const SIM_BUNDLE = join(ROOT, 'dist', 'sim.mjs');

export function requireBuild(): void {
  for (const f of [RUNNER_BUNDLE, SIM_BUNDLE]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first (\`npm run bench\` builds)`);
  }
}

const children = new Set<ChildProcess>();
const dirs = new Set<string>();

/** SIGKILLs every child still running and removes temp dirs. */
export function killAll(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch { /* already gone */ }
    }
  }
  children.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

let installed = false;
/** Kill children on exit, Ctrl-C, SIGTERM and crashes. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (e) => {
    console.error(e);
    killAll();
    process.exit(1);
  });
  process.on('unhandledRejection', (e) => {
    console.error(e);
    killAll();
    process.exit(1);
  });
}

export function tempDir(prefix = 'oneha-bench-', base = tmpdir()): string {
  const d = mkdtempSync(join(base, prefix));
  dirs.add(d);
  return d;
}

export function writeFile(dir: string, name: string, text: string, mode = 0o600): string {
  const f = join(dir, name);
  writeFileSync(f, text, { mode });
  return f;
}

export { freePort, until };

export interface Proc {
  child: ChildProcess;
  pid: number;
  /** Last ~64 KB of stdout+stderr (for error messages). */
  tail(): string;
  ready: Record<string, unknown>;
  exited: Promise<number | null>;
  /** SIGKILL (or the given signal) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawns `node ARGS`, drains its output, and waits for a ready line on stdout. */
export async function startProcess(args: string[], env: NodeJS.ProcessEnv, readyTest: (line: string) => boolean, timeoutMs = 60_000): Promise<Proc> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let pending = '';
  let isReady = false;
  const keep = (s: string) => {
    out += s;
    if (out.length > 65_536) out = out.slice(-65_536);
  };
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => {
    children.delete(child);
    r(code);
  }));
  const ready = await new Promise<Record<string, unknown>>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${args.join(' ')}: not ready after ${timeoutMs} ms:\n${out}`)), timeoutMs);
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      keep(d);
      if (isReady) return;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!readyTest(line)) continue;
        isReady = true;
        pending = '';
        clearTimeout(timer);
        try {
          res(line.trim().startsWith('{') ? JSON.parse(line) : { line });
        } catch {
          res({ line });
        }
        return;
      }
    });
    child.stderr!.on('data', keep);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!isReady) rej(new Error(`${args.join(' ')}: exited with ${code} before ready:\n${out}`));
    });
  });
  return {
    child, pid: child.pid!, tail: () => out, ready, exited,
    async stop(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

export interface SimProc extends Proc {
  url: string;
  control: string;
}

/** The simulator as a process: `node dist/sim.mjs --scenario FILE --port 0`. */
export async function startSim(scenario: object): Promise<SimProc> {
  const file = writeFile(tempDir('oneha-bench-scn-'), 'scenario.json', JSON.stringify(scenario));
  const p = await startProcess([SIM_BUNDLE, '--scenario', file, '--port', '0'], {}, (l) => l.includes('"ready":true'));
  const url = String(p.ready.url);
  return { ...p, url, control: url.replace(/\/RPC2$/, '/sim') };
}

/**
 * The simulator's JSON control API. A new connection per request: a kept-alive
 * socket may have been closed by the simulator (15 s idle) during a long run.
 */
export function simApi<T = any>(control: string, method: string, path: string, body?: unknown): Promise<T> {
  const url = new URL(control + path);
  const data = body !== undefined ? JSON.stringify(body) : undefined;
  return new Promise<T>((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: Number(url.port), path: url.pathname + url.search, method, agent: false,
      headers: data !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {},
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 400) return reject(new Error(`sim ${method} ${path}: ${res.statusCode} ${text.slice(0, 500)}`));
        try {
          resolve((text ? JSON.parse(text) : undefined) as T);
        } catch (e) {
          reject(e);
        }
      });
      res.on('error', reject);
    });
    req.on('error', (e) => reject(new Error(`sim ${method} ${path}: ${e.message}`)));
    req.end(data);
  });
}

export interface RunnerProc {
  proc: Proc;
  url: string;
  token: string;
  dir: string;
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }>;
}

/** The runner as a process: `node dist/oneha.mjs serve`, configured like the integration tests do. */
export async function startRunner(simUrl: string, config: object, opts: { nodeArgs?: string[]; entry?: string; dataDir?: string; secrets?: object } = {}): Promise<RunnerProc> {
  const dir = tempDir('oneha-bench-runner-');
  const port = await freePort();
  const token = 'bench-token-0123456789abcdef';
  // fence_host.sh-style command; the benchmarks never get as far as fencing.
  const fence = writeFile(dir, 'fence.sh', '#!/bin/sh\ncat >/dev/null\nexit 0\n', 0o755);
  const env = {
    ONE_XMLRPC: simUrl,
    ONE_AUTH: writeFile(dir, 'one_auth', 'oneadmin:oneadmin\n'),
    ONEHA_LISTEN: `127.0.0.1:${port}`,
    ONEHA_TOKEN_FILE: writeFile(dir, 'token', token + '\n'),
    ONEHA_DATA_DIR: opts.dataDir ?? join(dir, 'data'),
    ONEHA_FENCE_COMMAND: fence,
    ONEHA_SECRETS_FILE: opts.secrets ? writeFile(dir, 'secrets.json', JSON.stringify(opts.secrets)) : join(dir, 'secrets.json'),
    // The simulated hosts' FENCE_IP is 127.0.0.1.
    ONEHA_CONFIG: writeFile(dir, 'oneha.json', JSON.stringify({ ...config, fence: { allowLoopback: true, ...(config as { fence?: object }).fence } })),
    HOME: dir,
  };
  const proc = await startProcess([...(opts.nodeArgs ?? []), opts.entry ?? RUNNER_BUNDLE, 'serve'], env, (l) => l.includes('"listening on'));
  const url = `http://127.0.0.1:${port}`;
  return {
    proc, url, token, dir,
    async api(method, path, body) {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      let json: any;
      try {
        json = JSON.parse(text);
      } catch { /* not JSON */ }
      return { status: res.status, json };
    },
  };
}

/** VmRSS / VmHWM of a process, in KiB, from /proc/PID/status. */
export function procMemory(pid: number): { rssKiB: number; hwmKiB: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/PID/stat. */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces), 1-based field 14 = utime, 15 = stime, in clock ticks.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}
/** sysconf(_SC_CLK_TCK): 100 on Linux for every common architecture. */
const CLOCK_TICKS = 100;


export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// Real processes for integration tests: the simulator, the runner, the CLI.
// Every child is killed when the test file ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import xmlrpc from 'xmlrpc';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BUNDLE = join(ROOT, 'dist', 'oneha.mjs');
export const SIM_BUNDLE = join(ROOT, 'dist', 'sim.mjs');

export function requireBuild(): void {
  for (const f of [BUNDLE, SIM_BUNDLE]) if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` (npm test does it first)`);
}

const children = new Set<ChildProcess>();
export function killAll(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  children.clear();
}

export function tempDir(prefix = 'oneha-it-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
    s.on('error', rej);
  });
}

export interface Proc {
  child: ChildProcess;
  output: () => string;
  ready: Record<string, unknown>;
  exited: Promise<number | null>;
}

/** Spawns a node process and waits for its JSON ready line on stdout. */
/** `wrap`: a command that execs node with the rest, e.g. `unshare ... sh -c '... && exec "$@"'`. */
export async function startProcess(args: string[], env: NodeJS.ProcessEnv, readyTest: (line: string) => boolean, timeoutMs = 15_000, wrap: string[] = []): Promise<Proc> {
  const [cmd, ...argv] = [...wrap, process.execPath, ...args];
  const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ready = await new Promise<Record<string, unknown>>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`not ready after ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (readyTest(line)) {
          clearTimeout(timer);
          try {
            res(line.trim().startsWith('{') ? JSON.parse(line) : { line });
          } catch {
            res({ line });
          }
          return;
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`exited with ${code} before ready:\n${out}`));
    });
  });
  return { child, output: () => out, ready, exited };
}

export async function startSim(scenario: object | string, port = 0): Promise<Proc & { url: string; control: string }> {
  let arg = typeof scenario === 'string' ? scenario : '';
  if (typeof scenario !== 'string') {
    arg = join(tempDir('oneha-scn-'), 'scenario.json');
    writeFileSync(arg, JSON.stringify(scenario));
  }
  const p = await startProcess([SIM_BUNDLE, '--scenario', arg, '--port', String(port)], {}, (l) => l.includes('"ready":true'));
  const url = String(p.ready.url);
  return { ...p, url, control: url.replace(/\/RPC2$/, '/sim') };
}

/** JSON control API of a simulator. */
export async function sim(control: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(control + path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  if (!res.ok) throw new Error(`sim ${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export function rawCall(url: string, method: string, params: unknown[], session = 'oneadmin:oneadmin'): Promise<any[]> {
  const c = xmlrpc.createClient({ url });
  return new Promise((res, rej) => c.methodCall(method, [session, ...params], (e, v) => (e ? rej(e) : res(v))));
}

export async function hostPayload(url: string, hostId: number, flags: string): Promise<string> {
  const [ok, xml] = await rawCall(url, 'one.host.info', [hostId]);
  if (!ok) throw new Error(xml);
  return `${Buffer.from(xml).toString('base64')} ${flags}`;
}

export function writeFile(dir: string, name: string, text: string, mode = 0o600): string {
  const f = join(dir, name);
  writeFileSync(f, text, { mode });
  return f;
}

/** Runs a command to completion with stdin; resolves with code/stdout/stderr. */
export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('exit', (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
    // A child that exits without reading its stdin (bash -c 'echo …') closes it first: EPIPE is no error here.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Polls until fn returns a truthy value. */
export async function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

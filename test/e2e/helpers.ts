// Real processes and a real browser for the admin-console end-to-end test:
// `oneha demo` children (the built bundle), XML-RPC to their simulator,
// Chromium through playwright-core with the flags from the project notes.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import xmlrpc from 'xmlrpc';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BUNDLE = join(ROOT, 'dist', 'oneha.mjs');

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Debian's chromium binary (the wrapper script as a fallback); missing = a failure, never a skip. */
export function chromiumPath(): string {
  for (const p of ['/usr/lib/chromium/chromium', '/usr/bin/chromium']) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  throw new Error('Chromium is missing (looked for /usr/lib/chromium/chromium and /usr/bin/chromium): apt-get install -y --no-install-recommends chromium');
}

export function requireBuilt(): void {
  for (const f of [BUNDLE, join(ROOT, 'dist', 'plugin', 'app.js'), join(ROOT, 'dist', 'plugin', 'index.html')]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first (npm test does)`);
  }
}

import { freePort } from '../helpers/processes';

export { freePort };

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

export interface Demo {
  child: ChildProcess;
  runnerUrl: string;
  simUrl: string;
  controlUrl: string;
  token: string;
  /** FireEdge Sunstone's URL when the demo started it (--fireedge). */
  sunstone?: string;
  /** The demo's ONEHA_DATA_DIR (FireEdge lives under it with --fireedge). */
  dataDir: string;
  output(): string;
  stop(): Promise<void>;
}

/** `node dist/oneha.mjs demo` as a child; resolves on its ready line. */
export async function startDemo(opts: { scenario?: string; pause?: number; timeoutMs?: number; args?: string[] } = {}): Promise<Demo> {
  const [port, simPort] = [await freePort(), await freePort()];
  const args = [BUNDLE, 'demo', '--port', String(port), '--sim-port', String(simPort), ...(opts.args ?? [])];
  if (opts.scenario) args.push('--scenario', opts.scenario);
  if (opts.pause !== undefined) args.push('--pause', String(opts.pause));
  const dataDir = tempDir('oneha-e2e-data-');
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ONEHA_DATA_DIR: dataDir, PYTHONWARNINGS: 'ignore' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = await new Promise<{ runnerUrl: string; simUrl: string; token: string; sunstone?: string }>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`oneha demo not ready after ${opts.timeoutMs ?? 20_000} ms:\n${out.slice(-3000)}`)), opts.timeoutMs ?? 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"ready":true'));
      if (line) {
        clearTimeout(timer);
        res(JSON.parse(line));
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`oneha demo exited with ${code} before it was ready:\n${out.slice(-3000)}`));
    });
  });
  return {
    child, ...ready, dataDir, controlUrl: ready.simUrl.replace(/\/RPC2$/, '/sim'), output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        // With FireEdge the demo stops it first (stop.sh): give it time on a loaded machine.
        const t = setTimeout(() => child.kill('SIGKILL'), ready.sunstone ? 20_000 : 3000);
        await gone;
        clearTimeout(t);
      }
      // A demo killed before it stopped FireEdge leaves it running: its pid file says which process.
      const pidFile = join(dataDir, 'fireedge-one', 'fireedge.pid');
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8'));
        try {
          // Only that FireEdge (run.sh starts it from the demo's data dir), never a process that reused its pid.
          if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dataDir)) process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    },
  };
}

/** One XML-RPC call to the simulated oned; returns oned's reply array. */
export function rpc(url: string, method: string, params: unknown[], session = 'oneadmin:oneadmin'): Promise<[boolean, any, number]> {
  const c = xmlrpc.createClient({ url });
  return new Promise((res, rej) => c.methodCall(method, [session, ...params], (e, v) => (e ? rej(e) : res(v as [boolean, any, number]))));
}

/** The scalar attributes of HOST/TEMPLATE, read with one.host.info. */
export async function hostTemplate(simUrl: string, id: number): Promise<Record<string, string>> {
  const [ok, xml] = await rpc(simUrl, 'one.host.info', [id]);
  if (!ok) throw new Error(String(xml));
  const tpl = /<TEMPLATE>([\s\S]*)<\/TEMPLATE>/.exec(String(xml))?.[1] ?? '';
  const out: Record<string, string> = {};
  for (const m of tpl.matchAll(/<([A-Z0-9_]+)><!\[CDATA\[([\s\S]*?)\]\]><\/\1>/g)) out[m[1]] = m[2];
  return out;
}

/** The simulator's call log since a sequence number. */
export async function simCalls(controlUrl: string, since = 0): Promise<Array<{ seq: number; method: string; params: unknown[] }>> {
  const r = await fetch(`${controlUrl}/calls?since=${since}`);
  return (await r.json()).calls;
}

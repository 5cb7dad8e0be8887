// Helpers for the deploy tests: a fake oneha runner (node:http on 127.0.0.1)
// and a way to run a hook command the way OpenNebula's hook execution
// manager does (no argv, payload on stdin without a trailing newline, its own
// working directory, a timeout).
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const HOOK_SCRIPT = join(REPO, 'deploy/onehook/onehook.sh');

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

/** What the fake runner answers; `hang` leaves the request open. */
export type Answer = { status: number; json?: unknown } | 'hang';

export interface FakeRunner {
  url: string;
  port: number;
  received: Received[];
  close(): Promise<void>;
}

/** A stand-in for POST /v1/hooks/host-error. `answer` sees each request and its index. */
export async function startFakeRunner(answer: (req: Received, n: number) => Answer, port = 0): Promise<FakeRunner> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
      received.push(r);
      const a = answer(r, received.length - 1);
      if (a === 'hang') return;
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.json === undefined ? '' : JSON.stringify(a.json));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    received,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, taken below the
 * kernel's ephemeral range (32768+) so that no listen(0) elsewhere in the
 * test run can be handed it while a test expects it to refuse connections.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const s = http.createServer();
    const ok = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      await new Promise<void>((resolve) => s.close(() => resolve()));
      return port;
    }
  }
}

export function accepted(id = 'r-7f3a', status = 'accepted'): Answer {
  return { status: 202, json: { recoveryId: id, status, link: `/v1/recoveries/${id}` } };
}

export function rejected(status: number, code: string, message: string): Answer {
  return { status, json: { error: { code, message } } };
}

/** A temp dir with a hook.env (mode 0600) pointing at `url` with `token`. */
export function hookEnvDir(url: string, token: string): { dir: string; envFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'oneha-hook-'));
  const envFile = join(dir, 'hook.env');
  writeFileSync(envFile, `ONEHA_URL=${url}\nONEHA_TOKEN=${token}\n`);
  chmodSync(envFile, 0o600);
  return { dir, envFile };
}

/** The stdin oned gives the hook: base64 of a HOST document, then the flags; no newline. */
export function hookPayload(flags = '-m -p 5', hostId = 1, name = 'kvm-node-02'): Buffer {
  const xml =
    `<HOST><ID>${hostId}</ID><NAME>${name}</NAME><STATE>3</STATE><PREV_STATE>2</PREV_STATE>` +
    `<IM_MAD>kvm</IM_MAD><VM_MAD>kvm</VM_MAD><CLUSTER_ID>0</CLUSTER_ID><CLUSTER>default</CLUSTER>` +
    `<VMS><ID>41</ID><ID>42</ID></VMS><TEMPLATE><ERROR><![CDATA[Error monitoring Host]]></ERROR>` +
    `<FENCE_IP><![CDATA[10.0.100.12]]></FENCE_IP></TEMPLATE></HOST>`;
  return Buffer.from(`${Buffer.from(xml).toString('base64')} ${flags}`);
}

export interface HookRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs `command` as the hook execution manager would for ARGUMENTS_STDIN=yes:
 * no arguments, the payload written to stdin and closed, a working directory,
 * a small environment, killed after `timeoutMs` (HEM records that as 255).
 */
export function runHook(opts: {
  command?: string;
  args?: string[];
  payload: Buffer | string;
  env: Record<string, string>;
  cwd: string;
  timeoutMs?: number;
}): Promise<HookRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(opts.command ?? HOOK_SCRIPT, opts.args ?? [], {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 20_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started }));
    child.stdin.on('error', () => {}); // the script may exit before reading everything
    child.stdin.end(opts.payload);
  });
}

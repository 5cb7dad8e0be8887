// Run a child with a hard deadline. Fence agents can hang forever (a Redfish
// BMC that accepts the connection and never answers), and an agent's own
// children (ipmitool) can outlive it, so the child gets its own process group
// and the whole group is SIGKILLed at the deadline: a hung agent costs its
// flow the timeout, never more.
import { spawn } from 'node:child_process';

export interface BoundedRun {
  file: string;
  args: string[];
  stdin: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Output kept per stream; agents print a few lines, more is noise. */
  maxOutput?: number;
}

export interface BoundedResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The child had not exited by the deadline and was killed. */
  timedOut: boolean;
  /** spawn itself failed (ENOENT, EACCES). */
  spawnError?: string;
  durationMs: number;
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}

export function runBounded(run: BoundedRun): Promise<BoundedResult> {
  const started = Date.now();
  const max = run.maxOutput ?? 64 * 1024;
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let exited = false;
    let timedOut = false;
    let exitCode: number | null = null;
    let signal: NodeJS.Signals | null = null;
    let settled = false;

    const child = spawn(run.file, run.args, { env: run.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const finish = (extra: Partial<BoundedResult> = {}) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr, timedOut, durationMs: Date.now() - started, ...extra });
    };
    // The deadline stays armed until the pipes close, not just until the
    // child exits: a grandchild holding them open is killed with the group.
    const timer = setTimeout(() => {
      if (!exited) timedOut = true;
      killGroup(child.pid);
      // 'close' follows the kill; this is only a guard against a stuck pipe.
      setTimeout(() => finish(), 2000).unref();
    }, run.timeoutMs);

    child.stdout.setEncoding('utf8').on('data', (d: string) => { if (stdout.length < max) stdout += d.slice(0, max - stdout.length); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < max) stderr += d.slice(0, max - stderr.length); });
    child.on('error', (e) => finish({ spawnError: e.message }));
    child.on('exit', (code, sig) => {
      exited = true;
      exitCode = code;
      signal = sig;
    });
    child.on('close', (code, sig) => {
      if (!exited) { exitCode = code; signal = sig; }
      finish();
    });
    // A child that exits without reading its stdin makes the write fail with EPIPE: harmless.
    child.stdin.on('error', () => {});
    child.stdin.end(run.stdin);
  });
}

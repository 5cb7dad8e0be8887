// Runs a hook command the way OpenNebula's hook execution manager does
// (HOOKS.md §4-5): arguments split on whitespace with whole-word $TEMPLATE
// replaced by the strict base64 of the object XML (state hooks) and $API by
// that of the call's CALL_INFO (api hooks); with ARGUMENTS_STDIN=yes
// the expanded string goes to stdin (no trailing newline) and argv is empty;
// on TIMEOUT the command is killed and the record gets code 255 and stderr
// "Timeout executing <cmd>".
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface HookExecInput {
  command: string;
  arguments: string;
  argumentsStdin: boolean;
  /** Replaces whole-word $TEMPLATE (empty for an api hook, as HEM does). */
  template: string;
  /** Replaces whole-word $API (empty for a state hook). */
  api?: string;
  timeoutSeconds?: number;
  cwd?: string;
  env?: Record<string, string>;
}

export interface HookExecResult {
  /** The expanded argument string ($TEMPLATE, $API replaced). */
  arguments: string;
  /** argv given to the command (empty with argumentsStdin). */
  argv: string[];
  /** What was written to stdin (null when arguments went to argv). */
  stdin: string | null;
  /** Resolved command path. */
  command: string;
  stdout: string;
  stderr: string;
  code: number;
  timedOut: boolean;
  durationMs: number;
}

const MAX_OUTPUT = 1 << 20;

export function expandArguments(args: string, template: string, api = ''): string {
  return args
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => (w === '$TEMPLATE' ? template : w === '$API' ? api : w))
    .join(' ');
}

/** Kills the process groups of the given live hook children. */
export function killHooks(running: Set<number>): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  running.clear();
}

/** `running` tracks live child pids so that the simulator can kill them on close. */
export function runHookCommand(h: HookExecInput, running: Set<number> = new Set()): Promise<HookExecResult> {
  const expanded = expandArguments(h.arguments, h.template, h.api);
  const argv = h.argumentsStdin ? [] : expanded.split(' ').filter(Boolean);
  const base = h.cwd ?? process.cwd();
  const command = path.isAbsolute(h.command) ? h.command : path.resolve(base, h.command);
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = (code: number, timedOut: boolean, err?: string) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve({
        arguments: expanded,
        argv,
        stdin: h.argumentsStdin ? expanded : null,
        command,
        stdout: timedOut ? '' : stdout,
        stderr: timedOut ? `Timeout executing ${command}` : err ?? stderr,
        code,
        timedOut,
        durationMs: Date.now() - started,
      });
    };
    let child;
    try {
      child = spawn(command, argv, {
        cwd: base,
        env: { ...process.env, ...h.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (e) {
      finish(255, false, `Error executing ${command}: ${(e as Error).message}`);
      return;
    }
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += d;
    });
    child.stderr.on('data', (d: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += d;
    });
    child.stdin.on('error', () => {
      /* the command did not read its stdin */
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (pid !== undefined) running.delete(pid);
      finish(e.code === 'ENOENT' ? 127 : e.code === 'EACCES' ? 126 : 255, false, `Error executing ${command}: ${e.message}`);
    });
    child.on('close', (code, signal) => {
      if (pid !== undefined) running.delete(pid);
      finish(code ?? (signal ? 255 : 0), false);
    });
    if (h.timeoutSeconds !== undefined) {
      timer = setTimeout(() => {
        if (pid !== undefined) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
          running.delete(pid);
        }
        finish(255, true);
      }, h.timeoutSeconds * 1000);
    }
    if (h.argumentsStdin) child.stdin.end(expanded);
    else child.stdin.end();
  });
}

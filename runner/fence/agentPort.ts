// The runner's FencePort: runs ClusterLabs fence agents and fence_host.sh-
// style commands. What it guarantees:
//  - a password only ever travels on the agent's stdin or in its private
//    environment: never argv, logs, errors or answers (stderr is scrubbed);
//  - every call ends within timeoutMs per try (the process group is
//    SIGKILLed), and within `retries` tries;
//  - a power state is reported only when the agent's exit code and its own
//    words agree (status: 0 + "Status: ON", 2 + "Status: OFF").
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Host } from '../../model/one';
import { FenceMethodSchema, PowerActionSchema, type FenceMethod, type PowerAction, type PowerAnswer } from '../../model/fence';
import type { FencePort, Log } from '../../model/ports';
import { realClock, silentLog, type Clock } from '../../model/ports';
import { retry, type RetryPolicy } from '../../model/retry';
import { explainAgentFailure, scrubSecret } from './agentErrors';
import { agentLevelProblem } from './agentMetadata';
import { runBounded, type BoundedResult } from './boundedProcess';
import { hostXmlBase64 } from './hostXml';
import { ipmitoolWrapper, usesIpmitool } from './ipmitoolEnv';
import { isFenceAgentName } from '../../model/hostPolicy/agentName';
import { optionKeyProblem, optionValueProblem } from '../../model/hostPolicy/fenceOptions';
import { SecretStoreError, type SecretStore } from './secrets';
import { resolvedFenceIpProblem, type ResolveName } from './bmcAddress';

export interface FencePortOptions {
  secrets: SecretStore;
  /** Where agents are installed; only executables named fence_* in it run. */
  agentDir?: string;
  /** Deadline of one try, after which the agent's process group is killed. */
  timeoutMs?: number;
  /** Tries in all for an agent call that errs or times out (fence_host.sh: 5). */
  retries?: number;
  retryDelayMs?: number;
  /** Deadline of a fence command (default timeoutMs); it runs once, as it retries on its own. */
  commandTimeoutMs?: number;
  log?: Log;
  /** Sleeps between tries (virtual in tests). */
  clock?: Clock;
  /** config fence.allowLoopback: a FENCE_IP host name may resolve to this machine (simulated BMCs). */
  allowLoopback?: boolean;
  /** Resolves a FENCE_IP host name (tests give their own answers). */
  resolve?: ResolveName;
}

const AGENT_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** A try whose answer was not ok: retried by policy, and its answer is the result once tries run out. */
class FailedTry extends Error {
  constructor(readonly answer: PowerAnswer, readonly spawnError: boolean) {
    super(answer.error ?? 'fence agent failed');
  }
}

/** The runner's environment for a fence command, minus oneha's own secrets. */
function commandEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^ONEHA_/.test(k) && /PASSWORD|USERNAME|TOKEN|SECRET|KEY/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

function lastLine(s: string): string | undefined {
  return s.trim().split('\n').filter(Boolean).pop()?.trim().slice(0, 300);
}

export function createFencePort(opts: FencePortOptions): FencePort {
  const agentDir = opts.agentDir ?? '/usr/sbin';
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const retries = Math.max(1, opts.retries ?? 5);
  const retryDelayMs = opts.retryDelayMs ?? 1000;
  const clock = opts.clock ?? realClock;
  const commandTimeoutMs = opts.commandTimeoutMs ?? timeoutMs;
  const log = opts.log ?? silentLog;

  async function agentPower(method: Extract<FenceMethod, { kind: 'agent' }>, action: PowerAction, host: Host): Promise<PowerAnswer> {
    const started = Date.now();
    const refuse = (error: string): PowerAnswer => {
      log.warn(`fence ${action} refused for host ${host.name} (${host.id}): ${error}`, { hostId: host.id, agent: method.agent, action });
      return { ok: false, error, tries: 0, durationMs: Date.now() - started };
    };

    // Refusals: configuration problems, which no retry will fix.
    const agent = method.agent;
    if (!isFenceAgentName(agent)) return refuse(`"${agent}" is not a fence agent name`);
    const path = join(agentDir, agent);
    try {
      await access(path, constants.X_OK);
    } catch {
      return refuse(`fence agent ${agent} is not installed in ${agentDir}`);
    }
    const ip = method.options.ip ?? host.template.FENCE_IP;
    if (!ip || ip.trim() === '') return refuse(`no FENCE_IP on host ${host.name} (${host.id}) and no ip option`);
    for (const [k, v] of Object.entries({ ...method.options, ip })) {
      const problem = optionKeyProblem(k, 'method') ?? optionValueProblem(k, v);
      if (problem) return refuse(`option ${problem}`);
    }
    // The last door before the agent runs, whoever built the method (flow, fence test, API):
    // every option must be a plain setting in the agent's own parameter list.
    const levelProblem = await agentLevelProblem(agentDir, method);
    if (levelProblem) return refuse(levelProblem);
    // A host name is resolved again now: what it pointed to when the settings were checked may have changed.
    const nameProblem = await resolvedFenceIpProblem(ip, { allowLoopback: !!opts.allowLoopback }, opts.resolve);
    if (nameProblem) return refuse(`FENCE_IP "${ip}" of host ${host.name} (${host.id}) ${nameProblem}`);
    let resolved;
    try {
      resolved = opts.secrets.forHost(host.id, method.secretRef);
    } catch (e) {
      return refuse(e instanceof SecretStoreError ? e.message : 'the fence secret store could not be read');
    }
    const username = resolved?.credentials.username ?? '';
    const password = resolved?.credentials.password ?? '';
    // Options go one a line on stdin: a line break in a credential would add lines.
    if (/[\r\n\0]/.test(username + password)) return refuse(`the credentials under "${resolved?.ref}" contain a line break`);
    const viaIpmitool = await usesIpmitool(path, agent);

    const lines = [`action=${action}`, `ip=${ip}`];
    for (const [k, v] of Object.entries(method.options)) if (k !== 'ip') lines.push(`${k}=${v}`);
    if (username) lines.push(`username=${username}`);
    const env: Record<string, string> = { PATH: AGENT_PATH, PYTHONWARNINGS: 'ignore', LANG: 'C.UTF-8' };
    if (viaIpmitool) {
      // See ipmitoolEnv.ts: the password must not reach ipmitool's argv.
      lines.push(`ipmitool_path=${ipmitoolWrapper()}`);
      env.IPMI_PASSWORD = password;
    } else if (password) {
      lines.push(`password=${password}`);
    }
    const stdin = `${lines.join('\n')}\n`;
    const noCreds = resolved ? '' : ` (no credentials in the secret store under ${opts.secrets.refsForHost(host.id, method.secretRef).join(', ')})`;

    const policy: RetryPolicy = {
      tries: retries, delayMs: retryDelayMs, backoff: 'constant',
      // A program that cannot run at all will not run on a retry either.
      retryIf: (e) => e instanceof FailedTry && !e.spawnError,
    };
    try {
      return await retry(policy, async (tryNo) => {
        const r = await runBounded({ file: path, args: [], stdin, env, timeoutMs });
        const answer = interpret(agent, action, r, password, username, timeoutMs);
        const last: PowerAnswer = { ...answer, tries: tryNo, durationMs: Date.now() - started };
        if (answer.ok) return last;
        if (!answer.timedOut && noCreds) last.error = `${answer.error}${noCreds}`;
        log.warn(`fence ${action} with ${agent} for host ${host.name} (${host.id}) failed, try ${tryNo}/${retries}: ${last.error}`, {
          hostId: host.id, agent, action, try: tryNo, exitCode: r.exitCode, timedOut: r.timedOut,
          detail: scrubSecret(lastLine(r.stderr) ?? '', password, username),
        });
        throw new FailedTry(last, !!r.spawnError);
      }, clock);
    } catch (e) {
      if (e instanceof FailedTry) return e.answer;
      throw e;
    }
  }

  async function commandPower(method: Extract<FenceMethod, { kind: 'command' }>, action: PowerAction, host: Host): Promise<PowerAnswer> {
    if (action === 'status') return { ok: false, error: 'a command method cannot report power state', tries: 0, durationMs: 0 };
    if (action !== 'off') return { ok: false, error: 'a command method can only power off', tries: 0, durationMs: 0 };
    const r = await runBounded({ file: '/bin/sh', args: ['-c', method.command], stdin: hostXmlBase64(host), env: commandEnv(), timeoutMs: commandTimeoutMs });
    const base = { exitCode: r.exitCode, timedOut: r.timedOut, tries: 1, durationMs: r.durationMs };
    if (r.spawnError) return { ...base, ok: false, error: `cannot run the fence command: ${r.spawnError}` };
    // No log line here: the fence step logs each attempt with this error, once.
    if (r.timedOut) {
      return { ...base, ok: false, error: `the fence command did not finish within ${commandTimeoutMs / 1000} s (killed)` };
    }
    if (r.exitCode === 0) return { ...base, ok: true };
    const detail = lastLine(r.stderr) ?? lastLine(r.stdout);
    const error = `the fence command exited ${r.exitCode ?? `on signal ${r.signal}`}${detail ? `: ${detail}` : ''}`;
    return { ...base, ok: false, error };
  }

  return {
    async power(rawMethod, rawAction, host) {
      // A boundary: methods also arrive from the API and the console, not only from the fence step.
      const m = FenceMethodSchema.safeParse(rawMethod);
      const a = PowerActionSchema.safeParse(rawAction);
      if (!m.success || !a.success) {
        return { ok: false, error: `not a fence method or power action: ${(m.error ?? a.error)?.issues[0]?.message ?? 'invalid'}`, tries: 0, durationMs: 0 };
      }
      const method = m.data;
      const action = a.data;
      return method.kind === 'agent' ? agentPower(method, action, host) : commandPower(method, action, host);
    },
  };
}

/** One agent run -> an answer. Exported for tests. */
export function interpret(agent: string, action: PowerAction, r: BoundedResult, password: string, username: string, timeoutMs: number): Omit<PowerAnswer, 'durationMs'> {
  const base = { exitCode: r.exitCode, timedOut: r.timedOut };
  if (r.spawnError) return { ...base, ok: false, error: `cannot run ${agent}: ${scrubSecret(r.spawnError, password, username)}` };
  if (r.timedOut) return { ...base, ok: false, error: `no answer from ${agent} within ${timeoutMs / 1000} s (killed)` };
  if (action === 'status') {
    // Exit 2 also means "bad arguments" in the fencing library: OFF needs the agent's own words too.
    if (r.exitCode === 0 && /^Status: ON\s*$/m.test(r.stdout)) return { ...base, ok: true, power: 'on' };
    if (r.exitCode === 2 && /^Status: OFF\s*$/m.test(r.stdout)) return { ...base, ok: true, power: 'off' };
    if (r.exitCode === 0 || r.exitCode === 2) return { ...base, ok: false, error: `${agent} gave an unclear status answer (exit ${r.exitCode})` };
  } else if (r.exitCode === 0) {
    return { ...base, ok: true, power: action };
  }
  return { ...base, ok: false, error: explainAgentFailure(agent, r.stderr, r.exitCode, (s) => scrubSecret(s, password, username)) };
}

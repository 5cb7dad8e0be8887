// The fence port's contract with an agent, checked with scripted stand-in
// agents (shell scripts in a temp agent dir): what goes on stdin, argv and
// env, how exit codes and words map to answers, refusals, retries, the
// process-group kill, and the scrubbing of the password.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Host } from '../../model/one';
import type { FenceMethod } from '../../model/fence';
import type { Log } from '../../model/ports';
import { createFencePort, interpret } from '../../runner/fence/agentPort';
import { ipmitoolWrapper } from '../../runner/fence/ipmitoolEnv';
import { createSecretStore, type SecretStore } from '../../runner/fence/secrets';

const PASSWORD = 'Pw-unit-7c1f9e';
let dir: string;
let agentDir: string;
let secrets: SecretStore;
let logLines: string[];
const log: Log = {
  info: (m, f) => logLines.push(JSON.stringify({ m, f })),
  warn: (m, f) => logLines.push(JSON.stringify({ m, f })),
  error: (m, f) => logLines.push(JSON.stringify({ m, f })),
};

const host = (template: Record<string, string> = { FENCE_IP: '192.0.2.10' }, id = 5): Host => ({
  id, name: `node${id}`, state: 3, prevState: 2, clusterId: 0, cluster: 'default', vms: [], template,
});
const fake = (options: Record<string, string> = {}, agent = 'fence_fake'): FenceMethod => ({ kind: 'agent', agent, options });

function agentScript(ipmi: boolean): string {
  return `#!/bin/sh
D='${dir}'
if [ "$1" = "-o" ] && [ "$2" = "metadata" ]; then
  echo '<resource-agent name="fence_fake"><parameters>'
  for p in ipport:integer lanplus:boolean plug:string cipher:string power_timeout:second ssh_options:string ${ipmi ? 'ipmitool_path:string' : ''}; do
    printf '<parameter name="%s"><content type="%s"/></parameter>\\n' "\${p%%:*}" "\${p#*:}"
  done
  echo '</parameters></resource-agent>'
  exit 0
fi
echo $# > "$D/argc"
cat > "$D/stdin"
env > "$D/env"
echo x >> "$D/calls"
case "$(cat "$D/behavior")" in
  on) echo "Status: ON"; exit 0 ;;
  off) echo "Status: OFF"; exit 2 ;;
  exit2) exit 2 ;;
  ok) echo "Success: Powered OFF"; exit 0 ;;
  plug) echo "2026-11-25 06:12:18,693 ERROR: Failed: Unable to obtain correct plug status or plug is not available" >&2; exit 1 ;;
  leak) pw=$(sed -n 's/^password=//p' "$D/stdin"); echo "2026-11-25 06:12:18,693 ERROR: odd failure talking with $pw" >&2; exit 1 ;;
  hang) sleep 30 & echo $! > "$D/grandchild"; wait; exit 0 ;;
esac
exit 1
`;
}

/** A killed process may linger as a zombie until init reaps it: that is dead. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
const behave = (b: string) => writeFileSync(join(dir, 'behavior'), b);
const stdinLines = () => readFileSync(join(dir, 'stdin'), 'utf8').trim().split('\n');
const calls = () => (existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').length : 0);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oneha-fakeagent-'));
  agentDir = join(dir, 'sbin');
  execFileSync('mkdir', [agentDir]);
  writeFileSync(join(agentDir, 'fence_fake'), agentScript(false), { mode: 0o755 });
  writeFileSync(join(agentDir, 'fence_fakeipmi'), agentScript(true), { mode: 0o755 });
  writeFileSync(join(agentDir, 'fence_notexec'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
  writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ default: { username: 'admin', password: PASSWORD } }), { mode: 0o600 });
  secrets = createSecretStore({ file: join(dir, 'secrets.json'), env: {} });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  logLines = [];
  rmSync(join(dir, 'calls'), { force: true });
});

const port = (over: Partial<Parameters<typeof createFencePort>[0]> = {}) =>
  createFencePort({ secrets, agentDir, timeoutMs: 5000, retries: 3, retryDelayMs: 10, log, ...over });

describe('fence port: agent method', () => {
  it('runs the agent with no arguments and every option on stdin, action first', async () => {
    behave('on');
    const a = await port().power(fake({ lanplus: '1', ipport: '6230' }), 'status', host());
    expect(a.error).toBeUndefined();
    expect(a).toMatchObject({ ok: true, power: 'on', exitCode: 0, tries: 1 });
    expect(readFileSync(join(dir, 'argc'), 'utf8').trim()).toBe('0');
    expect(stdinLines()).toEqual(['action=status', 'ip=192.0.2.10', 'lanplus=1', 'ipport=6230', 'username=admin', `password=${PASSWORD}`]);
    const env = readFileSync(join(dir, 'env'), 'utf8');
    expect(env).toMatch(/^PYTHONWARNINGS=ignore$/m);
    expect(env).not.toMatch(/IPMI_PASSWORD/);
  });

  it("takes a level's own ip over FENCE_IP", async () => {
    behave('off');
    const a = await port().power(fake({ ip: '192.0.2.99' }), 'status', host());
    expect(a).toMatchObject({ ok: true, power: 'off', exitCode: 2 });
    expect(stdinLines()[1]).toBe('ip=192.0.2.99');
  });

  it('maps off success to power off', async () => {
    behave('ok');
    expect(await port().power(fake(), 'off', host())).toMatchObject({ ok: true, power: 'off' });
    expect(stdinLines()[0]).toBe('action=off');
  });

  it('does not take exit 2 without "Status: OFF" as off, and retries it', async () => {
    behave('exit2');
    const a = await port().power(fake(), 'status', host());
    expect(a).toMatchObject({ ok: false, tries: 3 });
    expect(a.error).toMatch(/unclear status answer/);
    expect(calls()).toBe(3);
  });

  it('gives plain words for the fencing library error, after bounded retries', async () => {
    behave('plug');
    const a = await port().power(fake(), 'status', host());
    expect(a).toMatchObject({ ok: false, error: 'BMC unreachable or credentials refused', exitCode: 1, tries: 3 });
    expect(calls()).toBe(3);
    expect(logLines.filter((l) => l.includes('try '))).toHaveLength(3);
  });

  it('does not retry a clean status answer', async () => {
    behave('on');
    await port().power(fake(), 'status', host());
    expect(calls()).toBe(1);
  });

  it('scrubs the password from what the agent prints', async () => {
    behave('leak');
    const a = await port().power(fake(), 'status', host());
    expect(a.ok).toBe(false);
    expect(a.error).toMatch(/odd failure talking with \*\*\*/);
    expect(JSON.stringify(a)).not.toContain(PASSWORD);
    expect(logLines.join('\n')).not.toContain(PASSWORD);
    expect(logLines.join('\n')).toContain('***');
  });

  it('kills a hung agent and its children at the deadline, on every try', async () => {
    behave('hang');
    const t0 = Date.now();
    const a = await port({ timeoutMs: 400, retries: 2, retryDelayMs: 50 }).power(fake(), 'status', host());
    const took = Date.now() - t0;
    expect(a).toMatchObject({ ok: false, timedOut: true, tries: 2 });
    expect(a.error).toMatch(/no answer from fence_fake within 0.4 s \(killed\)/);
    expect(took).toBeGreaterThanOrEqual(800);
    expect(took).toBeLessThan(8000); // 10x the two 0.4 s deadlines: killed, not waited out
    const grandchild = Number(readFileSync(join(dir, 'grandchild'), 'utf8'));
    expect(alive(grandchild)).toBe(false); // the sleep went with its group
  });

  it('names the secret refs it looked for when none exist', async () => {
    behave('plug');
    const empty = createSecretStore({ env: {} });
    const a = await port({ secrets: empty, retries: 1 }).power(fake(), 'status', host());
    expect(a.error).toBe('BMC unreachable or credentials refused (no credentials in the secret store under host:5, default)');
    expect(stdinLines().some((l) => l.startsWith('password=') || l.startsWith('username='))).toBe(false);
  });

  it('uses the method secretRef, then host:<id>, then default', async () => {
    behave('on');
    const file = join(dir, 'chain.json');
    const s = createSecretStore({ file, env: {} });
    s.set('default', { username: 'd', password: 'pd' });
    s.set('host:5', { username: 'h', password: 'ph' });
    s.set('pdu', { username: 'p', password: 'pp' });
    await port({ secrets: s }).power({ kind: 'agent', agent: 'fence_fake', options: {}, secretRef: 'pdu' }, 'status', host());
    expect(stdinLines()).toContain('username=p');
    await port({ secrets: s }).power(fake(), 'status', host());
    expect(stdinLines()).toContain('username=h');
    await port({ secrets: s }).power(fake(), 'status', host({ FENCE_IP: '192.0.2.1' }, 6));
    expect(stdinLines()).toContain('username=d');
  });

  it('refuses, without running anything, what it must not run', async () => {
    behave('on');
    const p = port();
    const cases: Array<[FenceMethod, Host, RegExp]> = [
      [fake({}, 'fence_missing'), host(), /fence_missing is not installed in/],
      [fake({}, 'fence_notexec'), host(), /fence_notexec is not installed/],
      [{ kind: 'agent', agent: '../../bin/sh', options: {} } as unknown as FenceMethod, host(), /fence agent name such as fence_ipmilan/],
      [fake(), host({}), /no FENCE_IP on host node5 \(5\) and no ip option/],
      [fake({ password: 'x' }), host(), /carries a secret/],
      [fake({ action: 'reboot' }), host(), /chosen by oneha/],
      [fake({ ipmitool_path: '/tmp/evil' }), host(), /run programs/],
      [fake({ plug: '1\naction=reboot' }), host(), /control character|whitespace/],
      [fake({ cipher: '3 -E' }), host(), /whitespace/],
    ];
    for (const [m, h, re] of cases) {
      const a = await p.power(m, 'off', h);
      expect(a.ok, String(re)).toBe(false);
      expect(a.error).toMatch(re);
      expect(a.tries).toBe(0);
    }
    expect(calls()).toBe(0);
    const nl = createSecretStore({ file: join(dir, 'nl.json'), env: {} });
    nl.set('default', { username: 'admin', password: 'a\naction=reboot' });
    expect((await port({ secrets: nl }).power(fake(), 'off', host())).error).toMatch(/line break/);
    expect(calls()).toBe(0);
  });

  it('keeps the password out of the stdin of ipmitool-based agents and hands it over in the environment', async () => {
    behave('on');
    const a = await port().power(fake({ lanplus: '1' }, 'fence_fakeipmi'), 'status', host());
    expect(a.ok).toBe(true);
    const lines = stdinLines();
    expect(lines.some((l) => l.startsWith('password'))).toBe(false);
    expect(lines).toContain(`ipmitool_path=${ipmitoolWrapper()}`);
    expect(readFileSync(join(dir, 'env'), 'utf8')).toMatch(new RegExp(`^IPMI_PASSWORD=${PASSWORD}$`, 'm'));
  });
});

describe('ipmitool wrapper', () => {
  it('drops -P and its value and adds -E', () => {
    const echo = join(dir, 'echo-args');
    writeFileSync(echo, '#!/bin/sh\nfor a do printf "[%s]" "$a"; done\n', { mode: 0o755 });
    const out = execFileSync(ipmitoolWrapper(), ['-I', 'lanplus', '-H', '127.0.0.1', '-U', 'admin', '-P', '', '-C', '3', 'chassis', 'power', 'status'], {
      env: { ONEHA_IPMITOOL: echo, PATH: '/usr/bin:/bin' },
    }).toString();
    expect(out).toBe('[-E][-I][lanplus][-H][127.0.0.1][-U][admin][-C][3][chassis][power][status]');
  });
});

describe('fence port: command method', () => {
  const cmd = (command: string): FenceMethod => ({ kind: 'command', command });
  it('cannot report power state or power on', async () => {
    expect(await port().power(cmd('true'), 'status', host())).toMatchObject({ ok: false, error: 'a command method cannot report power state' });
    expect(await port().power(cmd('true'), 'on', host())).toMatchObject({ ok: false, error: 'a command method can only power off' });
  });
  it('does not pass oneha secrets from the environment to the command', async () => {
    process.env.ONEHA_FENCE_PASSWORD = PASSWORD;
    try {
      const out = join(dir, 'cmdenv');
      const a = await port().power(cmd(`env > '${out}'`), 'off', host());
      expect(a.ok).toBe(true);
      expect(readFileSync(out, 'utf8')).not.toContain(PASSWORD);
    } finally {
      delete process.env.ONEHA_FENCE_PASSWORD;
    }
  });
});

describe('interpret', () => {
  const r = (exitCode: number | null, stdout = '', stderr = '', timedOut = false) => ({ exitCode, signal: null, stdout, stderr, timedOut, durationMs: 1 });
  it('needs the exit code and the words to agree', () => {
    expect(interpret('fence_x', 'status', r(0, 'Status: ON\n'), 'p', 'u', 1000)).toMatchObject({ ok: true, power: 'on' });
    expect(interpret('fence_x', 'status', r(2, 'Status: OFF\n'), 'p', 'u', 1000)).toMatchObject({ ok: true, power: 'off' });
    expect(interpret('fence_x', 'status', r(0, 'Status: OFF\n'), 'p', 'u', 1000).ok).toBe(false);
    expect(interpret('fence_x', 'status', r(2, 'Status: ON\n'), 'p', 'u', 1000).ok).toBe(false);
    expect(interpret('fence_x', 'off', r(1, '', 'ERROR: Failed: Timed out waiting to power OFF'), 'p', 'u', 1000)).toMatchObject({ ok: false, error: 'BMC did not power the host off' });
    expect(interpret('fence_redfish', 'status', r(1), 'p', 'u', 1000).error).toMatch(/BMC refused the request or the credentials/);
    expect(interpret('fence_x', 'status', r(null, '', '', true), 'p', 'u', 20000).error).toBe('no answer from fence_x within 20 s (killed)');
  });
});

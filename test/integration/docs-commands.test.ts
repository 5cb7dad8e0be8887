// The README's and the runbook's `oneha` commands, run as written against a
// runner on the simulated cloud (a host fenced by fence_ipmilan through
// ipmi_sim): placeholders get real ids, and every command must succeed.
// Commands that need a front-end's own setup (serve, demo, hook, sim,
// invoke with a payload file) are left to their own tests; confirm-down needs
// a BMC that never answers, so it runs against a cloud of its own below.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIpmiSim, type IpmiSim } from '../helpers/bmc/ipmiSim';
import { BUNDLE, hostPayload, killAll, rawCall, requireBuild, ROOT, run, sim, startSim, until } from '../helpers/processes';
import { startRunner, type RunnerHandle } from '../helpers/runnerProcess';

const PASSWORD = 'Pw-docs-4q9zX';
const NOT_HERE = new Set(['serve', 'demo', 'hook', 'sim', 'invoke']);
const NEEDS_ARGUMENT = new Set(['show', 'replay', 'release', 'power-on', 'fence-test', 'confirm-down']);
/** The order an operator would meet them in; a held recovery exists from `disarm` on. */
const ORDER = ['status', 'recoveries', 'fence-test', 'disarm', 'release', 'show', 'replay', 'power-on', 'arm'];

/** Every runnable `oneha …` command line in a Markdown file: inline code and sh blocks, comments dropped, synopsis lines skipped. */
export function documentedCommands(markdown: string): string[] {
  const lines = [
    ...[...markdown.matchAll(/`(oneha [^`]+)`/g)].map((m) => m[1]),
    ...[...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((b) => b[1].split('\n').map((l) => l.trim()).filter((l) => l.startsWith('oneha '))),
  ].map((l) => l.replace(/\s+#.*$/, '').replace(/<(recovery id|id)>/g, '<recovery>').replace(/<host id>/g, '<host>').trim());
  const fillable = (l: string) => [...l.matchAll(/<([^>]+)>/g)].every((m) => /^(recovery|host)$/.test(m[1]));
  // "`oneha replay` re-runs…" names a command in prose: those taking an argument need one to be a command line.
  const complete = (l: string) => !NEEDS_ARGUMENT.has(l.split(/\s+/)[1]) || l.split(/\s+/).length > 2;
  return [...new Set(lines)].filter((l) => !/[[\]|…]/.test(l) && !NOT_HERE.has(l.split(/\s+/)[1]) && fillable(l) && complete(l));
}

/** Runs one documented line (placeholders filled in) with the CLI against runner `r`; it must succeed. */
async function runAsWritten(r: RunnerHandle, line: string, filled: string[]): Promise<string> {
  const out = await run(process.execPath, [BUNDLE, ...filled], { env: { ...r.env, ONEHA_URL: r.url } });
  expect(out.code, `${line}\n→ oneha ${filled.join(' ')}\n${out.stderr}`).toBe(0);
  expect(out.stderr, line).not.toMatch(/^oneha: /m);
  return `oneha ${filled.join(' ')}`;
}

/** Shell-like words: double-quoted strings stay one word. */
const words = (line: string) => [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);

let s: Awaited<ReturnType<typeof startSim>>;
let r: RunnerHandle;
let bmc: IpmiSim;

beforeAll(async () => {
  requireBuild();
  s = await startSim('sample');
  bmc = await startIpmiSim({ password: PASSWORD, power: 'on' });
  for (const id of [0, 1]) {
    await rawCall(s.url, 'one.host.update', [id, `ONEHA_FENCE_AGENT = "fence_ipmilan"\nFENCE_IP = "127.0.0.1"\nONEHA_FENCE_OPTIONS = "ipport=${bmc.port} lanplus=1 cipher=3 power_wait=0 power_timeout=4"`, 1]);
  }
  r = await startRunner(s.url, { fence: { retries: 2, retryDelayMs: 200, timeoutMs: 8000 } }, { noFenceCommand: true, secrets: { default: { username: 'admin', password: PASSWORD } } });
});
afterAll(async () => {
  await bmc?.stop();
  killAll();
});

describe('the commands in README.md and docs/runbook.md', () => {
  const documented = ['README.md', 'docs/runbook.md'].flatMap((f) => documentedCommands(readFileSync(join(ROOT, f), 'utf8')));

  it('cover what an operator does at 3 a.m.', () => {
    const used = new Set(documented.map((l) => l.split(/\s+/)[1]));
    for (const c of ['status', 'fence-test', 'disarm', 'arm', 'release', 'replay', 'power-on', 'show']) expect(used, c).toContain(c);
  });

  it('run as written (placeholders filled in) and succeed', async () => {
    let held = '';
    const sorted = documented.filter((l) => l.split(/\s+/)[1] !== 'confirm-down').sort((a, b) => ORDER.indexOf(a.split(/\s+/)[1]) - ORDER.indexOf(b.split(/\s+/)[1]));
    const ran: string[] = [];
    for (const line of sorted) {
      const cmd = line.split(/\s+/)[1];
      if (cmd === 'release' && !held) {
        // a disarm from the docs is in force: the next failure is held for an operator
        await sim(s.control, 'POST', '/hosts/1/fail');
        held = (await r.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, 1, '-m -p 0'))).json.recoveryId;
        await until(async () => (await r.api('GET', `/v1/recoveries/${held}`)).json.status === 'held', 20_000, 'the held recovery');
      }
      const filled = words(line
        .replace(/<recovery>/g, held || 'missing-recovery')
        .replace(/<host>/g, '0')).slice(1);
      ran.push(await runAsWritten(r, line, filled));
      if (cmd === 'release') await until(async () => !['held', 'received', 'running'].includes((await r.api('GET', `/v1/recoveries/${held}`)).json.status), 30_000, 'the released recovery');
    }
    expect(ran.length).toBeGreaterThan(8);
    console.log(`ran ${ran.length} documented commands:\n  ${ran.join('\n  ')}`);
  }, 120_000);
});

describe('the runbook\'s dead-BMC section: confirm-down as written', () => {
  it('a fence-failed recovery (nothing answers at the BMC) goes on after `oneha confirm-down` and its VMs run elsewhere', async () => {
    const lines = documentedCommands(readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8')).filter((l) => l.split(/\s+/)[1] === 'confirm-down');
    expect(lines.length).toBeGreaterThan(0);
    // A cloud of its own: two more hosts with room, so the confirmed host's VMs have somewhere to run.
    const cs = await startSim({
      hosts: [0, 1, 2].map((id) => ({ id, name: `node-${id}`, cpu: 100_000, memory: 1 << 30 })),
      vms: [0, 1].map((i) => ({ id: 100 + i, name: `vm-${i}`, state: 'RUNNING', cpu: 0.1, memory: 64, history: [{ hostId: 0, dsId: 0 }] })),
      options: { schedulerIntervalMs: 100 },
    });
    // Nothing listens at the BMC's port: the dead BMC of the runbook.
    await rawCall(cs.url, 'one.host.update', [0, 'ONEHA_FENCE_AGENT = "fence_ipmilan"\nFENCE_IP = "127.0.0.1"\nONEHA_FENCE_OPTIONS = "ipport=1 lanplus=1 cipher=3 power_wait=0 power_timeout=2"', 1]);
    const cr = await startRunner(cs.url, { fence: { retries: 1, retryDelayMs: 200, timeoutMs: 8000 } }, { noFenceCommand: true, secrets: { default: { username: 'admin', password: PASSWORD } } });
    await sim(cs.control, 'POST', '/hosts/0/fail');
    const id = (await cr.api('POST', '/v1/hooks/host-error', await hostPayload(cs.url, 0, '-m -p 0'))).json.recoveryId as string;
    const status = async () => (await cr.api('GET', `/v1/recoveries/${id}`)).json;
    await until(async () => (await status()).status === 'fence-failed', 60_000, 'fence-failed');
    for (const line of lines) await runAsWritten(cr, line, words(line.replace(/<recovery>/g, id)).slice(1));
    const d = await until(async () => {
      const x = await status();
      // Accepted, it leaves fence-failed at once; a fencing that failed again would show as this timeout.
      return ['completed', 'degraded', 'failed'].includes(x.status) ? x : undefined;
    }, 60_000, 'the confirmed recovery to end');
    expect(d.status).toBe('completed');
    expect(d.fence.evidence).toMatch(/confirmed by .* power cables pulled, checked on site/);
    expect(d.vms.map((v: { verify?: { result: string } }) => v.verify?.result)).toEqual(['running', 'running']);
  }, 150_000);
});

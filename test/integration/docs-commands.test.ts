// The README's and the runbook's `oneha` commands, run as written against a
// runner on the simulated cloud (a host fenced by fence_ipmilan through
// ipmi_sim): placeholders get real ids, and every command must succeed.
// Commands that need a front-end's own setup (serve, demo, hook, sim,
// invoke with a payload file) are left to their own tests. Each runbook
// section issue 16 names runs as written against a cloud of its own below:
// the dead BMC (oneha confirm-down, its curl form run by the shell, and
// fencing off then release), a VM that does not run (stuck, locked, no room)
// and disarm/arm. The OpenNebula CLI lines (onevm, onehost) are sent as the
// XML-RPC calls that CLI makes: there is no OpenNebula CLI here.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
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

/** A section of the runbook, from its heading to the next heading of the same or a higher level. */
function runbookSection(heading: string): string {
  const runbook = readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8');
  const at = runbook.indexOf(heading);
  expect(at, heading).toBeGreaterThanOrEqual(0);
  const level = /^#+/.exec(heading)![0].length;
  const lines = runbook.slice(at).split('\n');
  // Headings only outside code blocks: a shell comment is not one.
  let fenced = false;
  const end = lines.findIndex((l, i) => {
    if (l.startsWith('```')) fenced = !fenced;
    return i > 0 && !fenced && (/^(#+) /.exec(l)?.[1].length ?? Infinity) <= level;
  });
  return lines.slice(0, end < 0 ? undefined : end).join('\n');
}

/** The shell lines of a section's sh blocks, backslash continuations joined, comments dropped. */
const shellLines = (section: string) => [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((b) => b[1].replace(/\\\n\s*/g, '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));

describe('the runbook\'s dead-BMC section, as written', () => {
  // Hosts 0-2 have a dead BMC (nothing listens at its port); 3 and 4 have room for their VMs.
  let cs: Awaited<ReturnType<typeof startSim>>;
  let cr: RunnerHandle;
  const section = () => runbookSection('### A dead BMC: confirm the host is down');
  beforeAll(async () => {
    cs = await startSim({
      hosts: [0, 1, 2, 3, 4].map((id) => ({ id, name: `node-${id}`, cpu: 100_000, memory: 1 << 30 })),
      vms: [0, 1, 2].map((h) => ({ id: 100 + h, name: `vm-${h}`, state: 'RUNNING', cpu: 0.1, memory: 64, history: [{ hostId: h, dsId: 0 }] })),
      options: { schedulerIntervalMs: 100 },
    });
    for (const id of [0, 1, 2]) {
      await rawCall(cs.url, 'one.host.update', [id, 'ONEHA_FENCE_AGENT = "fence_ipmilan"\nFENCE_IP = "127.0.0.1"\nONEHA_FENCE_OPTIONS = "ipport=1 lanplus=1 cipher=3 power_wait=0 power_timeout=2"', 1]);
    }
    // Three hosts fail one after another and stay fenced: the mass-failure brake is not what this tests.
    cr = await startRunner(cs.url, { fence: { retries: 1, retryDelayMs: 200, timeoutMs: 8000 }, brakes: { massFailure: { share: 1 } } }, { noFenceCommand: true, secrets: { default: { username: 'admin', password: PASSWORD } } });
  });

  /** Host `id` fails; its recovery ends fence-failed (nothing answers at the BMC). */
  async function fenceFailed(id: number): Promise<string> {
    await sim(cs.control, 'POST', `/hosts/${id}/fail`);
    const rid = (await cr.api('POST', '/v1/hooks/host-error', await hostPayload(cs.url, id, '-m -p 0'))).json.recoveryId as string;
    await until(async () => (await cr.api('GET', `/v1/recoveries/${rid}`)).json.status === 'fence-failed', 60_000, `host ${id} fence-failed`);
    return rid;
  }
  async function ended(rid: string) {
    return until(async () => {
      const x = (await cr.api('GET', `/v1/recoveries/${rid}`)).json;
      // Accepted, it leaves fence-failed at once; a fencing that failed again would show as this timeout.
      return ['completed', 'degraded', 'failed'].includes(x.status) ? x : undefined;
    }, 60_000, `recovery ${rid} to end`);
  }
  const runsElsewhere = (d: { vms: Array<{ verify?: { result: string; hostId?: number } }> }, failed: number) =>
    d.vms.every((v) => v.verify?.result === 'running' && v.verify.hostId !== failed);
  /** The confirmed recovery ends completed, the operator's confirmation its fencing evidence, its VMs running elsewhere. */
  async function confirmedAndRecovered(rid: string, host: number) {
    const d = await ended(rid);
    expect(d.status).toBe('completed');
    expect(d.fence.evidence).toMatch(/confirmed by .* power cables pulled, checked on site/);
    expect(runsElsewhere(d, host)).toBe(true);
  }

  it('`oneha confirm-down`: the fence-failed recovery goes on with the operator\'s confirmation as evidence; its VMs run elsewhere', async () => {
    const lines = documentedCommands(section()).filter((l) => l.split(/\s+/)[1] === 'confirm-down');
    expect(lines.length).toBeGreaterThan(0);
    const rid = await fenceFailed(0);
    for (const line of lines) await runAsWritten(cr, line, words(line.replace(/<recovery>/g, rid)).slice(1));
    await confirmedAndRecovered(rid, 0);
  }, 150_000);

  it('the same through the API: the runbook\'s curl line, run by the shell', async () => {
    const curl = shellLines(section()).filter((l) => l.startsWith('curl ') && l.includes('/confirm-down'));
    expect(curl).toHaveLength(1);
    const rid = await fenceFailed(1);
    const line = curl[0].replace('http://127.0.0.1:2720', cr.url).replace(/<id>/g, rid);
    const out = await run('bash', ['-c', line], { env: { TOKEN: cr.token } });
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ id: rid });
    await confirmedAndRecovered(rid, 1);
  }, 150_000);

  it('fencing off for the host, then release: the released recovery reads the setting afresh and recovers without fencing; then fencing back on', async () => {
    const lines = shellLines(section().slice(section().indexOf('Fencing off for this host')));
    const [off, release, on] = [lines.findIndex((l) => /ONEHA_FENCING = "NO"/.test(l)), lines.findIndex((l) => l.startsWith('oneha release ')), lines.findIndex((l) => /ONEHA_FENCING = ""/.test(l))];
    expect(off).toBeGreaterThanOrEqual(0);
    expect(release).toBeGreaterThan(off);
    expect(on).toBeGreaterThan(release);
    const rid = await fenceFailed(2);
    const dir = mkdtempSync(join(tmpdir(), 'oneha-runbook-'));
    /** `echo '…' > FILE && onehost update <host id> FILE -a`: the echo by the shell, the onehost as the call the OpenNebula CLI makes (one.host.update, merge). */
    const hostUpdate = async (line: string, host: number) => {
      const [echo, update] = line.split(' && ');
      const m = /^onehost update <host id> (\S+) -a$/.exec(update);
      expect(m, update).not.toBeNull();
      const file = join(dir, basename(m![1]));
      const shell = await run('bash', ['-c', echo.replace(m![1], file)]);
      expect(shell.code, shell.stderr).toBe(0);
      const [ok, answer] = await rawCall(cs.url, 'one.host.update', [host, readFileSync(file, 'utf8'), 1]);
      expect(ok, String(answer)).toBe(true);
    };
    await hostUpdate(lines[off], 2);
    await runAsWritten(cr, lines[release], words(lines[release].replace(/<recovery id>/g, rid)).slice(1));
    const d = await ended(rid);
    expect(d.status).toBe('completed');
    expect(d.fence.outcome).toBe('skipped');
    expect(runsElsewhere(d, 2)).toBe(true);
    await hostUpdate(lines[on], 2);
    expect((await cr.api('GET', '/v1/hosts/2')).json.fencing).toEqual({ value: true, source: 'default' });
  }, 150_000);
});

/** The runbook's OpenNebula CLI lines, as the XML-RPC calls the CLI makes (onevm recover --retry is operation 2). */
const ONE_CLI: Record<string, (id: number) => [string, unknown[]]> = {
  'onevm unlock': (id) => ['one.vm.unlock', [id]],
  'onevm resched': (id) => ['one.vm.action', ['resched', id]],
  'onevm recover --retry': (id) => ['one.vm.recover', [id, 2]],
  'onehost enable': (id) => ['one.host.status', [id, 0]],
};

describe('the runbook\'s "A VM that does not run" section, as written', () => {
  it('a VM stuck in BOOT_FAILURE, a locked VM and a VM with no room: `oneha show` names each with its fix, and the fixes from the runbook make all three run', async () => {
    const section = runbookSection('## A VM that does not run');
    const fixes = [...section.matchAll(/`((?:onevm|onehost) [^`]+)`/g)].map((m) => m[1]);
    const fix = (cli: string) => {
      const line = fixes.find((l) => l.replace(/\s*<[^>]+>$/, '') === cli);
      expect(line, `the runbook's "${cli}"`).toBeDefined();
      return line!;
    };
    const shows = documentedCommands(section).filter((l) => l.split(/\s+/)[1] === 'show');
    expect(shows.length).toBeGreaterThan(0);
    // Host 0 fails; host 1 has room for small VMs only; host 2 has room but is disabled.
    const cs = await startSim({
      hosts: [
        { id: 0, name: 'node-0', cpu: 100_000, memory: 1 << 30 },
        { id: 1, name: 'node-1', cpu: 100_000, memory: 1 << 20 },
        { id: 2, name: 'node-2', cpu: 100_000, memory: 1 << 30, state: 'DISABLED' },
      ],
      vms: [
        { id: 100, name: 'locked-vm', state: 'RUNNING', cpu: 0.1, memory: 64, history: [{ hostId: 0, dsId: 0 }] },
        { id: 101, name: 'big-vm', state: 'RUNNING', cpu: 0.1, memory: 4096, history: [{ hostId: 0, dsId: 0 }] },
        { id: 102, name: 'failing-vm', state: 'RUNNING', cpu: 0.1, memory: 64, history: [{ hostId: 0, dsId: 0 }] },
      ],
      options: { schedulerIntervalMs: 100 },
      // The first boot and oneha's one retry fail; the operator's retry boots.
      faults: { bootFailures: [{ vmId: 102, times: 2 }] },
    });
    await rawCall(cs.url, 'one.vm.lock', [100, 1]);
    const cr = await startRunner(cs.url, { verify: { pollSeconds: 0.2, backoffSeconds: 0.2, retries: 1, deadlineSeconds: { migrate: 4 } } });
    await sim(cs.control, 'POST', '/hosts/0/fail');
    const id = (await cr.api('POST', '/v1/hooks/host-error', await hostPayload(cs.url, 0, '-m -p 0'))).json.recoveryId as string;
    const d = await until(async () => {
      const x = (await cr.api('GET', `/v1/recoveries/${id}`)).json;
      return ['completed', 'degraded', 'failed', 'fence-failed'].includes(x.status) ? x : undefined;
    }, 60_000, 'the recovery to end');
    expect(d.status).toBe('degraded');
    // `oneha show <recovery>` as written: each VM with its verdict and the oned text.
    for (const line of shows) {
      const out = await run(process.execPath, [BUNDLE, ...words(line.replace(/<recovery>/g, id)).slice(1)], { env: { ...cr.env, ONEHA_URL: cr.url } });
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toMatch(/onevm unlock 100/);
      expect(out.stdout).toMatch(/No host with enough capacity/);
      expect(out.stdout).toMatch(/BOOT_FAILURE/);
    }
    // The fixes, as the runbook gives them, through the calls the OpenNebula CLI makes.
    const cli = async (line: string, target: number) => {
      const [method, params] = ONE_CLI[line.replace(/\s*<[^>]+>$/, '')](target);
      const [ok, answer] = await rawCall(cs.url, method, params);
      expect(ok, `${line.replace(/<[^>]+>$/, String(target))}: ${answer}`).toBe(true);
    };
    await cli(fix('onevm unlock'), 100);
    await cli(fix('onevm resched'), 100);
    await cli(fix('onevm recover --retry'), 102);
    await cli(fix('onehost enable'), 2);
    // "then watch it with `onevm list`": every VM runs, none on the failed host.
    const placed = await until(async () => {
      const rows = await Promise.all([100, 101, 102].map(async (vm) => {
        const [, xml] = await rawCall(cs.url, 'one.vm.info', [vm]);
        const state = /<STATE>(\d+)<\/STATE>/.exec(xml)?.[1];
        const lcm = /<LCM_STATE>(\d+)<\/LCM_STATE>/.exec(xml)?.[1];
        const hid = [...(xml as string).matchAll(/<HID>(\d+)<\/HID>/g)].pop()?.[1];
        return { vm, running: state === '3' && lcm === '3', hid: Number(hid) };
      }));
      return rows.every((x) => x.running) ? rows : undefined;
    }, 30_000, 'the three VMs running after the runbook\'s fixes');
    expect(placed.map((x) => x.hid === 0)).toEqual([false, false, false]);
    expect(placed.find((x) => x.vm === 101)!.hid).toBe(2);
  }, 150_000);
});

describe('the runbook\'s planned-work section: disarm, a failure, arm, as written', () => {
  it('a host failing while disarmed is held before fencing; `oneha arm` releases it by itself and its VMs run elsewhere', async () => {
    const lines = documentedCommands(readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8'));
    const disarm = lines.filter((l) => l.split(/\s+/)[1] === 'disarm');
    const arm = lines.filter((l) => l.split(/\s+/)[1] === 'arm');
    expect(disarm.length).toBeGreaterThan(0);
    expect(arm.length).toBeGreaterThan(0);
    const cs = await startSim({
      hosts: [0, 1].map((id) => ({ id, name: `node-${id}`, cpu: 100_000, memory: 1 << 30 })),
      vms: [0, 1].map((i) => ({ id: 100 + i, name: `vm-${i}`, state: 'RUNNING', cpu: 0.1, memory: 64, history: [{ hostId: 0, dsId: 0 }] })),
      options: { schedulerIntervalMs: 100 },
    });
    const cr = await startRunner(cs.url);
    for (const line of disarm) await runAsWritten(cr, line, words(line).slice(1));
    await sim(cs.control, 'POST', '/hosts/0/fail');
    const id = (await cr.api('POST', '/v1/hooks/host-error', await hostPayload(cs.url, 0, '-m -p 0'))).json.recoveryId as string;
    const status = async () => (await cr.api('GET', `/v1/recoveries/${id}`)).json;
    const held = await until(async () => {
      const x = await status();
      return x.status === 'held' ? x : undefined;
    }, 30_000, 'the recovery held by the disarm');
    expect(held.reason).toMatch(/HA is disarmed .*core switch upgrade.*held until then \(or oneha arm\)/);
    expect(cr.fenced()).toEqual([]);
    for (const line of arm) await runAsWritten(cr, line, words(line).slice(1));
    // No release: arm lets the held recovery go on by itself.
    const d = await until(async () => {
      const x = await status();
      return ['completed', 'degraded', 'failed', 'fence-failed'].includes(x.status) ? x : undefined;
    }, 60_000, 'the recovery released by arm');
    expect(d.status).toBe('completed');
    expect(d.releasedBy).toMatch(/^oneha arm \(/);
    expect(cr.fenced()).toEqual(['0']);
    expect(d.vms.map((v: { verify?: { result: string } }) => v.verify?.result)).toEqual(['running', 'running']);
  }, 120_000);
});

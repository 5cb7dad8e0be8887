// The CLI as an operator meets it: onehost-style tables by default and JSON
// with --json, one exit-code table, errors that name what to fix, hosts by
// name or id, --help that never does anything else, pure functions without
// OpenNebula credentials.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../runner/cli/exitCodes';
import { STEP_ORDER } from '../../runner/flow/recoveryFlow';
import { BUNDLE, freePort, hostPayload, killAll, run, type startSim } from '../helpers/processes';
import { startRunnerWithRecovery, type RunnerHandle } from '../helpers/runnerProcess';

let s: Awaited<ReturnType<typeof startSim>>;
let r: RunnerHandle;
let recoveryId = '';
const cli = (args: string[], env: Record<string, string> = {}, input?: string) =>
  run(process.execPath, [BUNDLE, ...args], { input, env: { ...r.env, ONEHA_URL: r.url, ...env } });

beforeAll(async () => {
  ({ s, r, recoveryId } = await startRunnerWithRecovery());
});
afterAll(() => killAll());

describe('oneha CLI', () => {
  it('every command has --help listing its options, and --help does nothing else (no request reaches the runner)', async () => {
    const seen: string[] = [];
    const spy: Server = createServer((req, res) => { seen.push(`${req.method} ${req.url}`); res.end('{}'); });
    const port = await freePort();
    await new Promise<void>((ok) => spy.listen(port, '127.0.0.1', ok));
    try {
      const top = await cli(['--help']);
      expect(top.code).toBe(0);
      const commands = [...top.stdout.matchAll(/^ {2}oneha ([a-z-]+)/gm)].map((m) => m[1]);
      expect(commands).toEqual(expect.arrayContaining(['serve', 'demo', 'hook', 'invoke', 'fence-test', 'status', 'recoveries', 'show', 'replay', 'release', 'power-on', 'disarm', 'arm', 'sim']));
      // the exit-code table, once, from the code
      for (const code of Object.values(EXIT)) expect(top.stdout).toMatch(new RegExp(`^ +${code} {2}\\S`, 'm'));
      for (const c of commands) {
        const args = c === 'hook' ? ['hook', 'host-error', '--help'] : c === 'release' || c === 'show' ? [c, '--help', recoveryId] : [c, '--help'];
        const out = await cli(args, { ONEHA_URL: `http://127.0.0.1:${port}` });
        expect(out.code, `${c} --help: ${out.stderr}`).toBe(0);
        expect(out.stdout, c).toMatch(new RegExp(`^Usage: oneha ${c}`, 'm'));
        expect(out.stdout, c).toMatch(/Exit codes:/);
      }
      const demo = await cli(['demo', '--help']);
      for (const o of ['--port', '--sim-port', '--scenario', '--pause', '--bmc']) expect(demo.stdout).toContain(o);
      expect(seen).toEqual([]);
      // and `release --help` released nothing
      expect((await r.api('GET', `/v1/recoveries/${recoveryId}`)).json.releasedBy).toBeUndefined();
    } finally {
      spy.close();
    }
  });

  it('status, recoveries and show print onehost-style tables; --json prints the JSON', async () => {
    const status = await cli(['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^ONEHA RUNNER$/m);
    expect(status.stdout).toMatch(/^LEADER +: yes/m);
    expect(status.stdout).toMatch(/^ONED +: \S+ reachable, OpenNebula 7\.5\.80/m);
    expect(status.stdout).not.toMatch(/\d{13}/); // no epoch milliseconds
    expect(JSON.parse((await cli(['status', '--json'])).stdout).leader).toBe(true);

    const list = await cli(['recoveries']);
    expect(list.code, list.stderr).toBe(0);
    const [header, row] = list.stdout.split('\n');
    expect(header.split(/\s+/)).toEqual(['ID', 'HOST', 'STATUS', 'STEP', 'OK', 'STUCK', 'FAIL', 'SKIP', 'RECEIVED', 'UPDATED', 'REASON']);
    // ids short, as git prints commits: the shortest unique start (7 characters here, the only recovery)
    const short = recoveryId.slice(0, 7);
    expect(row).toMatch(new RegExp(`^${short} +kvm-node-02 \\(1\\) +completed +- +2 +0 +0 +2 +\\d\\d:\\d\\d:\\d\\d`));
    expect(list.stdout).not.toContain(recoveryId);
    expect(JSON.parse((await cli(['recoveries', '--json'])).stdout).recoveries[0].id).toBe(recoveryId);
    // columns line up: every row's STATUS starts where the header's does
    expect(row.indexOf('completed')).toBe(header.indexOf('STATUS'));

    // the short id printed is taken back by every command that takes a recovery
    const show = await cli(['show', short]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^RECOVERY ${recoveryId}$`, 'm'));
    // the test runner fences with a command: it exited 0, but no BMC confirmed OFF
    expect(show.stdout).toMatch(/^STATUS +: COMPLETED \(FENCE UNVERIFIED\)$/m);
    expect(show.stdout).toMatch(/^fence +fenced \(unverified\) /m);
    expect(show.stdout).toMatch(/^VERIFIED OFF +: no$/m);
    // recovered: running elsewhere as verify saw them, with where and after how long
    expect(show.stdout).toMatch(/^VMS \(2 recovered, 0 stuck, 0 failed, 2 skipped\)$/m);
    expect(show.stdout).toMatch(/^41 +web-01 +\S+ +resched +running +kvm-node-0[13] \(#[02]\) +[\d.]+ (s|ms|min) /m);
    expect(show.stdout).not.toContain(JSON.parse((await cli(['show', recoveryId, '--json'])).stdout).payload.slice(0, 40));
  });

  it('replay --dry-run prints the plan, not the payload, and changes nothing', async () => {
    const out = await cli(['replay', recoveryId.slice(0, 7), '--from', 'select', '--dry-run']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^Dry run of a replay from select of host kvm-node-02 \(1\): nothing was changed\.$/m);
    expect(out.stdout).toMatch(/^41 +web-01 +resched +already recovered +the VM is already on host kvm-node-01/m);
    expect(out.stdout.split('\n').length).toBeLessThan(20);
    expect(out.stdout).not.toMatch(/[A-Za-z0-9+/]{80}/); // no base64
  });

  it('hosts are taken by name or id; a host that does not exist is refused with exit 2', async () => {
    const byName = await cli(['disarm', '--host', 'kvm-node-01', '--minutes', '5', '--reason', 'kernel update']);
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stdout).toMatch(/^HA disarmed for host kvm-node-01 \(0\) for 5 min\.$/m);
    expect(byName.stdout).toMatch(/^host 0 +\S.* +kernel update$/m);
    const missing = await cli(['disarm', '--host', '99', '--minutes', '5']);
    expect(missing.code).toBe(EXIT.badInput);
    expect(missing.stderr).toBe('oneha: there is no host 99 in OpenNebula (onehost list shows the hosts)\n');
    const noName = await cli(['power-on', 'no-such-node']);
    expect(noName.code).toBe(EXIT.badInput);
    expect(noName.stderr).toMatch(/there is no host named "no-such-node"/);
    // plain arm says which per-host disarms are left
    const arm = await cli(['arm']);
    expect(arm.code, arm.stderr).toBe(0);
    expect(arm.stdout).toMatch(/Still disarmed: host 0 \(oneha arm --host <host>, or oneha arm --all\)/);
    const all = await cli(['arm', '--all']);
    expect(all.stdout).toMatch(/HA is armed for every host\./);
  });

  it('one error style and one exit-code table', async () => {
    const closed = await freePort();
    const cases: Array<[string[], Record<string, string>, number, RegExp]> = [
      [['disarm', '--minutes', 'abc'], {}, EXIT.badInput, /^oneha: --minutes takes a whole number of at least 1, not "abc"\n$/],
      [['disarm'], {}, EXIT.badInput, /^oneha: missing --minutes M/],
      [['status', '--bogus'], {}, EXIT.badInput, /^oneha: Unknown option '--bogus' \(oneha status --help lists the options\)\n$/],
      [['frobnicate'], {}, EXIT.badInput, /^oneha: there is no command "frobnicate" \(oneha --help lists them\)\n$/],
      [['replay', recoveryId, '--from', 'recovery'], {}, EXIT.badInput, new RegExp(`--from takes a step name \\(${STEP_ORDER.join(', ')}\\), not "recovery"`)],
      [['show', 'r-nope'], {}, EXIT.badInput, /^oneha: there is no recovery "r-nope"/],
      // by their short id too: the answer names the whole one
      [['release', recoveryId.slice(0, 7)], {}, EXIT.badInput, new RegExp(`^oneha: recovery ${recoveryId} is completed, not held\n$`)],
      [['confirm-down', recoveryId.slice(0, 7), '--reason', 'cables pulled'], {}, EXIT.badInput, new RegExp(`^oneha: recovery ${recoveryId} is completed`)],
      [['release', 'rm'], {}, EXIT.badInput, /^oneha: "rm" is too short for a recovery id: give at least 4 characters of it/],
      [['status'], { ONEHA_TOKEN_FILE: join(r.dir, 'missing-token') }, EXIT.badInput, /^oneha: the token file \S+missing-token does not exist: set ONEHA_TOKEN_FILE/],
      [['status'], { ONEHA_URL: `http://127.0.0.1:${closed}` }, EXIT.runner, new RegExp(`^oneha: cannot reach the runner at http://127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\): start it`)],
      [['invoke', 'recovery'], { ONE_AUTH: '/nonexistent' }, EXIT.badInput, /^oneha: there is no function "recovery" \(functions: decode, /],
    ];
    for (const [args, env, code, err] of cases) {
      const out = await cli(args, env);
      expect(out.code, `${args.join(' ')}: ${out.stderr}`).toBe(code);
      expect(out.stderr, args.join(' ')).toMatch(err);
      expect(out.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('pure functions run without OpenNebula credentials', async () => {
    const payload = await hostPayload(s.url, 0, '-r -p 2');
    const out = await cli(['invoke', 'decode'], { ONE_AUTH: '/nonexistent', ONE_XMLRPC: 'http://127.0.0.1:9/RPC2' }, JSON.stringify({ payload }));
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ host: { id: 0, name: 'kvm-node-01' }, options: { mode: 'recreate', pause: 2 } });
    // an effectful one still says what is missing
    const inv = await cli(['invoke', 'inventory'], { ONE_AUTH: '/nonexistent' }, '{"hostId":0}');
    expect(inv.code).toBe(EXIT.badInput);
    expect(inv.stderr).toMatch(/^oneha: \S+ names \/nonexistent, which does not exist\n$/);
  });

  it('long waits show progress on a terminal only; fence-test goes through the runner (one budget with the console)', async () => {
    const env = { ...r.env, ONEHA_URL: r.url };
    // `script` gives the command a pseudo-terminal, as an operator's shell would.
    const tty = await run('script', ['-qec', `${process.execPath} ${BUNDLE} fence-test kvm-node-01`, '/dev/null'], { env });
    expect(tty.stdout).toMatch(/testing the fence device of host kvm-node-01 \(0\): \d+ s/);
    const plain = await cli(['fence-test', 'kvm-node-01']);
    expect(plain.stderr).not.toMatch(/testing the fence device/);
    expect(plain.stdout).toMatch(/^FENCE TEST OF HOST kvm-node-01 \(0\)$/m);
    // the runner ran it: the console's host view shows this very test
    const shown = (await r.api('GET', '/v1/hosts/0')).json.lastFenceTest;
    expect(shown).toMatchObject({ hostId: 0, reachable: false });
    expect(plain.stdout).toContain(shown.error.slice(0, 40));
  });
});


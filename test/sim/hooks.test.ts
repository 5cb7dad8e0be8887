// Host state hooks and API hooks run like the hook execution manager runs
// them (HOOKS.md §4-5): $TEMPLATE and $API expansion, stdin vs argv,
// timeouts, records; one.hook.update as oned answers it.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeHookPayload } from '../../functions/decode';
import { parseHost, parseRoot } from '../../model/oneXml';
import type { Scenario } from '../../sim/scenario';
import { startSimulator, type Simulator } from '../../sim/server';
import { call, ok, sampleScenario } from './helpers';

let dir = '';
const sims: Simulator[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oneha-sim-hooks-'));
  const script = (name: string, body: string) => {
    const f = join(dir, name);
    writeFileSync(f, `#!/bin/sh\n${body}\n`);
    chmodSync(f, 0o755);
    return f;
  };
  // echoes its stdin unchanged and reports its argv on stderr
  script('echo-stdin.sh', 'printf "argc=%s" "$#" >&2\ncat');
  script('echo-argv.sh', 'printf "%s\\n" "$@"\nprintf "stdin=[%s]" "$(cat)" >&2');
  script('slow.sh', 'echo started\nsleep 30\necho finished');
  script('fail.sh', 'echo "fencing not configured" >&2\nexit 1');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

async function start(hooks: Scenario['hooks'], extra: Partial<Scenario> = {}): Promise<Simulator> {
  const sim = await startSimulator({ scenario: { ...sampleScenario(), hooks, ...extra } });
  sims.push(sim);
  return sim;
}

describe('host ERROR hook', () => {
  it('ARGUMENTS_STDIN: stdin is exactly "<base64 HOST XML> -m -p 0", no newline, empty argv', async () => {
    const sim = await start([{ state: 'ERROR', command: join(dir, 'echo-stdin.sh'), arguments: '$TEMPLATE -m -p 0', argumentsStdin: true, timeoutSeconds: 10 }]);
    sim.cloud.failHost(1);
    await sim.hooksIdle();
    expect(sim.hookRuns).toHaveLength(1);
    const run = sim.hookRuns[0];
    expect(run).toMatchObject({ hookId: 0, executionId: 0, hostId: 1, state: 'ERROR', code: 0, timedOut: false, argv: [], stderr: 'argc=0' });
    const words = run.stdout.split(' ');
    expect(words.slice(1)).toEqual(['-m', '-p', '0']);
    expect(run.stdout).toBe(`${words[0]} -m -p 0`);
    expect(run.stdout.endsWith('\n')).toBe(false);
    expect(words[0]).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(run.stdin).toBe(run.stdout);
    expect(run.arguments).toBe(run.stdout);

    const xml = Buffer.from(words[0], 'base64').toString('utf8');
    const host = parseHost(xml);
    expect(host).toMatchObject({ id: 1, name: 'kvm-node-02', state: 3, prevState: 2, vms: [41, 42, 43, 44] });
    expect(host.template.ERROR).toContain('Error monitoring Host kvm-node-02 (1)');
    // the same document one.host.info serves, except PREV_STATE
    const served = await ok<string>(sim.url, 'one.host.info', 1);
    expect(xml.replace(/<MONITORING>.*<\/MONITORING>/, '')).toBe(served.replace('<PREV_STATE>3</PREV_STATE>', '<PREV_STATE>2</PREV_STATE>').replace(/<MONITORING>.*<\/MONITORING>/, ''));
    // and what oneha's decode step makes of it
    const decoded = decodeHookPayload(run.stdout);
    expect(decoded.options).toEqual({ mode: 'migrate', force: false, pause: 0, fencing: true });
    expect(decoded.host.id).toBe(1);
  });

  it('without ARGUMENTS_STDIN the words go to argv and stdin is empty', async () => {
    const sim = await start([{ state: 'ERROR', command: join(dir, 'echo-argv.sh'), arguments: '$TEMPLATE   -r -f\t-p 5 $ID' }]);
    sim.cloud.failHost(1);
    await sim.hooksIdle();
    const run = sim.hookRuns[0];
    const argv = run.stdout.trimEnd().split('\n');
    expect(argv.slice(1)).toEqual(['-r', '-f', '-p', '5', '$ID']); // only $TEMPLATE is substituted
    expect(argv[0]).toMatch(/^PEhPU1Q\+/); // "<HOST>"
    expect(run.argv).toEqual(argv);
    expect(run.stdin).toBeNull();
    expect(run.stderr).toBe('stdin=[]');
    expect(run.arguments).toBe(argv.join(' '));
  });

  it('fires once per transition to ERROR, never for a DISABLED host', async () => {
    const sim = await start(
      [{ state: 'ERROR', command: join(dir, 'fail.sh') }, { state: 'MONITORED', command: join(dir, 'fail.sh') }],
      { hosts: [{ id: 0, name: 'kvm-node-01' }, { id: 1, name: 'kvm-node-02' }, { id: 2, name: 'kvm-node-03', state: 'DISABLED' }] },
    );
    sim.cloud.failHost(1);
    sim.cloud.failHost(1);
    sim.cloud.failHost(2);
    await sim.hooksIdle();
    expect(sim.hookRuns.map((r) => [r.hookId, r.hostId, r.state, r.code])).toEqual([[0, 1, 'ERROR', 1]]);
    expect(sim.hookRuns[0].stderr).toBe('fencing not configured\n');
    sim.cloud.restoreHost(1);
    sim.cloud.failHost(1);
    await sim.hooksIdle();
    expect(sim.hookRuns.map((r) => [r.hookId, r.executionId, r.state])).toEqual([[0, 0, 'ERROR'], [1, 0, 'MONITORED'], [0, 1, 'ERROR']]);
  });

  it('TIMEOUT kills the command: code 255, stderr "Timeout executing <cmd>"', async () => {
    const cmd = join(dir, 'slow.sh');
    const sim = await start([{ state: 'ERROR', command: cmd, timeoutSeconds: 0.3 }]);
    sim.cloud.failHost(1);
    await sim.hooksIdle();
    // Killed, not finished: well short of the script's 30 s (10x the 0.3 s timeout as a bound).
    expect(sim.hookRuns[0].durationMs).toBeLessThan(3000);
    expect(sim.hookRuns[0]).toMatchObject({ code: 255, timedOut: true, stderr: `Timeout executing ${cmd}`, command: cmd });
  });

  it('a relative command is resolved against cwd; a missing command is recorded as a failure', async () => {
    const sim = await start([
      { state: 'ERROR', command: 'fail.sh', cwd: dir },
      { state: 'ERROR', command: join(dir, 'does-not-exist.sh') },
    ]);
    sim.cloud.failHost(1);
    await sim.hooksIdle();
    const byHook = new Map(sim.hookRuns.map((r) => [r.hookId, r]));
    expect(byHook.get(0)).toMatchObject({ code: 1, command: join(dir, 'fail.sh') });
    expect(byHook.get(1)!.code).toBe(127);
    expect(byHook.get(1)!.stderr).toContain('ENOENT');
  });

  it('one.hook.info shows the executions in HOOKLOG (base64 output, LOG_RETENTION); hookpool.info does not', async () => {
    const sim = await start(
      [{ state: 'ERROR', name: 'host_error', command: join(dir, 'echo-stdin.sh'), arguments: '$TEMPLATE -m -p 5', argumentsStdin: true }],
      { options: { hookLogRetention: 2 } },
    );
    for (let i = 0; i < 3; i++) {
      sim.cloud.failHost(1);
      await sim.hooksIdle();
      sim.cloud.restoreHost(1);
    }
    const xml = await ok<string>(sim.url, 'one.hook.info', 0);
    const hook = parseRoot(xml, 'HOOK') as any;
    expect(hook.NAME).toBe('host_error');
    expect(hook.TEMPLATE).toMatchObject({ ARGUMENTS: '$TEMPLATE -m -p 5', ARGUMENTS_STDIN: 'yes', COMMAND: join(dir, 'echo-stdin.sh'), RESOURCE: 'HOST', STATE: 'ERROR', REMOTE: 'NO' });
    const recs = [].concat(hook.HOOKLOG.HOOK_EXECUTION_RECORD);
    expect(recs.map((r: any) => r.EXECUTION_ID)).toEqual(['1', '2']);
    const last = recs[1] as any;
    expect(last.ARGUMENTS).toMatch(/^[A-Za-z0-9+/]+={0,2} -m -p 5$/);
    expect(Buffer.from(last.EXECUTION_RESULT.STDOUT, 'base64').toString()).toBe(last.ARGUMENTS);
    expect(Buffer.from(last.EXECUTION_RESULT.STDERR, 'base64').toString()).toBe('argc=0');
    expect(last.EXECUTION_RESULT).toMatchObject({ CODE: '0', COMMAND: join(dir, 'echo-stdin.sh') });
    expect(await ok<string>(sim.url, 'one.hookpool.info')).not.toContain('HOOKLOG');
    expect(sim.hookRuns).toHaveLength(3);
  });
});

describe('API hooks', () => {
  const probe = (extra: Partial<NonNullable<Scenario['hooks']>[number]> = {}) =>
    ({ type: 'api' as const, call: 'one.hook.update', name: 'probe', command: join(dir, 'echo-stdin.sh'), arguments: '$API', argumentsStdin: true, ...extra });
  const callInfo = (run: { stdin: string | null }) => Buffer.from(run.stdin!, 'base64').toString('utf8');
  const param = (pos: number, type: 'IN' | 'OUT', value: string) =>
    `    <PARAMETER>\n      <POSITION>${pos}</POSITION>\n      <TYPE>${type}</TYPE>\n      <VALUE>${value}</VALUE>\n    </PARAMETER>\n`;

  it('run after each authenticated call of CALL, applied or refused: $API is the CALL_INFO a real oned\'s HEM passes (session ****, the reply as OUT)', async () => {
    const sim = await start([probe(), { state: 'ERROR', name: 'host_error', command: join(dir, 'fail.sh') }]);
    expect(await call(sim.url, 'one.hook.update', [0, 'ONEHA_PROBE = "n1"', 1])).toEqual([true, 0, 0]);
    await call(sim.url, 'one.hook.update', [99, 'X = 1', 1]);
    await call(sim.url, 'one.hook.update', [0, 'X = 1', 1], 'oneadmin:wrong'); // not authenticated: no event
    await call(sim.url, 'one.host.update', [0, 'X = 1', 1]); // another method
    await sim.hooksIdle();
    expect(sim.hookRuns.map((r) => [r.hookName, r.executionId, r.call, r.code, r.argv])).toEqual([['probe', 0, 'one.hook.update', 0, []], ['probe', 1, 'one.hook.update', 0, []]]);
    // Byte for byte what a real oned 7.5.80 gave the same hook for the same two calls (../shared/oned, recorded by hand).
    expect(callInfo(sim.hookRuns[0])).toBe('<CALL_INFO>\n  <RESULT>1</RESULT>\n  <PARAMETERS>\n' +
      param(1, 'IN', '****') + param(2, 'IN', '0') + param(3, 'IN', 'ONEHA_PROBE = "n1"') + param(4, 'IN', '1') +
      param(1, 'OUT', 'true') + param(2, 'OUT', '0') + param(3, 'OUT', '0') + '  </PARAMETERS>\n  <EXTRA/>\n</CALL_INFO>');
    expect(callInfo(sim.hookRuns[1])).toBe('<CALL_INFO>\n  <RESULT>0</RESULT>\n  <PARAMETERS>\n' +
      param(1, 'IN', '****') + param(2, 'IN', '99') + param(3, 'IN', 'X = 1') + param(4, 'IN', '1') +
      param(1, 'OUT', 'false') + param(2, 'OUT', '[one.hook.update] Error getting hook [99].') + param(3, 'OUT', '1024') + param(4, 'OUT', '99') +
      '  </PARAMETERS>\n  <EXTRA/>\n</CALL_INFO>');
    // stdin is exactly the base64, as for state hooks; the record keeps it as ARGUMENTS
    expect(sim.hookRuns[0].stdout).toBe(sim.hookRuns[0].stdin);
    expect(sim.hookRuns[0].arguments).toMatch(/^PENBTExfSU5GTz4/); // "<CALL_INFO>"
    const hook = parseRoot(await ok<string>(sim.url, 'one.hook.info', 0), 'HOOK') as any;
    expect(hook.TYPE).toBe('api');
    expect(hook.TEMPLATE).toEqual({ ARGUMENTS: '$API', ARGUMENTS_STDIN: 'yes', CALL: 'one.hook.update', COMMAND: join(dir, 'echo-stdin.sh'), REMOTE: 'NO' });
    expect([].concat(hook.HOOKLOG.HOOK_EXECUTION_RECORD).map((r: any) => r.EXECUTION_RESULT.CODE)).toEqual(['0', '0']);
  });

  it('one.hook.update merges or replaces the template, and the hook runs as it says now; refusals keep it, with oned\'s texts', async () => {
    const sim = await start([probe()]);
    const refused = async (params: unknown[], text: string, code: number, id = -1) =>
      expect(await call(sim.url, 'one.hook.update', params)).toEqual([false, `[one.hook.update] ${text}`, code, id, '-1']);
    await refused([0, 'ARGUMENTS = "$API"', 0], 'Cannot update template. The COMMAND attribute is not defined.', 8192);
    await refused([0, `COMMAND = "${join(dir, 'echo-argv.sh')}"\nCALL = "one.vm.info"`, 0], 'Cannot update template. The CALL attribute is not defined or it\'s invalid.', 8192);
    await refused([0, 'X = 1', 7], 'Wrong update type', 4096);
    await refused([0, 'X = "unterminated', 1], 'Cannot update template. Parse error: syntax error, unterminated string at line 1', 8192);
    await sim.hooksIdle();
    expect(sim.hookRuns.map((r) => r.stdout.startsWith('PENBTExfSU5GTz4'))).toEqual([true, true, true, true]); // still $API on stdin
    // Replace: argv now, another command, no ARGUMENTS_STDIN.
    expect(await call(sim.url, 'one.hook.update', [0, `COMMAND = "${join(dir, 'echo-argv.sh')}"\nCALL = "one.hook.update"\nARGUMENTS = "probe $API"`, 0])).toEqual([true, 0, 0]);
    await sim.hooksIdle();
    await call(sim.url, 'one.hook.update', [0, 'ONEHA_PROBE = "n2"', 1]);
    await sim.hooksIdle();
    const last = sim.hookRuns.at(-1)!;
    expect(last.argv[0]).toBe('probe');
    expect(Buffer.from(last.argv[1], 'base64').toString()).toContain('<VALUE>ONEHA_PROBE = "n2"</VALUE>');
    // Attributes hook.xsd does not know (ONEHA_PROBE, TIMEOUT) are kept, not shown.
    const hook = parseRoot(await ok<string>(sim.url, 'one.hook.info', 0), 'HOOK') as any;
    expect(hook.TEMPLATE).toEqual({ ARGUMENTS: 'probe $API', CALL: 'one.hook.update', COMMAND: join(dir, 'echo-argv.sh') });
    expect(sim.cloud.mustHook(0).template.get('ONEHA_PROBE')).toBe('n2');
  });

  it('a scenario refuses an api hook without a CALL, or on *.info', async () => {
    await expect(startSimulator({ scenario: { ...sampleScenario(), hooks: [{ type: 'api', command: '/bin/true' }] } })).rejects.toThrow(/call/);
    await expect(startSimulator({ scenario: { ...sampleScenario(), hooks: [{ type: 'api', call: 'one.vm.info', command: '/bin/true' }] } })).rejects.toThrow(/not \*\.info/);
  });
});

// Every branch of the fence function against a scripted FencePort.
import { describe, expect, it } from 'vitest';
import { fence, FenceResultSchema, MAX_INTERRUPTED_RUNS, type FenceAttemptRecord, type FenceResult } from '../../functions/fence';
import type { Host } from '../../model/one';
import type { FenceMethod, PowerAction, PowerAnswer } from '../../model/fence';
import { noProgress, type Clock, type FencePort, type Log, type Progress } from '../../model/ports';

const host = (template: Record<string, string> = { FENCE_IP: '10.0.0.9' }): Host => ({
  id: 7, name: 'node7', state: 3, prevState: 2, clusterId: 0, cluster: 'default', vms: [1, 2], template,
});
const ipmi: FenceMethod = { kind: 'agent', agent: 'fence_ipmilan', options: { lanplus: '1' } };
const pdu: FenceMethod = { kind: 'agent', agent: 'fence_apc', options: { ip: '10.0.0.50', plug: '7' } };
const cmd: FenceMethod = { kind: 'command', command: '/var/lib/one/remotes/hooks/ft/fence_host.sh' };

type Script = (m: FenceMethod, a: PowerAction) => Omit<PowerAnswer, 'durationMs'> | Error;
function fakePort(script: Script) {
  const calls: Array<{ method: string; action: PowerAction }> = [];
  const port: FencePort = {
    async power(m, a) {
      calls.push({ method: m.kind === 'agent' ? m.agent : 'command', action: a });
      const r = script(m, a);
      if (r instanceof Error) throw r;
      return { durationMs: 5, ...r };
    },
  };
  return { port, calls };
}
function capture() {
  const lines: Array<{ level: string; msg: string }> = [];
  const log: Log = {
    info: (msg) => lines.push({ level: 'info', msg }),
    warn: (msg) => lines.push({ level: 'warn', msg }),
    error: (msg) => lines.push({ level: 'error', msg }),
  };
  return { log, lines };
}
let t = 1000;
const clock: Clock = { now: () => (t += 10), sleep: async () => {} };

async function run(input: unknown, port: FencePort, log: Log = capture().log, progress: Progress = noProgress): Promise<FenceResult> {
  const parsed = fence.input.parse(input);
  const out = await fence.run(parsed, { fence: port, log, clock, progress });
  return FenceResultSchema.parse(out); // the output always satisfies its schema
}

/** A BMC whose power follows the actions sent to it. */
function bmc(initial: 'on' | 'off', opts: { stuck?: boolean } = {}): Script {
  let power = initial;
  return (_m, a) => {
    if (a === 'status') return { ok: true, power };
    if (a === 'off') { if (!opts.stuck) power = 'off'; return opts.stuck ? { ok: false, error: 'BMC did not power the host off' } : { ok: true, power: 'off' }; }
    return { ok: true, power: (power = 'on') };
  };
}

describe('fence function', () => {
  it('is an effectful step with the fence, log, clock and progress ports', () => {
    expect(fence.name).toBe('fence');
    expect(fence.effectful).toBe(true);
    expect([...fence.ports].sort()).toEqual(['clock', 'fence', 'log', 'progress']);
  });

  it('skips with a warning when fencing is disabled, without touching the port', async () => {
    const { port, calls } = fakePort(() => { throw new Error('must not be called'); });
    const { log, lines } = capture();
    const r = await run({ host: host(), methods: [ipmi], fencing: false }, port, log);
    expect(r).toMatchObject({ outcome: 'skipped', verified: false, attempts: [] });
    expect(calls).toEqual([]);
    expect(lines.some((l) => l.level === 'warn' && /disabled/.test(l.msg))).toBe(true);
  });

  it('fails with a how-to when no method is configured', async () => {
    const { port, calls } = fakePort(bmc('on'));
    const r = await run({ host: host(), methods: [], fencing: true }, port);
    expect(r.outcome).toBe('failed');
    expect(r.reason).toBe('no fencing configured for host node7 (7): set ONEHA_FENCE_AGENT and FENCE_IP, or a fence command');
    expect(calls).toEqual([]);
  });

  it('fails an agent method without FENCE_IP or ip, sending nothing', async () => {
    const { port, calls } = fakePort(bmc('on'));
    const r = await run({ host: host({}), methods: [ipmi], fencing: true }, port);
    expect(r.outcome).toBe('failed');
    expect(r.reason).toMatch(/no FENCE_IP on host node7 \(7\)/);
    expect(calls).toEqual([]);
  });

  it('powers an ON host off and counts only the verified OFF', async () => {
    const { port, calls } = fakePort(bmc('on'));
    const r = await run({ host: host(), methods: [ipmi], fencing: true }, port);
    expect(r).toMatchObject({ outcome: 'fenced', method: 'fence_ipmilan', verified: true, power: 'off' });
    expect(r.evidence).toMatch(/verified OFF/);
    expect(calls.map((c) => c.action)).toEqual(['status', 'off', 'status']);
    expect(r.attempts.map((a) => [a.level, a.action, a.ok, a.power])).toEqual([
      [1, 'status', true, 'on'], [1, 'off', true, 'off'], [1, 'status', true, 'off'],
    ]);
    expect(r.attempts.every((a) => a.durationMs === 5 && a.at > 1000)).toBe(true);
  });

  it('fences an already-off host without sending off', async () => {
    const { port, calls } = fakePort(bmc('off'));
    const r = await run({ host: host(), methods: [ipmi], fencing: true }, port);
    expect(r).toMatchObject({ outcome: 'fenced', verified: true, power: 'off' });
    expect(r.evidence).toMatch(/already off/);
    expect(calls.map((c) => c.action)).toEqual(['status']);
  });

  it('does not trust an off that "succeeded" while status still says ON', async () => {
    const { port } = fakePort((_m, a) => (a === 'status' ? { ok: true, power: 'on' } : { ok: true, power: 'off' }));
    const r = await run({ host: host(), methods: [ipmi], fencing: true }, port);
    expect(r).toMatchObject({ outcome: 'failed', verified: false, power: 'on' });
    expect(r.reason).toMatch(/still reports ON after off/);
  });

  it('accepts a failed off when the status afterwards is OFF', async () => {
    let n = 0;
    const { port } = fakePort((_m, a) => (a === 'status' ? { ok: true, power: n++ === 0 ? 'on' : 'off' } : { ok: false, error: 'BMC did not power the host off' }));
    const r = await run({ host: host(), methods: [ipmi], fencing: true }, port);
    expect(r).toMatchObject({ outcome: 'fenced', verified: true });
  });

  it('fails a stuck BMC with the reason in plain words and the last power seen', async () => {
    const { port } = fakePort(bmc('on', { stuck: true }));
    const { log, lines } = capture();
    const r = await run({ host: host(), methods: [ipmi], fencing: true }, port, log);
    expect(r).toMatchObject({ outcome: 'failed', verified: false, power: 'on' });
    expect(r.reason).toMatch(/level 1 fence_ipmilan: BMC did not power the host off/);
    expect(lines.some((l) => l.level === 'error')).toBe(true);
  });

  it('fails when status after off cannot be read', async () => {
    let n = 0;
    const { port } = fakePort((_m, a) => (a === 'status' ? (n++ === 0 ? { ok: true, power: 'on' } : { ok: false, error: 'BMC unreachable or credentials refused' }) : { ok: true, power: 'off' }));
    const r = await run({ host: host(), methods: [ipmi], fencing: true }, port);
    expect(r.outcome).toBe('failed');
    expect(r.reason).toMatch(/status after off failed: BMC unreachable/);
  });

  it('falls through to the next level when the first fails, recording both', async () => {
    const second = bmc('on');
    const { port, calls } = fakePort((m, a) => (m.kind === 'agent' && m.agent === 'fence_ipmilan' ? { ok: false, error: 'BMC unreachable or credentials refused' } : second(m, a)));
    const r = await run({ host: host(), methods: [ipmi, pdu], fencing: true }, port);
    expect(r).toMatchObject({ outcome: 'fenced', method: 'fence_apc', verified: true });
    expect(calls.map((c) => `${c.method}:${c.action}`)).toEqual(['fence_ipmilan:status', 'fence_apc:status', 'fence_apc:off', 'fence_apc:status']);
    expect(r.attempts.map((a) => a.level)).toEqual([1, 2, 2, 2]);
  });

  it('uses a level whose own ip is set even when the host has no FENCE_IP', async () => {
    const { port } = fakePort(bmc('off'));
    const r = await run({ host: host({}), methods: [ipmi, pdu], fencing: true }, port);
    expect(r).toMatchObject({ outcome: 'fenced', method: 'fence_apc' });
    expect(r.attempts).toHaveLength(1);
  });

  it('fails with every level named when all levels fail', async () => {
    const { port } = fakePort(() => ({ ok: false, error: 'BMC unreachable or credentials refused' }));
    const r = await run({ host: host(), methods: [ipmi, pdu], fencing: true }, port);
    expect(r.outcome).toBe('failed');
    expect(r.reason).toMatch(/level 1 fence_ipmilan: BMC unreachable.*; level 2 fence_apc: BMC unreachable/);
    expect(r.power).toBeUndefined();
  });

  it('counts a status answer without a power reading as a failure', async () => {
    const { port } = fakePort(() => ({ ok: true }));
    const r = await run({ host: host(), methods: [ipmi], fencing: true }, port);
    expect(r.outcome).toBe('failed');
    expect(r.reason).toMatch(/no power state reported/);
  });

  it('records a port that throws as a failed attempt', async () => {
    const { port } = fakePort(() => new Error('spawn EACCES'));
    const r = await run({ host: host(), methods: [ipmi], fencing: true }, port);
    expect(r.outcome).toBe('failed');
    expect(r.attempts[0]).toMatchObject({ ok: false, error: 'fence port failed: spawn EACCES' });
  });

  it('takes a command exiting 0 as fenced but unverified, with no status asked', async () => {
    const { port, calls } = fakePort(() => ({ ok: true }));
    const r = await run({ host: host(), methods: [cmd], fencing: true }, port);
    expect(r).toMatchObject({ outcome: 'fenced', verified: false, evidence: expect.stringMatching(/command exited 0/) });
    expect(calls.map((c) => c.action)).toEqual(['off']);
  });

  it('fails a command exiting non-zero', async () => {
    const { port } = fakePort(() => ({ ok: false, error: 'command exited 1' }));
    const r = await run({ host: host(), methods: [cmd], fencing: true }, port);
    expect(r.outcome).toBe('failed');
    expect(r.reason).toMatch(/command exited 1/);
  });

  it('dry run: status only, reports power, never off', async () => {
    const { port, calls } = fakePort(bmc('on'));
    const r = await run({ host: host(), methods: [ipmi], fencing: true, dryRun: true }, port);
    expect(r).toMatchObject({ outcome: 'dry-run', power: 'on', verified: false, method: 'fence_ipmilan' });
    expect(calls.map((c) => c.action)).toEqual(['status']);
  });

  it('dry run: skips commands, tries the next level, and reports why nothing answered', async () => {
    const a = fakePort(bmc('off'));
    expect(await run({ host: host(), methods: [cmd, pdu], fencing: true, dryRun: true }, a.port)).toMatchObject({ outcome: 'dry-run', power: 'off', method: 'fence_apc' });
    expect(a.calls).toEqual([{ method: 'fence_apc', action: 'status' }]);
    const b = fakePort(() => ({ ok: false, error: 'BMC unreachable or credentials refused' }));
    const r = await run({ host: host({}), methods: [cmd, ipmi, pdu], fencing: true, dryRun: true }, b.port);
    expect(r.outcome).toBe('dry-run');
    expect(r.power).toBeUndefined();
    expect(r.reason).toMatch(/cannot report power state.*no FENCE_IP.*BMC unreachable.*a real run would run the fence command/);
  });

  it('dry run: no level answers and no command would run: predicts the real run failing (never "would fence")', async () => {
    const { port } = fakePort(() => ({ ok: false, error: 'Unable to connect/login to fencing device' }));
    const r = await run({ host: host(), methods: [ipmi, pdu], fencing: true, dryRun: true }, port);
    expect(r).toMatchObject({ outcome: 'failed', verified: false });
    expect(r.reason).toMatch(/^dry run: fencing would fail: .*Unable to connect/);
  });

  describe('after a crash (earlier runs journaled through progress.commit)', () => {
    /** A journal of what was committed, and whether each attempt was on record before the port ran. */
    function journal() {
      const records: FenceAttemptRecord[] = [];
      const progress: Progress = { emit() {}, commit: async (r) => void records.push(r as FenceAttemptRecord) };
      return { records, progress };
    }
    const cmdName = `command ${(cmd as { command: string }).command}`;
    const startedOff = (level: number, at: number, rerun?: boolean): FenceAttemptRecord => ({ phase: 'started', method: cmdName, level, action: 'off', at, ...(rerun ? { rerun } : {}) });

    it('journals each attempt as started before the port runs, and as ended after', async () => {
      const j = journal();
      const seenBefore: number[] = [];
      const port: FencePort = { async power(_m, a) { seenBefore.push(j.records.length); return { ok: true, power: a === 'status' ? 'on' : 'off', durationMs: 1 }; } };
      await run({ host: host(), methods: [ipmi], fencing: true }, port, capture().log, j.progress);
      expect(j.records.map((r) => `${r.phase} ${r.action}`)).toEqual(['started status', 'ended status', 'started off', 'ended off', 'started status', 'ended status']);
      // Each port call came after its own started record was committed.
      expect(seenBefore).toEqual([1, 3, 5]);
    });

    it('runs a command that was in flight once more, marked as a re-run in the attempts and the evidence', async () => {
      const { port, calls } = fakePort(() => ({ ok: true }));
      const j = journal();
      const c = capture();
      const r = await run({ host: host(), methods: [cmd], fencing: true, earlier: [startedOff(1, 50)] }, port, c.log, j.progress);
      expect(calls).toEqual([{ method: 'command', action: 'off' }]);
      expect(r).toMatchObject({ outcome: 'fenced', verified: false, evidence: expect.stringMatching(/re-run/) });
      expect(r.attempts.map((a) => ({ interrupted: a.interrupted, rerun: a.rerun, ok: a.ok }))).toEqual([
        { interrupted: true, rerun: undefined, ok: false },
        { interrupted: undefined, rerun: true, ok: true },
      ]);
      expect(j.records[0]).toMatchObject({ phase: 'started', rerun: true });
      expect(c.lines.some((l) => l.level === 'warn' && /running it once more/.test(l.msg))).toBe(true);
    });

    it('runs it once more for each stop that cut it short, up to MAX_INTERRUPTED_RUNS runs in all', async () => {
      const twice = fakePort(() => ({ ok: true }));
      const r2 = await run({ host: host(), methods: [cmd], fencing: true, earlier: [startedOff(1, 50), startedOff(1, 90, true)] }, twice.port);
      expect(twice.calls).toEqual([{ method: 'command', action: 'off' }]);
      expect(r2).toMatchObject({ outcome: 'fenced', evidence: expect.stringMatching(/re-run \(the runner stopped during each of its 2 earlier runs\)/) });
      const cut = Array.from({ length: MAX_INTERRUPTED_RUNS }, (_, i) => startedOff(1, 50 + i, i > 0));
      const capped = fakePort(() => ({ ok: true }));
      const r3 = await run({ host: host(), methods: [cmd], fencing: true, earlier: cut }, capped.port);
      expect(capped.calls).toEqual([]);
      expect(r3.outcome).toBe('failed');
      expect(r3.reason).toMatch(new RegExp(`the runner stopped during each of its ${MAX_INTERRUPTED_RUNS} runs; not run again`));
    });

    it('takes a command that exited 0 before the crash as fenced, without running it again', async () => {
      const { port, calls } = fakePort(() => ({ ok: true }));
      const ended: FenceAttemptRecord = { phase: 'ended', method: cmdName, level: 1, action: 'off', at: 50, ok: true, durationMs: 3 };
      const r = await run({ host: host(), methods: [cmd], fencing: true, earlier: [startedOff(1, 50), ended] }, port);
      expect(calls).toEqual([]);
      expect(r).toMatchObject({ outcome: 'fenced', evidence: expect.stringMatching(/before the runner stopped; not run again/) });
    });

    it('moves past a command level that failed before the crash to the next level, and starts an agent level with status', async () => {
      const { port, calls } = fakePort(bmc('on'));
      const failed: FenceAttemptRecord = { phase: 'ended', method: cmdName, level: 1, action: 'off', at: 50, ok: false, error: 'the fence command exited 1', durationMs: 3 };
      const r = await run({ host: host(), methods: [cmd, pdu], fencing: true, earlier: [startedOff(1, 50), failed, { phase: 'started', method: 'fence_apc', level: 2, action: 'off', at: 60 }] }, port);
      expect(calls.map((x) => `${x.method} ${x.action}`)).toEqual(['fence_apc status', 'fence_apc off', 'fence_apc status']);
      expect(r).toMatchObject({ outcome: 'fenced', verified: true, method: 'fence_apc' });
      expect(r.attempts.filter((a) => a.interrupted).map((a) => a.method)).toEqual(['fence_apc']);
    });
  });

  it('rejects malformed input through its schema', () => {
    expect(fence.input.safeParse({ host: host(), methods: [{ kind: 'agent', agent: 'rm -rf /' }], fencing: true }).success).toBe(false);
    expect(fence.input.safeParse({ host: host(), methods: [] }).success).toBe(false);
  });
});

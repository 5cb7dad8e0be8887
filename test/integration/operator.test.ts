// What an operator uses while a recovery runs: the live event stream, the
// CLI against the runner (status, replay, dry runs), and one function run by hand.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MUTATING_METHODS } from '../../sim/rpc';
import { BUNDLE, hostPayload, killAll, requireBuild, run, sim, startSim, until, writeFile } from '../helpers/processes';
import { startRunner, type RunnerHandle } from '../helpers/runnerProcess';

let s: Awaited<ReturnType<typeof startSim>>;
let r: RunnerHandle;
const cli = (args: string[], input?: string) => run(process.execPath, [BUNDLE, ...args], {
  input, env: { ...r.env, ONEHA_URL: r.url },
});
/** Reads SSE messages from /v1/events until `enough` says so. */
async function readEvents(headers: Record<string, string>, enough: (evs: Array<{ event?: string; id?: string; data?: string }>) => boolean, query = '') {
  const ctrl = new AbortController();
  const res = await fetch(`${r.url}/v1/events${query}`, { headers: { authorization: `Bearer ${r.token}`, ...headers }, signal: ctrl.signal });
  const reader = res.body!.getReader();
  const evs: Array<{ event?: string; id?: string; data?: string }> = [];
  let buf = '';
  const deadline = setTimeout(() => ctrl.abort(), 15_000);
  try {
    while (!enough(evs)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += new TextDecoder().decode(value);
      const blocks = buf.split('\n\n');
      buf = blocks.pop()!;
      for (const b of blocks) {
        const m: Record<string, string> = {};
        for (const l of b.split('\n')) { const i = l.indexOf(': '); if (i > 0) m[l.slice(0, i)] = l.slice(i + 2); }
        evs.push(m);
      }
    }
  } finally {
    clearTimeout(deadline);
    ctrl.abort();
  }
  return evs;
}
const mutating = async () => ((await sim(s.control, 'GET', '/calls')).calls as { method: string }[]).filter((c) => MUTATING_METHODS.has(c.method));

beforeAll(async () => {
  requireBuild();
  s = await startSim('sample');
  r = await startRunner(s.url);
});
afterAll(() => killAll());

describe('operator tools', () => {
  let recoveryId = '';

  it('GET /v1/events streams each step and VM of a recovery as it happens', async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${r.url}/v1/events`, { headers: { authorization: `Bearer ${r.token}` }, signal: ctrl.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const events: any[] = [];
    let buf = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += new TextDecoder().decode(value);
        for (const block of buf.split('\n\n').slice(0, -1)) {
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (block.includes('event: journal') && data) events.push(JSON.parse(data.slice(6)));
        }
        buf = buf.split('\n\n').pop()!;
      }
    })().catch(() => {});
    await sim(s.control, 'POST', '/hosts/1/fail');
    recoveryId = (await r.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, 1, '-m -p 0'))).json.recoveryId;
    await until(() => events.some((e) => e.event.id === recoveryId && e.event.status === 'completed'), 20_000, 'the completed event');
    ctrl.abort();
    await reading;
    const mine = events.filter((e) => e.event.id === recoveryId);
    const steps = mine.filter((e) => e.event.type === 'step-finished').map((e) => e.event.step);
    expect(steps).toEqual(['decode', 'wait', 'fence', 'inventory', 'select', 'recover', 'verify', 'finish']);
    const vmEvents = mine.filter((e) => e.event.type === 'vm').map((e) => e.event.outcome);
    expect([...new Set(vmEvents.map((o) => o.vmId))].sort()).toEqual([41, 44]);
    // live per VM: the carry-out outcome, then verify's verdict with where it runs
    expect(vmEvents.filter((o) => o.kind === 'verify' && o.verify.result === 'running').map((o) => o.vmId).sort()).toEqual([41, 44]);
    expect(mine.at(-1).recovery).toMatchObject({ id: recoveryId, status: 'completed', counts: { recovered: 2, accepted: 2, skipped: 2, stuck: 0 } });
  });

  it('oneha status shows the runner, oned and flows', async () => {
    const out = await cli(['status', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ leader: true, oned: { reachable: true, version: '7.5.80' }, journal: 'file', flows: { running: 0 } });
  });

  it('oneha replay --dry-run shows what a replay would do and changes nothing', async () => {
    const before = (await mutating()).length;
    const out = await cli(['replay', recoveryId, '--from', 'select', '--dry-run', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const dry = JSON.parse(out.stdout);
    expect(dry.status).toBe('dry-run');
    // VMs already moved: a real replay would find nothing left to do.
    expect(dry.recovery.vms.map((v: { outcome: string }) => v.outcome)).toEqual(['already-done', 'already-done']);
    expect((await mutating()).length).toBe(before);
  });

  it('oneha replay --from inventory starts a new recovery that reuses the journaled steps before it', async () => {
    const out = await cli(['replay', recoveryId, '--from', 'inventory', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const { recoveryId: id, status } = JSON.parse(out.stdout);
    expect(status).toBe('accepted');
    const d = await until(async () => {
      const x = (await r.api('GET', `/v1/recoveries/${id}`)).json;
      return x.status === 'completed' ? x : undefined;
    }, 20_000, 'the replay');
    expect(d.steps.find((x: { name: string }) => x.name === 'fence').input).toEqual({ replayedFrom: recoveryId });
    expect(r.fenced()).toEqual(['1']); // not fenced again
  });

  it('oneha invoke runs one function locally; bad input exits 2 with the validation error', async () => {
    const ok = await cli(['invoke', 'inventory', '--input', '-'], JSON.stringify({ hostId: 0 }));
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).host.name).toBe('kvm-node-01');
    const bad = await cli(['invoke', 'wait', '--input', writeFile(r.dir, 'in.json', '{"hostId": -1}')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid input for wait/);
    const unknown = await cli(['bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/there is no command "bogus"/);
  });

  it('oneha serve serves the admin console and its sign-in', async () => {
    const page = await fetch(`${r.url}/plugin/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const signIn = await fetch(`${r.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'oneadmin', password: 'oneadmin' }) });
    expect(signIn.status).toBe(200);
    expect((await signIn.json()).admin).toBe(true);
  });

  it('a wrong config value stops the runner with the key named', async () => {
    const out = await run(process.execPath, [BUNDLE, 'serve'], { env: { ...r.env, ONEHA_LISTEN: 'not-a-port' } });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/config key listen \(ONEHA_LISTEN\)/);
    const noToken = await run(process.execPath, [BUNDLE, 'serve'], { env: { ...r.env, ONEHA_TOKEN_FILE: join(r.dir, 'missing') } });
    expect(noToken.code).not.toBe(0);
    expect(noToken.stderr).toMatch(/tokenFile: .*missing does not exist/);
  });
  it('GET /v1/events: every event has an id; Last-Event-ID resumes exactly after it; an id from another run gets "reset"', async () => {
    // a replay from select produces a new recovery's events while we listen
    let replay: Promise<{ status: number }> | undefined;
    const first = await readEvents({}, (evs) => {
      if (!replay && evs.some((e) => e.event === 'hello')) replay = r.api('POST', `/v1/recoveries/${recoveryId}/replay`, { from: 'select' });
      return evs.filter((e) => e.event === 'journal').length >= 10;
    });
    expect((await replay)!.status).toBe(202);
    const journalEvents = first.filter((e) => e.event === 'journal');
    expect(journalEvents.every((e) => /^[0-9a-f]+\.\d+$/.test(e.id ?? ''))).toBe(true);
    // nothing new happens meanwhile: the resumed stream replays the kept events after the given one
    const resumed = await readEvents({ 'last-event-id': journalEvents[3].id! }, (evs) => evs.filter((e) => e.event === 'journal').length >= 6);
    expect(resumed.filter((e) => e.event === 'journal').slice(0, 6).map((e) => e.id)).toEqual(journalEvents.slice(4, 10).map((e) => e.id));
    expect(resumed.some((e) => e.event === 'reset')).toBe(false);
    // the browser's manual reconnect passes it as a query parameter
    const byQuery = await readEvents({}, (evs) => evs.some((e) => e.event === 'journal'), `?lastEventId=${encodeURIComponent(journalEvents[8].id!)}`);
    expect(byQuery.find((e) => e.event === 'journal')!.id).toBe(journalEvents[9].id);
    const stale = await readEvents({ 'last-event-id': '0badf00d.1' }, (evs) => evs.some((e) => e.event === 'reset'));
    expect(stale.slice(0, 2).map((e) => e.event)).toEqual(['hello', 'reset']);
  });

});

// Events journaled but never decoded (the runner died between the durable
// `received` line and the next): at the next start each is decoded from its
// journaled payload, as the hook route would have, before reconciliation and
// before any hook is taken. Two events for one host become one recovery (the
// other joins it), a payload that never was valid is rejected and kept, and
// no failed host gets a second recovery from reconciliation.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../runner/eventBus';
import { FileJournalStore } from '../../runner/journal/fileStore';
import { Journal } from '../../runner/journal/journal';
import { hostPayload, killAll, requireBuild, sim, startSim, tempDir, until } from '../helpers/processes';
import { startRunner } from '../helpers/runnerProcess';

beforeAll(() => requireBuild());
afterAll(() => killAll());

const hosts = Array.from({ length: 5 }, (_, i) => ({ id: i, name: `node-${i}`, cpu: 100_000, memory: 1 << 30 }));
const vms = [1, 2].flatMap((h) => [0, 1].map((i) => ({ id: 100 + h * 10 + i, name: `vm-${h}-${i}`, state: 'RUNNING', cpu: 0.1, memory: 64, history: [{ hostId: h, dsId: 0 }] })));
const FINAL = new Set(['rejected', 'completed', 'degraded', 'failed', 'skipped', 'came-back']);

describe('received orphans at start', () => {
  it('are decoded from their journaled payload: started, joined or rejected; each host recovered once', async () => {
    const s = await startSim({ hosts, vms });
    for (const h of [1, 2]) await sim(s.control, 'POST', `/hosts/${h}/fail`);
    const p1 = await hostPayload(s.url, 1, '-m -p 0');
    const p2 = await hostPayload(s.url, 2, '-m -p 0');

    // The journal a runner left when it died right after each `received` line was durable.
    const dir = tempDir('oneha-orphans-');
    const journal = new Journal(new FileJournalStore(join(dir, 'data')), new EventBus(), () => Date.now());
    await journal.load();
    const orphans = { host1: 'r-orphan-1', host2: 'r-orphan-2', host1Again: 'r-orphan-3', garbage: 'r-orphan-4' };
    await journal.record(orphans.host1, { type: 'received', payload: p1, trigger: 'hook' });
    await journal.record(orphans.host2, { type: 'received', payload: p2, trigger: 'hook' });
    await journal.record(orphans.host1Again, { type: 'received', payload: p1, trigger: 'hook' }); // the hook script's retry
    await journal.record(orphans.garbage, { type: 'received', payload: 'not-a-host-xml -m', trigger: 'hook' });
    await journal.close();

    const r = await startRunner(s.url, {}, { dir });
    const log = r.proc.output();
    for (const id of Object.values(orphans)) expect(log).toMatch(new RegExp(`"recoveryId":"${id}"[^\\n]*event journaled but not decoded before the last stop|event journaled but not decoded before the last stop[^\\n]*"recoveryId":"${id}"`));

    type Summary = { id: string; status: string; hostId?: number; reason?: string };
    const all = await until(async () => {
      const rs = (await r.api('GET', '/v1/recoveries?limit=100')).json.recoveries as Summary[];
      return rs.length >= 4 && rs.every((x) => FINAL.has(x.status)) ? rs : undefined;
    }, 60_000, 'every orphan to end');
    const byId = new Map(all.map((x) => [x.id, x]));
    // Nothing left at received; the bad payload rejected with its reason, and still there.
    expect(all.filter((x) => x.status === 'received')).toEqual([]);
    expect(byId.get(orphans.garbage)).toMatchObject({ status: 'rejected' });
    // One recovery per failed host (the retry joined the first), none from reconciliation.
    const ran = all.filter((x) => x.status !== 'skipped' && x.status !== 'rejected');
    expect(ran.map((x) => [x.hostId, x.status]).sort()).toEqual([[1, 'completed'], [2, 'completed']]);
    expect(ran.every((x) => Object.values(orphans).includes(x.id))).toBe(true);
    expect(all.filter((x) => x.status === 'skipped').map((x) => x.reason)).toEqual([expect.stringMatching(/^joined recovery r-orphan-|^duplicate of recovery r-orphan-/)]);

    // Each host fenced once, each VM moved by one call.
    expect(r.fenced().sort()).toEqual(['1', '2']);
    const calls = (await sim(s.control, 'GET', '/calls')).calls as Array<{ method: string; params: unknown[]; ok: boolean }>;
    const moved = calls.filter((c) => c.ok && c.method === 'one.vm.action').map((c) => Number(c.params[2])).sort();
    expect(moved).toEqual(vms.map((v) => v.id).sort());
  }, 120_000);
});

// The rehearsal store (dataDir/rehearsals.json): the last report per host whole,
// and a bounded history of summaries, newest first; a file written before the
// history (the last report alone per host) is read as a history of one.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RehearsalReport } from '../../runner/rehearsal';
import { HISTORY, RehearsalStore } from '../../runner/rehearsalStore';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'oneha-rehearsals-'));
  dirs.push(d);
  return d;
};
const report = (hostId: number, at: number, outcome: RehearsalReport['outcome'] = 'completed'): RehearsalReport => ({
  hostId, hostName: `node-${hostId}`, at, durationMs: 800, trigger: 'scheduled', outcome, reason: `run at ${at}`,
  event: { flags: '-m -p 2' }, leftDown: outcome === 'completed' ? [] : [{ vmId: 7, vmName: 'db', reason: 'locked', by: 'carry-out' }],
  plan: { mode: 'migrate', actions: [], skipped: [] }, mttr: { seconds: 90, parts: [] }, log: [],
} as unknown as RehearsalReport);

describe('rehearsal history', () => {
  it(`keeps the last ${HISTORY} per host, newest first, the last one whole; a new runner reads them back`, async () => {
    const d = dir();
    const store = new RehearsalStore(d);
    for (let i = 1; i <= HISTORY + 3; i++) await store.keep(report(1, i * 1000, i === HISTORY + 3 ? 'degraded' : 'completed'));
    await store.keep(report(2, 5000));
    const h = store.history(1);
    expect(h).toHaveLength(HISTORY);
    expect(h.map((x) => x.at)).toEqual(Array.from({ length: HISTORY }, (_, i) => (HISTORY + 3 - i) * 1000));
    expect(h[0]).toEqual({ at: (HISTORY + 3) * 1000, trigger: 'scheduled', outcome: 'degraded', reason: `run at ${(HISTORY + 3) * 1000}`, planned: 0, leftDown: 1, mttrSeconds: 90, durationMs: 800 });
    expect(store.last(1)?.at).toBe((HISTORY + 3) * 1000);
    expect(store.history(2).map((x) => x.at)).toEqual([5000]);
    expect(store.history(3)).toEqual([]);
    const again = new RehearsalStore(d);
    expect(again.history(1)).toEqual(h);
    expect(again.last(1)).toEqual(store.last(1));
  });

  it('reads the file of a runner from before the history (the last report per host) as a history of one, and extends it', async () => {
    const d = dir();
    writeFileSync(join(d, 'rehearsals.json'), JSON.stringify({ 4: report(4, 2000) }));
    const store = new RehearsalStore(d);
    expect(store.last(4)?.at).toBe(2000);
    expect(store.history(4).map((x) => x.at)).toEqual([2000]);
    await store.keep(report(4, 3000));
    expect(store.history(4).map((x) => x.at)).toEqual([3000, 2000]);
    expect(Object.keys(JSON.parse(readFileSync(join(d, 'rehearsals.json'), 'utf8'))[4])).toEqual(['last', 'history']);
  });
});

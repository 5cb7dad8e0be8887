import { appendFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../runner/eventBus';
import { FileJournalStore } from '../../runner/journal/fileStore';
import { Journal } from '../../runner/journal/journal';
import { finishedOutput } from '../../runner/journal/events';

describe('file journal', () => {
  it('folds events into recoveries that survive a restart, ignoring a torn last line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oneha-journal-'));
    let t = 1000;
    const j = new Journal(new FileJournalStore(dir), new EventBus(), () => t++);
    await j.record('r1', { type: 'received', payload: 'abc -m', trigger: 'hook' });
    await j.record('r1', { type: 'host', hostId: 3, hostName: 'node-3' });
    await j.record('r1', { type: 'step-started', step: 'decode', input: { payload: 'abc -m' } });
    await j.record('r1', { type: 'step-finished', step: 'decode', output: { ok: 1 } });
    await j.record('r1', { type: 'step-started', step: 'wait', input: {} });
    await j.store.close();
    // A crash in the middle of a write leaves half a line.
    const file = join(dir, 'journal', readdirSync(join(dir, 'journal'))[0]);
    appendFileSync(file, '{"type":"step-fini');

    const again = new Journal(new FileJournalStore(dir), new EventBus(), () => t++);
    const [r] = await again.load();
    expect(r).toMatchObject({ id: 'r1', hostId: 3, hostName: 'node-3', status: 'running', receivedAt: 1000 });
    expect(r.steps.map((s) => [s.name, s.status])).toEqual([['decode', 'ok'], ['wait', 'running']]);
    expect(finishedOutput(r, 'decode')).toEqual({ ok: 1 });
    expect(finishedOutput(r, 'wait')).toBeUndefined();
  });

  it('publishes each event to listeners after it is stored', async () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.subscribe((e) => seen.push(e.type));
    const j = new Journal(new FileJournalStore(mkdtempSync(join(tmpdir(), 'oneha-journal-'))), bus, () => 1);
    await j.record('r2', { type: 'received', payload: '', trigger: 'hook' });
    await j.record('r2', { type: 'status', status: 'rejected', reason: 'empty' });
    expect(seen).toEqual(['received', 'status']);
    expect(j.get('r2')?.status).toBe('rejected');
  });
});

describe('file journal: group commit and compaction', () => {
  it('many concurrent appends all become durable, in order, in one log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oneha-journal-'));
    const store = new FileJournalStore(dir);
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.append({ id: `r${i}`, at: i, type: 'received', payload: `p${i}`, trigger: 'hook' })));
    const lines = readFileSync(store.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).id);
    expect(lines).toEqual(Array.from({ length: 200 }, (_, i) => `r${i}`));
    await store.close();
  });

  it('compaction at start keeps every unfinished recovery and the newest finished ones, one snapshot line each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oneha-journal-'));
    const j = new Journal(new FileJournalStore(dir), new EventBus(), () => 1);
    for (let i = 0; i < 5; i++) {
      await j.record(`done${i}`, { type: 'received', payload: '', trigger: 'hook' });
      j.recoveries.get(`done${i}`)!.receivedAt = i; // ordering for the test
      await j.record(`done${i}`, { type: 'status', status: 'completed' });
    }
    await j.record('running', { type: 'received', payload: '', trigger: 'hook' });
    await j.store.close();
    const load = async () => (await new Journal(new FileJournalStore(dir), new EventBus(), () => 1, 2).load()).map((r) => r.id).sort();
    const kept = await load();
    expect(kept).toHaveLength(3);
    expect(kept).toContain('running');
    expect(readFileSync(join(dir, 'journal', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).type)).toEqual(['snapshot', 'snapshot', 'snapshot']);
    const again = await load();
    expect(again).toEqual(kept); // the file itself was rewritten
  });
});

// The file journal's two-pass start (a quick scan of ids and statuses, then a
// full read of only what is kept) must load exactly what reading every line
// in full loads: the same recoveries, quarantine, rejected file, compacted
// log, and the same retention afterwards. Random logs (seeded: a failure
// replays with JOURNAL_SEED=<n>) mix every event type, reopened and
// recreated recoveries, legacy inline rejected payloads, snapshots,
// garbage, escapes, blanks and CRLF.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../runner/eventBus';
import { type EventMeta, type JournalEvent, type Recovery } from '../../runner/journal/events';
import { RecoveryStatusSchema } from '../../runner/journal/eventSchemas';
import { FileJournalStore } from '../../runner/journal/fileStore';
import { Journal } from '../../runner/journal/journal';
import { EVENT_CHECKS, fullyKnown, LineScanner } from '../../runner/journal/lineScan';
import type { JournalStore } from '../../runner/journal/store';
import { STEP_NAMES } from '../../model/steps';
import { prng } from '../security/fuzzCorpus';

const SEED = Number(process.env.JOURNAL_SEED ?? 20261127);
const STATUSES = RecoveryStatusSchema.options;

/** The same store, loaded without the scan: every line read in full, retention folded as it goes (the reference). */
class FullRead implements JournalStore {
  readonly kind = 'file';
  constructor(private readonly s: FileJournalStore) {}
  append = (e: JournalEvent) => this.s.append(e);
  load = (apply: (e: JournalEvent) => void | Promise<void>) => this.s.load(apply);
  attach = (snapshot: () => Recovery[]) => this.s.attach(snapshot);
  keepRejected = (e: Parameters<FileJournalStore['keepRejected']>[0]) => this.s.keepRejected(e);
  close = () => this.s.close();
}

/** A log as lines: mostly valid events in the runner's own shape, some damaged. */
function randomLog(rnd: () => number, recoveries: number): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const ids = Array.from({ length: recoveries }, (_, i) => `r${i.toString(36)}-${Math.floor(rnd() * 1e8).toString(16)}`);
  const live: string[] = [];
  const lines: string[] = [];
  let at = 1_000_000;
  let next = 0;
  const payload = () => (rnd() < 0.2 ? 'P'.repeat(5000 + Math.floor(rnd() * 100)) : `PEhPU1Q+${Math.floor(rnd() * 1e6)} -m`);
  while (next < ids.length || live.length) {
    at += 1 + Math.floor(rnd() * 3);
    const r = rnd();
    if ((r < 0.15 && next < ids.length) || !live.length) {
      const id = ids[next++];
      live.push(id);
      lines.push(JSON.stringify({ id, at, type: 'received', payload: payload(), trigger: pick(['hook', 'reconciled', 'manual'] as const) }));
      continue;
    }
    const id = pick(live);
    const base = { id, at };
    const e: object = pick([
      () => ({ ...base, type: 'host', hostId: Math.floor(rnd() * 9), hostName: `node-${Math.floor(rnd() * 9)}` }),
      () => ({ type: 'step-started', step: pick(STEP_NAMES), input: { hostId: 1, nested: [1, { a: null, b: true }, -2.5e3] }, ...base }),
      () => ({ ...base, type: 'step-finished', step: pick(STEP_NAMES), output: { ok: rnd() < 0.5, list: [] } }),
      () => ({ ...base, type: 'step-failed', step: pick(STEP_NAMES), error: { code: 'E', message: 'it "broke"\nbadly' } }),
      () => ({ ...base, type: 'attempt', step: 'fence', attempt: { level: 1, action: 'off' } }),
      () => ({ ...base, type: 'vm', outcome: { vmId: Math.floor(rnd() * 5), result: 'moved' } }),
      () => ({ ...base, type: 'status', status: pick(STATUSES), reason: rnd() < 0.5 ? 'why' : undefined }),
      () => ({ ...base, type: 'status', status: pick(['completed', 'failed', 'came-back', 'rejected'] as const) }),
      () => ({ ...base, type: 'status', status: 'rejected', reason: 'bad', ...(rnd() < 0.5 ? { payloadRef: 'rejected.jsonl' } : {}) }),
      () => ({ ...base, type: 'joined', payload: payload(), trigger: 'hook' }),
      () => ({ ...base, type: 'released', by: 'ops' }),
      () => ({ ...base, type: 'confirmed-down', by: 'ops', reason: 'dead BMC' }),
      () => ({ ...base, type: 'snapshot', recovery: { id, trigger: 'hook', payload: payload(), receivedAt: at, updatedAt: at, status: pick(STATUSES), steps: [], vms: [], joined: 0, ...(rnd() < 0.3 ? { payloadRef: 'rejected.jsonl' } : {}) } }),
      () => ({ ...base, type: 'host', hostId: 1, hostName: 'for a recovery never received', id: `ghost-${Math.floor(rnd() * 5)}` }),
      () => ({ ...base, type: 'received', payload: payload(), trigger: 'hook' }), // the same id received again: a fresh recovery
    ])();
    let line = JSON.stringify(e);
    const damage = rnd();
    if (damage < 0.02) line = 'this is not JSON';
    else if (damage < 0.03) line = line.slice(0, Math.floor(rnd() * line.length));
    else if (damage < 0.04) line = '\0'.repeat(64);
    else if (damage < 0.05) line = `{"id":"${id}","at":${at},"type":"nonsense"}`;
    else if (damage < 0.07) line = JSON.stringify(e, null, 1).replace(/\n/g, ' '); // blanks between tokens
    else if (damage < 0.08) line += '\r'; // CRLF
    else if (damage < 0.09) lines.push(''); // a blank line before it
    lines.push(line);
    if (rnd() < 0.08) live.splice(live.indexOf(id), 1);
  }
  return lines;
}

async function load(dir: string, full: boolean, retain: number): Promise<{ journal: Journal; store: FileJournalStore }> {
  const store = new FileJournalStore(dir);
  let t = 9_000_000;
  const journal = new Journal(full ? new FullRead(store) : store, new EventBus(), () => t++, retain);
  await journal.load();
  return { journal, store };
}

const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
/** A quarantine or rejected file's entries without what differs between two directories (the file's path, when it was written). */
const entries = (f: string) => read(f).split('\n').filter(Boolean).map((l) => ({ ...JSON.parse(l), at: undefined, file: undefined }));

describe('file journal start: the scan then a full read of what is kept equals a full read of everything', () => {
  for (let round = 0; round < 12; round++) {
    const seed = SEED + round;
    it(`random log, seed ${seed}`, async () => {
      const rnd = prng(seed);
      const retain = 1 + Math.floor(rnd() * 8);
      const lines = randomLog(rnd, 40 + Math.floor(rnd() * 60));
      const root = mkdtempSync(join(tmpdir(), 'oneha-jload-'));
      const [a, b] = [join(root, 'scan'), join(root, 'full')];
      mkdirSync(join(a, 'journal'), { recursive: true });
      writeFileSync(join(a, 'journal', 'journal.jsonl'), lines.join('\n') + '\n');
      cpSync(a, b, { recursive: true });

      const scanned = await load(a, false, retain);
      const full = await load(b, true, retain);
      expect(scanned.journal.list()).toEqual(full.journal.list());
      for (const f of ['quarantine.jsonl', 'rejected.jsonl']) expect(entries(join(a, 'journal', f)), f).toEqual(entries(join(b, 'journal', f)));
      expect(read(scanned.store.file)).toBe(read(full.store.file));

      // The same retention afterwards: new recoveries finishing push out the same old ones.
      for (const { journal } of [scanned, full]) {
        for (let i = 0; i < retain + 2; i++) {
          await journal.record(`new${i}`, { type: 'received', payload: 'x', trigger: 'hook' });
          await journal.record(`new${i}`, { type: 'status', status: 'completed' });
        }
      }
      expect(scanned.journal.list().map((r) => [r.id, r.status])).toEqual(full.journal.list().map((r) => [r.id, r.status]));
      await scanned.store.close();
      await full.store.close();
    });
  }

  it('a line the scan reads but the schema refuses: quarantined with its number, and the recovery keeps the status its readable lines give it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oneha-jload-'));
    mkdirSync(join(dir, 'journal'), { recursive: true });
    const lines = [
      { id: 'r1', at: 1, type: 'received', payload: 'AAAA -m', trigger: 'hook' },
      { id: 'r1', at: 2, type: 'step-started', step: 'wait', input: {} },
      { id: 'r1', at: 3, type: 'status', status: 'completed', code: 5 }, // code must be a string
      ...Array.from({ length: 5 }, (_, i) => [
        { id: `d${i}`, at: 10 + i, type: 'received', payload: 'BBBB', trigger: 'hook' },
        { id: `d${i}`, at: 10 + i, type: 'status', status: 'completed' },
      ]).flat(),
    ];
    writeFileSync(join(dir, 'journal', 'journal.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const { journal, store } = await load(dir, false, 2);
    await store.close();
    expect(journal.get('r1')).toMatchObject({ status: 'running' }); // unfinished: kept, and resumed at start
    expect(journal.list().map((r) => r.id).sort()).toEqual(['d3', 'd4', 'r1']);
    const q = read(join(dir, 'journal', 'quarantine.jsonl')).trim().split('\n').map((l) => JSON.parse(l));
    expect(q).toEqual([expect.objectContaining({ line: 3, reason: expect.stringMatching(/^not a journal event \(code:/) })]);
  });
});

describe('LineScanner', () => {
  const scan = (line: string): EventMeta | undefined => {
    const s = new LineScanner();
    s.use(Buffer.from(`${line}\n`));
    return s.scan(0, Buffer.byteLength(line));
  };

  it('reads id, type and status as JSON.parse would, from any well-formed line without a backslash', () => {
    const rnd = prng(SEED);
    for (const line of randomLog(rnd, 200)) {
      let parsed: { id?: unknown; type?: unknown; status?: unknown; payloadRef?: unknown; recovery?: { status?: unknown; payloadRef?: unknown } } | undefined;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      const meta = scan(line);
      if (!meta) continue; // not sure: the line is parsed in full instead
      expect(parsed, line).toBeDefined();
      expect(meta.id).toBe(parsed!.id);
      expect(meta.type).toBe(parsed!.type);
      if (meta.type === 'status') expect([meta.status, meta.payloadRef]).toEqual([parsed!.status, parsed!.payloadRef]);
      if (meta.type === 'snapshot') expect([meta.recovery.status, meta.recovery.payloadRef]).toEqual([parsed!.recovery?.status, parsed!.recovery?.payloadRef]);
    }
  });

  it('judges every event type from its schema (none left to JSON.parse for want of a check)', () => {
    expect([...EVENT_CHECKS].filter(([, c]) => !fullyKnown(c)).map(([t]) => t)).toEqual([]);
    expect(EVENT_CHECKS.size).toBe(12);
  });

  it('refuses every torn prefix of a line, garbage, an unknown type or status, and leaves lines with escapes to JSON.parse', () => {
    const line = JSON.stringify({ id: 'r1', at: 12, type: 'status', status: 'completed', reason: 'done', input: { a: [1, -2.5e-3, true, false, null, {}] } });
    expect(scan(line)).toEqual({ id: 'r1', type: 'status', status: 'completed' });
    const snapshot = JSON.stringify({ id: 'r2', at: 3, type: 'snapshot', recovery: { id: 'r2', trigger: 'hook', payload: 'x', payloadRef: 'rejected.jsonl', receivedAt: 1, updatedAt: 3, status: 'rejected', steps: [{ name: 'wait', status: 'ok', startedAt: 1 }], vms: [{ vmId: 1 }], joined: 0 } });
    expect(scan(snapshot)).toEqual({ id: 'r2', type: 'snapshot', recovery: { status: 'rejected', payloadRef: 'rejected.jsonl' } });
    expect(scan(snapshot.replace('"name":"wait"', '"name":"nap"'))).toBeUndefined();
    for (let i = 0; i < line.length; i++) expect(scan(line.slice(0, i)), line.slice(0, i)).toBeUndefined();
    for (const bad of ['', 'not JSON', '\0\0\0', '[]', '{"id":"r1","type":"nonsense"}', '{"id":"r1","type":"status","status":"weird"}',
      '{"id":1,"type":"host"}', '{"id":"r1","type":"host"} x', '{"id":"r1","type":"host",}', '{"id":"r1","type":"host","n":01}',
      '{"id":"r1","type":"host","n":1.}', '{"id":"r1","type":"host","n":tru}', '{"id":"r1","type":"status","status":"failed","payloadRef":3}',
      '{"id":"r1","type":"snapshot","recovery":"x"}', '{"id":"r\\u0031","type":"host"}',
      // well-formed, but the schema refuses it
      '{"id":"r1","at":1,"type":"status","status":"completed","code":5}', '{"id":"r1","at":"1","type":"released","by":"x"}',
      '{"id":"r1","at":1,"type":"host","hostId":1.5,"hostName":"n"}', '{"id":"r1","at":1,"type":"host","hostName":"n"}',
      '{"id":"r1","at":1,"type":"step-started","step":"nap","input":{}}', '{"id":"r1","at":1,"type":"received","payload":"x","trigger":"hook","force":"yes"}',
      '{"id":"r1","at":1,"type":"snapshot","recovery":{"id":"r1","status":"held"}}', '{"id":"r1","at":1e999,"type":"released","by":"x"}',
      '{"id":"r1","at":1,"type":"step-failed","step":"wait","error":{"code":"E"}}', '{"id":"r1","at":1,"type":"status","status":"held","reason":null}',
      '{"id":"r1","at":1,"type":"released","by":"a\tb"}', '{"id":"r1","at":1,"type":"released","by":"a\u0001b"}']) {
      expect(scan(bad), bad).toBeUndefined();
    }
    const blanks = ' { "id" : "r1" , "at" : 1 , "type" : "snapshot" , "recovery" : { "id" : "r1" , "trigger" : "hook" , "payload" : "" , "receivedAt" : 1 , "updatedAt" : 1 , "status" : "held" , "steps" : [ ] , "vms" : [ ] , "joined" : 0 } } ';
    expect(scan(blanks)).toEqual({ id: 'r1', type: 'snapshot', recovery: { status: 'held' } });
  });
});

// The hook endpoint under a seeded fuzz corpus (test/security/fuzzCorpus.ts):
// at least 10,000 hostile payloads, each must get either a specific 4xx (a
// known code, a reason in words, the payload kept in the journal as rejected,
// no flow started) or a valid recovery (the payload decodes to a host). No
// 5xx, no crash, no entity expansion. Reproduce a run with FUZZ_SEED=<seed>.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHookPayload } from '../../functions/decode';
import { HookJsonBody } from '../../runner/http/hookRoute';
import { REJECTED_PREVIEW_CHARS } from '../../runner/journal/events';
import { fuzzCorpus, type FuzzPayload } from './fuzzCorpus';
import { startHarness, type Harness } from '../plugin/harness';

const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const COUNT = Number(process.env.FUZZ_COUNT ?? 10_500);
/** Codes a rejection may carry: each says which layer refused (the generic 'bad-payload' would mean an unexpected throw). */
const SPECIFIC = new Set(['bad-json', 'empty-payload', 'bad-base64', 'not-a-host', 'bad-pause', 'conflicting-modes', 'missing-mode', 'unknown-flag', 'too-large']);

/** What the runner decodes: the text body, or the JSON body's payload / template + arguments (by the route's own schema). */
function effectivePayload(p: FuzzPayload): string | undefined {
  if (p.contentType === 'text/plain') return p.body;
  let json: unknown;
  try {
    json = JSON.parse(p.body);
  } catch {
    return undefined;
  }
  const r = HookJsonBody.safeParse(json);
  return !r.success ? undefined : 'payload' in r.data ? r.data.payload : `${r.data.template} ${r.data.arguments}`;
}

describe(`hook fuzz corpus (seed ${SEED}, ${COUNT} payloads)`, () => {
  let t: Harness;
  // The journal on tmpfs where there is one: this measures the runner's checks, not the disk's fsync.
  // Rejected payloads go to a bounded, rotated file (journal.rejectedMax), and finished recoveries beyond journal.retain leave
  // memory: both bounds above the corpus, so every payload, accepted or rejected, can still be checked after the burst.
  const journal = { rejectedMax: 100_000, rejectedMegabytes: 1024, retain: 100_000 };
  beforeAll(async () => (t = await startHarness(undefined, existsSync('/dev/shm') ? { dataDir: mkdtempSync('/dev/shm/oneha-fuzz-'), journal } : { journal })));
  afterAll(async () => {
    const dataDir = t?.runner.config.dataDir;
    await t?.close();
    if (dataDir?.startsWith('/dev/shm/')) rmSync(dataDir, { recursive: true, force: true });
  });

  it('is reproducible: the same seed gives the same payloads', () => {
    expect(fuzzCorpus(SEED, 200)).toEqual(fuzzCorpus(SEED, 200));
    expect(fuzzCorpus(SEED + 1, 200)).not.toEqual(fuzzCorpus(SEED, 200));
  });

  it('every payload gets a specific 4xx or a valid recovery; no 5xx, nothing lost, nothing expanded', async () => {
    const corpus = fuzzCorpus(SEED, COUNT);
    if (!process.env.FUZZ_COUNT) expect(corpus.length).toBeGreaterThanOrEqual(10_000);
    const tally = new Map<string, number>();
    const failures: string[] = [];
    const rejected = new Map<string, { p: FuzzPayload; sent: string }>();
    const accepted = new Map<string, FuzzPayload>();
    const fail = (p: FuzzPayload, why: string) => failures.length < 20 && failures.push(`${p.kind}: ${why} <- ${JSON.stringify(p.body.slice(0, 160))}`);
    const started = Date.now();
    // Batches of 50 in flight: the journal group-commits them, as it would a burst of hooks.
    for (let i = 0; i < corpus.length; i += 50) {
      await Promise.all(corpus.slice(i, i + 50).map(async (p) => {
        const r = await t.req('POST', '/v1/hooks/host-error', { bearer: true, body: p.body, headers: { 'content-type': p.contentType } });
        tally.set(String(r.status), (tally.get(String(r.status)) ?? 0) + 1);
        if (r.status >= 500) return fail(p, `HTTP ${r.status}`);
        const effective = effectivePayload(p);
        let decodes = false;
        try {
          if (effective !== undefined) decodeHookPayload(effective);
          decodes = effective !== undefined;
        } catch { /* a rejection is expected */ }
        if (r.status === 202) {
          if (!decodes) return fail(p, 'accepted a payload that does not decode');
          if (/<!DOCTYPE|<!ENTITY/i.test(Buffer.from(effective!.trim().split(/\s+/)[0], 'base64').toString('utf8'))) return fail(p, 'accepted a DTD');
          if (!['accepted', 'joined', 'duplicate'].includes(r.json?.status)) return fail(p, `202 with status ${r.json?.status}`);
          // The 202 means the payload is durable; the flow decodes it just after (off the request path): checked below.
          if (!t.runner.ctx.journal.get(r.json.recoveryId)) return fail(p, 'accepted but not in the journal');
          accepted.set(r.json.recoveryId, p);
          return;
        }
        if (r.status !== 400) return fail(p, `HTTP ${r.status}`);
        if (decodes) return fail(p, 'refused a payload that decodes');
        const e = r.json?.error;
        if (!SPECIFIC.has(e?.code)) return fail(p, `unspecific code ${e?.code}`);
        if (typeof e.message !== 'string' || /\n|[✖→]|\[object|^\s*[{[]/.test(e.message) || e.message.length > 600) return fail(p, `reason is not a sentence: ${JSON.stringify(e?.message)}`);
        const rec = t.runner.ctx.journal.get(r.json.recoveryId);
        if (rec?.status !== 'rejected') return fail(p, `rejected payload not kept as rejected (${rec?.status})`);
        const sent = p.contentType === 'text/plain' ? p.body : effective ?? p.body;
        // Memory keeps a preview; the whole payload is in the rejected file (checked below).
        if (rec.payload !== sent.slice(0, REJECTED_PREVIEW_CHARS)) return fail(p, 'the payload kept in memory is not the start of what was sent');
        if (rec.steps?.length) return fail(p, 'a rejected payload started steps');
        if (!sent) return; // an empty payload: nothing to keep
        if (!rec.payloadRef) return fail(p, 'a rejected payload with no reference to where it is kept');
        rejected.set(rec.id, { p, sent });
      }));
    }
    // Every accepted payload becomes a recovery for its host once decoded (a deadline, not a speed).
    const deadline = Date.now() + 60_000;
    const hostless = () => [...accepted.keys()].filter((id) => t.runner.ctx.journal.get(id)?.hostId === undefined);
    while (hostless().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const id of hostless()) fail(accepted.get(id)!, 'accepted but no recovery for a host in the journal');
    // Nothing lost: every rejected payload is in the rejected file, byte for byte.
    const kept = new Map(readFileSync(join(t.runner.config.dataDir, 'journal', 'rejected.jsonl'), 'utf8').split('\n').filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string; payload: string }).map((e) => [e.id, e.payload]));
    for (const [id, { p, sent }] of rejected) if (kept.get(id) !== sent) fail(p, 'the payload in the rejected file differs from what was sent');
    const seconds = (Date.now() - started) / 1000;
    console.log(`fuzz: ${corpus.length} payloads in ${seconds.toFixed(1)} s, by status ${JSON.stringify(Object.fromEntries(tally))}`);
    expect(failures).toEqual([]);
    expect(tally.get('202')).toBeGreaterThan(corpus.length / 50);
    expect(tally.get('400')).toBeGreaterThan(corpus.length / 2);
    expect((await t.req('GET', '/healthz')).status).toBe(200);
  }, 300_000);
});

// What the file journal does with each way a file can be damaged or taken
// away, one row per fault: the fault is made on a real file (a real tmpfs for
// a full disk, a real read-only mount), then the journal is opened, loaded
// and appended to as the runner does. Nothing acknowledged may be lost,
// nothing damaged may pass silently, and no new line may glue onto a torn one.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Log } from '../../model/ports';
import { EventBus } from '../../runner/eventBus';
import { FileJournalStore } from '../../runner/journal/fileStore';
import { Journal } from '../../runner/journal/journal';
import { BUNDLE, hostPayload, killAll, requireBuild, run, sim, startSim, tempDir, until, writeFile } from '../helpers/processes';
import { startRunner } from '../helpers/runnerProcess';

afterAll(() => killAll());

interface Opened { journal: Journal; store: FileJournalStore; logs: string[] }

function captureLog(logs: string[]): Log {
  return { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) };
}

async function open(dir: string): Promise<Opened> {
  const logs: string[] = [];
  const store = new FileJournalStore(dir, { log: captureLog(logs) });
  let t = 1000;
  const journal = new Journal(store, new EventBus(), () => t++);
  await journal.load();
  return { journal, store, logs };
}

/** Two recoveries, one finished, as a runner leaves them. */
async function seed(dir: string): Promise<string> {
  const { journal, store } = await open(dir);
  await journal.record('r1', { type: 'received', payload: 'AAAA -m', trigger: 'hook' });
  await journal.record('r1', { type: 'host', hostId: 1, hostName: 'node-1' });
  await journal.record('r1', { type: 'status', status: 'completed' });
  await journal.record('r2', { type: 'received', payload: 'BBBB -m', trigger: 'hook' });
  await journal.record('r2', { type: 'host', hostId: 2, hostName: 'node-2' });
  await store.close();
  return store.file;
}

const quarantined = (dir: string) => {
  const f = join(dir, 'journal', 'quarantine.jsonl');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
};

/** After the fault: a new event is appended and survives a restart on its own line. */
async function appendAndReload(o: Opened, dir: string): Promise<Journal> {
  await o.journal.record('r3', { type: 'received', payload: 'CCCC -m', trigger: 'hook' });
  await o.store.close();
  const again = await open(dir);
  await again.store.close();
  expect(again.journal.get('r3')).toMatchObject({ status: 'received', payload: 'CCCC -m' });
  return again.journal;
}

describe('journal faults', () => {
  it('torn last line: cut off into quarantine with its offset before anything is appended; the next event is not glued to it', async () => {
    const dir = tempDir('oneha-jf-');
    const file = await seed(dir);
    const offset = statSync(file).size;
    appendFileSync(file, '{"id":"r2","at":9,"type":"status","sta');
    const o = await open(dir);
    expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
    expect(quarantined(dir)).toEqual([expect.objectContaining({ offset, text: '{"id":"r2","at":9,"type":"status","sta', reason: expect.stringMatching(/torn/) })]);
    expect(o.logs.join('\n')).toMatch(new RegExp(`warn journal: the last line \\(\\d+ bytes at offset ${offset}\\) was torn`));
    const j = await appendAndReload(o, dir);
    expect(j.get('r2')).toMatchObject({ hostId: 2, status: 'received' });
  });

  it('garbage line in the middle: logged with its line number, copied to quarantine, the rest loads', async () => {
    const dir = tempDir('oneha-jf-');
    const file = await seed(dir);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.splice(2, 0, 'this is not JSON', '{"id":"r9","type":"nonsense","at":1}');
    writeFileSync(file, lines.join('\n'));
    const o = await open(dir);
    expect(o.logs.filter((l) => l.startsWith('warn'))).toEqual([
      expect.stringMatching(/^warn journal: line 3 of .* is unreadable, not JSON/),
      expect.stringMatching(/^warn journal: line 4 of .* is unreadable, not a journal event/),
    ]);
    expect(quarantined(dir).map((q) => [q.line, q.text])).toEqual([[3, 'this is not JSON'], [4, '{"id":"r9","type":"nonsense","at":1}']]);
    expect(o.journal.get('r1')).toMatchObject({ status: 'completed', hostId: 1 });
    expect(o.journal.get('r2')).toMatchObject({ status: 'received', hostId: 2 });
    await appendAndReload(o, dir);
  });

  it('NUL bytes (a crash after the size grew but before the data landed): the NUL block is quarantined, the lines after it load', async () => {
    const dir = tempDir('oneha-jf-');
    const file = await seed(dir);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    writeFileSync(file, `${lines[0]}\n${'\0'.repeat(4096)}\n${lines.slice(1).join('\n')}\n${'\0'.repeat(512)}`);
    const o = await open(dir);
    const q = quarantined(dir);
    expect(q).toHaveLength(2);
    expect(q[0]).toMatchObject({ reason: expect.stringMatching(/torn/), text: '\0'.repeat(512) });
    expect(q[1]).toMatchObject({ line: 2, text: '\0'.repeat(4096) });
    expect(o.journal.get('r2')).toMatchObject({ hostId: 2 });
    await appendAndReload(o, dir);
  });

  it('zero-length file: an empty journal, appends work', async () => {
    const dir = tempDir('oneha-jf-');
    mkdirSync(join(dir, 'journal'), { recursive: true });
    writeFileSync(join(dir, 'journal', 'journal.jsonl'), '');
    const o = await open(dir);
    expect(o.journal.list()).toEqual([]);
    expect(o.logs.filter((l) => !l.startsWith('info'))).toEqual([]);
    await appendAndReload(o, dir);
  });

  it('deleted file: before start, an empty journal; while running, the next write notices and rewrites the current state to a new file', async () => {
    const dir = tempDir('oneha-jf-');
    const file = await seed(dir);
    rmSync(file);
    const fresh = await open(dir);
    expect(fresh.journal.list()).toEqual([]);
    await fresh.store.close();

    await seed(dir);
    const o = await open(dir);
    rmSync(file);
    await o.journal.record('r2', { type: 'status', status: 'completed' });
    expect(o.logs.join('\n')).toMatch(/was deleted while in use; writing the current state to a new file/);
    const j = await appendAndReload(o, dir);
    expect(j.get('r1')).toMatchObject({ status: 'completed' });
    expect(j.get('r2')).toMatchObject({ status: 'completed' });
  });

  it('directory in its place: the journal refuses to open, saying so, and touches nothing', async () => {
    const dir = tempDir('oneha-jf-');
    mkdirSync(join(dir, 'journal', 'journal.jsonl', 'x'), { recursive: true });
    expect(() => new FileJournalStore(dir)).toThrow(/journal .*journal\.jsonl is a directory, not a file: move it away/);
    expect(existsSync(join(dir, 'journal', 'journal.jsonl', 'x'))).toBe(true);
  });
});

describe('journal faults with real mounts (a mount namespace of their own)', () => {
  let s: Awaited<ReturnType<typeof startSim>>;
  beforeAll(async () => {
    requireBuild();
    s = await startSim({ hosts: Array.from({ length: 10 }, (_, id) => ({ id, name: `node-${id}` })), vms: [] }); // 2 of 10 failing: under the mass-failure brake
  });

  it('read-only file system: the runner does not start, and says which file and why', async () => {
    const dir = tempDir('oneha-jf-');
    const data = join(dir, 'data');
    await seed(data);
    const r = await run('unshare', ['-rm', 'sh', '-c', 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"', 'sh', data, process.execPath, BUNDLE, 'serve'], {
      env: {
        ...process.env, ONE_XMLRPC: s.url, ONE_AUTH: writeFile(dir, 'one_auth', 'oneadmin:oneadmin\n'), ONEHA_DATA_DIR: data,
        ONEHA_TOKEN_FILE: writeFile(dir, 'token', 'test-token-0123456789abcdef\n'), ONEHA_LISTEN: '127.0.0.1:0', ONEHA_CONFIG: writeFile(dir, 'oneha.json', '{}'),
      },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/journal .*journal\.jsonl cannot be opened for writing \(EROFS\)/);
  });

  it('disk full: the hook gets 507 with a clear message, nothing acknowledged is lost, and hooks are accepted again once there is room', async () => {
    const dir = tempDir('oneha-jf-');
    const data = join(dir, 'data');
    mkdirSync(data);
    // A 256 KiB tmpfs as the data directory, in the runner's own mount namespace.
    const r = await startRunner(s.url, {}, { dir, wrap: ['unshare', '-rm', 'sh', '-c', 'mount -t tmpfs -o size=256k tmpfs "$1" && shift && exec "$@"', 'sh', data] });
    const inside = (p: string) => join(`/proc/${r.proc.child.pid}/root`, p);
    const post = async (hostId: number) => {
      await sim(s.control, 'POST', `/hosts/${hostId}/fail`);
      return r.api('POST', '/v1/hooks/host-error', await hostPayload(s.url, hostId, '-r -p 0'));
    };
    const first = await post(0);
    expect(first.status, first.text).toBe(202);
    // Fill the disk to the last byte.
    const filler = inside(join(data, 'filler'));
    try {
      for (;;) appendFileSync(filler, Buffer.alloc(4096));
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    const full = await post(1);
    expect(full.status, `${full.text}\n${r.proc.output().slice(-3000)}`).toBe(507);
    expect(full.json.error).toMatchObject({ code: 'journal-full', message: expect.stringMatching(/the journal's disk is full \(ENOSPC writing .*journal\.jsonl\): nothing was accepted/) });
    rmSync(filler);
    const again = await post(1);
    expect(again.status, `${again.text}\n${r.proc.output().slice(-3000)}`).toBe(202);
    expect(again.json.status).toBe('accepted');
    const done = await until(async () => {
      const d = (await r.api('GET', `/v1/recoveries/${again.json.recoveryId}`)).json;
      return ['completed', 'failed', 'fence-failed', 'held', 'came-back'].includes(d.status) ? d : undefined;
    }, 20_000, 'the recovery after the disk had room again');
    expect(done.status, JSON.stringify(done).slice(0, 1500) + r.proc.output().slice(-2000)).toBe('completed');
    // The log on that disk: every acknowledged event, each on its own line, nothing quarantined.
    const copy = tempDir('oneha-jf-copy-');
    mkdirSync(join(copy, 'journal'));
    writeFileSync(join(copy, 'journal', 'journal.jsonl'), readFileSync(inside(join(data, 'journal', 'journal.jsonl'))));
    const o = await open(copy);
    expect(o.logs.filter((l) => !l.startsWith('info')), r.proc.output().slice(-3000)).toEqual([]);
    expect(o.journal.get(first.json.recoveryId)).toBeDefined();
    expect(o.journal.get(again.json.recoveryId)).toMatchObject({ status: 'completed', hostId: 1 });
    expect(o.journal.list().filter((x) => x.hostId === 1)).toHaveLength(1);
    const metrics = (await r.api('GET', '/metrics')).text;
    expect(Number(/^oneha_journal_write_errors_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    await r.kill('SIGKILL');
  });
});

// The default journal: one append-only JSON-lines log, written like a
// database's write-ahead log. Events appended in the same turn of the event
// loop are written together and made durable with one fdatasync (group
// commit), off the event loop, before any of their appends resolve. Plain
// files instead of SQLite: no native module to build on the front-end, a
// crash can at worst tear the last line (ignored on load), and an operator
// can read a flow with `jq 'select(.id == "...")' journal.jsonl`.
import { closeSync, fdatasync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, write, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { applyEvent, FINAL_STATUSES, JournalEventSchema, type JournalEvent, type Recovery } from './events';
import type { JournalStore } from './store';

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);

interface Pending {
  line: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class FileJournalStore implements JournalStore {
  readonly kind = 'file';
  readonly file: string;
  private fd: number;
  private queue: Pending[] = [];
  private flushing = false;

  /** `retain`: finished recoveries kept when the log is compacted at start (unfinished ones always are). */
  constructor(dataDir: string, private readonly retain = 5000) {
    const dir = join(dataDir, 'journal');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = join(dir, 'journal.jsonl');
    this.fd = openSync(this.file, 'a', 0o600);
  }

  append(event: JournalEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ line: JSON.stringify(event) + '\n', resolve, reject });
      if (!this.flushing) this.flush();
    });
  }

  private flush(): void {
    this.flushing = true;
    // setImmediate: every append made in this turn joins the batch.
    setImmediate(async () => {
      const batch = this.queue;
      this.queue = [];
      try {
        const buf = Buffer.from(batch.map((p) => p.line).join(''));
        for (let off = 0; off < buf.length;) off += (await writeAsync(this.fd, buf, off, buf.length - off)).bytesWritten;
        await fdatasyncAsync(this.fd);
        for (const p of batch) p.resolve();
      } catch (e) {
        for (const p of batch) p.reject(e as Error);
      }
      if (this.queue.length) this.flush();
      else this.flushing = false;
    });
  }

  /** Every recovery in the log; compacts the log when finished recoveries beyond `retain` can go. */
  async loadAll(): Promise<Recovery[]> {
    const byId = new Map<string, { r: Recovery; lines: string[] }>();
    const text = existsSync(this.file) ? readFileSync(this.file, 'utf8') : '';
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let parsed;
      try {
        parsed = JournalEventSchema.safeParse(JSON.parse(line));
      } catch {
        continue; // a torn last line from a crash mid-write
      }
      if (!parsed.success) continue;
      const e = parsed.data;
      const cur = byId.get(e.id);
      const r = applyEvent(cur?.r, e);
      if (!r) continue;
      if (cur) cur.lines.push(line);
      else byId.set(e.id, { r, lines: [line] });
    }
    const all = [...byId.values()];
    const finished = all.filter((x) => FINAL_STATUSES.has(x.r.status)).sort((a, b) => b.r.receivedAt - a.r.receivedAt);
    const drop = new Set(finished.slice(this.retain).map((x) => x.r.id));
    if (drop.size) this.compact(all.filter((x) => !drop.has(x.r.id)).flatMap((x) => x.lines));
    return all.filter((x) => !drop.has(x.r.id)).map((x) => x.r);
  }

  /** Rewrites the log with only these lines, atomically. */
  private compact(lines: string[]): void {
    const tmp = `${this.file}.compact`;
    const fd = openSync(tmp, 'w', 0o600);
    writeSync(fd, lines.map((l) => l + '\n').join(''));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a', 0o600);
  }

  async close(): Promise<void> {
    while (this.flushing || this.queue.length) await new Promise((r) => setTimeout(r, 5));
    closeSync(this.fd);
  }
}

/** For the foreground drop-in and unit tests: nothing persisted. */
export class MemoryJournalStore implements JournalStore {
  readonly kind = 'memory';
  readonly events: JournalEvent[] = [];
  async append(event: JournalEvent): Promise<void> {
    this.events.push(structuredClone(event));
  }
  async loadAll(): Promise<Recovery[]> {
    const byId = new Map<string, Recovery | undefined>();
    for (const e of this.events) byId.set(e.id, applyEvent(byId.get(e.id), structuredClone(e)));
    return [...byId.values()].filter((r): r is Recovery => !!r);
  }
  async close(): Promise<void> {}
}

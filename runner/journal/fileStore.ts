// The default journal: one append-only JSON-lines log, written like a
// database's write-ahead log. Events appended in the same turn of the event
// loop are written together and made durable with one fdatasync (group
// commit), off the event loop, before any of their appends resolve. Plain
// files instead of SQLite: no native module to build on the front-end, and an
// operator can read a flow with `jq 'select(.id == "...")' journal.jsonl`.
//
// What can go wrong with a file, and what happens (test/unit/journalFaults):
// - a crash or a full disk tears the last line: on open, the bytes after the
//   last newline are moved to quarantine.jsonl (with their offset, logged)
//   before anything is appended, so the next line never glues onto them;
// - a write fails at run time: the partial batch is cut off again at once,
//   its appends are rejected (nothing acknowledged), a full disk says so;
// - an unreadable line anywhere: logged with its line number, copied to
//   quarantine.jsonl, the rest loads;
// - the file is deleted while running: the next write notices and rewrites
//   the current state to a new file.
// The log is loaded as a stream and compacted (rewritten as one snapshot line
// per recovery the journal keeps) at start and whenever it grows past its
// bounds, so neither start-up time nor memory follow the log's history.
import { close, closeSync, existsSync, fstatSync, ftruncateSync, fdatasync, mkdirSync, openSync, readSync, statSync, truncateSync, write, appendFileSync, fsyncSync } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { silentLog, type Log } from '../../model/ports';
import { JournalWriteError } from './errors';
import type { EventMeta, JournalEvent, Recovery } from './events';
import { JournalEventSchema } from './eventSchemas';
import { LineScanner } from './lineScan';
import { eachLine, LineList, LineWriter, readLines } from './logLines';
import { RejectedPayloads, type RejectedBounds, type RejectedEntry } from './rejectedPayloads';
import type { JournalStore, LoadScan } from './store';

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);

interface Pending {
  line: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

export interface FileJournalOptions {
  /** Compact when the log has grown past this many bytes (and twice its size after the last compaction). */
  compactBytes?: number;
  /** Compact when this long has passed since the last compaction and something was appended. */
  compactSeconds?: number;
  rejected?: RejectedBounds;
  log?: Log;
}

export const JOURNAL_DEFAULTS = { compactBytes: 64 << 20, compactSeconds: 3600, rejected: { maxCount: 1000, maxBytes: 64 << 20 } };

export class FileJournalStore implements JournalStore {
  readonly kind = 'file';
  readonly file: string;
  readonly quarantineFile: string;
  private fd: number;
  private queue: Pending[] = [];
  private flushing = false;
  /** Bytes durably in the log; a failed batch is cut back to this. */
  private size = 0;
  private sizeAfterCompaction = 0;
  private lastCompaction = Date.now();
  private appendedSinceCompaction = false;
  private snapshot?: () => Recovery[];
  /** Set when a failed write could not be cut off: nothing more is appended until a restart repairs the tail. */
  private broken?: Error;
  private readonly opts: Required<Omit<FileJournalOptions, 'log'>>;
  private readonly log: Log;
  private readonly rejected: RejectedPayloads;
  private linesLoaded = 0;
  private counters = { compactions: 0, quarantined: 0, writeErrors: 0 };

  constructor(dataDir: string, opts: FileJournalOptions = {}) {
    this.opts = { ...JOURNAL_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as Required<Omit<FileJournalOptions, 'log'>>;
    this.log = opts.log ?? silentLog;
    const dir = join(dataDir, 'journal');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = join(dir, 'journal.jsonl');
    this.quarantineFile = join(dir, 'quarantine.jsonl');
    this.rejected = new RejectedPayloads(dir, this.opts.rejected);
    if (existsSync(this.file) && statSync(this.file).isDirectory()) {
      throw new Error(`journal ${this.file} is a directory, not a file: move it away (nothing was read or changed)`);
    }
    try {
      this.fd = openSync(this.file, 'a', 0o600);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new Error(`journal ${this.file} cannot be opened for writing (${err.code}): ${err.message}`);
    }
    this.cutTornTail();
    this.size = this.sizeAfterCompaction = fstatSync(this.fd).size;
  }

  /** A last line without its newline (a crash or a full disk mid-write) goes to quarantine before anything is appended. */
  private cutTornTail(): void {
    const size = fstatSync(this.fd).size;
    if (size === 0) return;
    const rfd = openSync(this.file, 'r');
    try {
      const one = Buffer.alloc(1);
      readSync(rfd, one, 0, 1, size - 1);
      if (one[0] === 10) return;
      // Backwards in chunks to the last newline.
      const chunk = Buffer.alloc(64 * 1024);
      let cut = 0;
      for (let end = size; end > 0 && !cut;) {
        const start = Math.max(0, end - chunk.length);
        const n = readSync(rfd, chunk, 0, end - start, start);
        const i = chunk.subarray(0, n).lastIndexOf(10);
        if (i >= 0) cut = start + i + 1;
        end = start;
      }
      const torn = Buffer.alloc(size - cut);
      readSync(rfd, torn, 0, torn.length, cut);
      this.quarantine({ reason: 'torn last line (no newline): cut off before appending', offset: cut, text: torn.toString('utf8') });
      truncateSync(this.file, cut);
      this.log.warn(`journal: the last line (${torn.length} bytes at offset ${cut}) was torn by an interrupted write; moved to ${this.quarantineFile}`);
    } finally {
      closeSync(rfd);
    }
  }

  private quarantine(entry: { reason: string; offset?: number; line?: number; text: string }): void {
    appendFileSync(this.quarantineFile, JSON.stringify({ at: Date.now(), file: this.file, ...entry }) + '\n', { mode: 0o600 });
    this.counters.quarantined++;
  }

  append(event: JournalEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.broken) return reject(this.broken);
      this.queue.push({ line: JSON.stringify(event) + '\n', resolve, reject });
      if (!this.flushing) this.flush();
    });
  }

  private flush(): void {
    this.flushing = true;
    // setImmediate: every append made in this turn joins the batch.
    setImmediate(async () => {
      // Compaction between batches: every event written so far is in the snapshot, none queued is.
      await this.compactIfDue();
      const batch = this.queue;
      this.queue = [];
      const buf = Buffer.from(batch.map((p) => p.line).join(''));
      try {
        if (this.broken) throw this.broken;
        for (let off = 0; off < buf.length;) off += (await writeAsync(this.fd, buf, off, buf.length - off)).bytesWritten;
        await fdatasyncAsync(this.fd);
        this.size += buf.length;
        this.appendedSinceCompaction = true;
        for (const p of batch) p.resolve();
      } catch (e) {
        const err = e instanceof JournalWriteError || e === this.broken ? (e as Error) : new JournalWriteError(this.file, e as NodeJS.ErrnoException);
        if (err !== this.broken) this.cutBack(err);
        for (const p of batch) p.reject(err);
      }
      if (this.queue.length) this.flush();
      else this.flushing = false;
    });
  }

  /** Removes what a failed batch left behind, so the next batch starts on a line of its own. */
  private cutBack(err: Error): void {
    this.counters.writeErrors++;
    try {
      ftruncateSync(this.fd, this.size);
      this.log.error(`journal: ${err.message}`);
    } catch (e) {
      this.broken = err;
      this.log.error(`journal: ${err.message}; the partial write could not be cut off (${(e as Error).message}): no more appends until a restart repairs the log`);
    }
  }

  private compactDue(): boolean {
    if (!this.snapshot) return false;
    try {
      if (fstatSync(this.fd).nlink === 0) {
        this.log.error(`journal: ${this.file} was deleted while in use; writing the current state to a new file`);
        return true;
      }
    } catch { /* the write that follows reports it */ }
    if (this.size > Math.max(this.opts.compactBytes, 2 * this.sizeAfterCompaction)) return true;
    return this.appendedSinceCompaction && Date.now() - this.lastCompaction > this.opts.compactSeconds * 1000;
  }

  private async compactIfDue(now = false): Promise<void> {
    if (!now && !this.compactDue()) return;
    try {
      await this.compact();
    } catch (e) {
      this.log.error(`journal: compaction failed, the log is kept as it is: ${(e as Error).message}`);
    }
  }

  /** Rewrites the log as one snapshot line per recovery the journal keeps, atomically (write, fsync, rename, fsync dir). */
  private async compact(): Promise<void> {
    const t0 = Date.now();
    const before = this.size;
    const tmp = `${this.file}.compact`;
    const fh = await open(tmp, 'w', 0o600);
    const out = new LineWriter(fh);
    try {
      for (const r of this.snapshot!()) await out.write(JSON.stringify({ id: r.id, at: r.updatedAt, type: 'snapshot', recovery: r }) + '\n');
      await out.flush();
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
    const dfd = openSync(join(this.file, '..'), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
    const replaced = this.fd;
    this.fd = openSync(this.file, 'a', 0o600);
    // The replaced log's last descriptor: the kernel frees the whole old file in close() (~0.1 s for a never-compacted 445 MiB log), so not on the event loop.
    close(replaced, (e) => e && this.log.warn(`journal: closing the replaced log failed: ${e.message}`));
    this.size = this.sizeAfterCompaction = out.bytes;
    this.lastCompaction = Date.now();
    this.appendedSinceCompaction = false;
    this.counters.compactions++;
    this.log.info(`journal: compacted ${this.file}: ${before} -> ${out.bytes} bytes in ${Date.now() - t0} ms`);
  }

  /**
   * Streams the log in bounded chunks: memory follows what the journal keeps,
   * not the file's size. With a `scan`, the first pass reads each line's id,
   * type and status only (LineScanner: no string is built, nothing
   * validated), which is all retention needs; the second reads again, parses
   * and validates in full the lines of the recoveries the journal wants, and
   * those the scanner could not read. A long log is mostly recoveries that
   * compaction drops: they cost a scan, not a parse.
   */
  async load(apply: (e: JournalEvent) => void | Promise<void>, scan?: LoadScan): Promise<void> {
    const fh = await open(this.file, 'r');
    try {
      if (!scan) {
        await eachLine(fh, async (buf, s, e, _offset, n) => {
          if (await this.applyLine(buf.toString('utf8', s, e), n, apply)) this.linesLoaded++;
        });
        return;
      }
      const kept = await this.scanLines(fh, scan);
      await readLines(fh, kept, async (text, i) => {
        const { n, group } = kept.line(i);
        // Counted by the first pass if it could read it: uncounted if it now proves unreadable.
        if (!(await this.applyLine(text, n, apply)) && group !== UNREADABLE) this.linesLoaded--;
      });
    } finally {
      await fh.close();
    }
  }

  /** The first pass: every readable line is seen; returns the lines to apply (the wanted groups' and the unreadable ones). */
  private async scanLines(fh: FileHandle, scan: LoadScan): Promise<LineList> {
    const scanner = new LineScanner();
    const lines = new LineList();
    const sweep = () => lines.filter((group) => group === UNREADABLE || scan.wants(group));
    let sinceSweep = 0;
    await eachLine(fh, (buf, s, e, offset, n, terminated) => {
      let meta: EventMeta | undefined = terminated ? scanner.scan(s, e) : undefined;
      if (!meta) {
        const parsed = parseLine(buf.toString('utf8', s, e));
        if (!parsed.event) {
          lines.add(offset, e - s, n, UNREADABLE);
          return;
        }
        meta = parsed.event;
      }
      this.linesLoaded++;
      const group = scan.see(meta);
      if (group) lines.add(offset, e - s, n, group);
      if (++sinceSweep === 1 << 16) {
        sinceSweep = 0;
        sweep();
      }
    }, (buf) => scanner.use(buf));
    sweep();
    return lines;
  }

  /** Parses and validates one line; an unreadable one is logged with its number and copied to quarantine. Whether it was applied. */
  private async applyLine(text: string, n: number, apply: (e: JournalEvent) => void | Promise<void>): Promise<boolean> {
    const { event, why } = parseLine(text);
    if (!event) {
      this.quarantine({ reason: why, line: n, text });
      this.log.warn(`journal: line ${n} of ${this.file} is unreadable, ${why}; copied to ${this.quarantineFile} and skipped`);
      return false;
    }
    const done = apply(event);
    if (done) await done;
    return true;
  }

  /** After load (before anything is appended): the journal's state is what compaction writes; compact now if the log holds more. */
  async attach(snapshot: () => Recovery[]): Promise<void> {
    this.snapshot = snapshot;
    if (this.linesLoaded > snapshot().length) await this.compactIfDue(true);
  }

  async keepRejected(entry: RejectedEntry): Promise<string> {
    await this.rejected.keep(entry);
    return 'rejected.jsonl';
  }

  stats(): Record<string, number> {
    return {
      journal_bytes: this.size, journal_compactions_total: this.counters.compactions,
      journal_quarantined_lines_total: this.counters.quarantined, journal_write_errors_total: this.counters.writeErrors,
      rejected_payloads_kept_total: this.rejected.kept, rejected_payload_bytes_total: this.rejected.keptBytes,
      rejected_rotations_total: this.rejected.rotations,
    };
  }

  async close(): Promise<void> {
    while (this.flushing || this.queue.length) await new Promise((r) => setTimeout(r, 5));
    await this.rejected.close();
    closeSync(this.fd);
  }
}

/** The line group of lines no scan could read (a scan's groups start at 1): read again, to be quarantined in order. */
const UNREADABLE = 0;

/** One line as the journal reads it: the event, or why it is not one. */
function parseLine(text: string): { event: JournalEvent; why?: undefined } | { event?: undefined; why: string } {
  try {
    const parsed = JournalEventSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { event: parsed.data };
    return { why: `not a journal event (${parsed.error.issues[0]?.path.join('.') || 'type'}: ${parsed.error.issues[0]?.message})` };
  } catch (e) {
    return { why: `not JSON (${(e as Error).message})` };
  }
}

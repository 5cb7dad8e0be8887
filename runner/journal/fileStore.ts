// The default journal: one append-only JSON-lines file per recovery, each
// append fsync'd before the caller goes on. Plain files instead of SQLite:
// no native module to build on the front-end, a crash can at worst tear the
// last line (ignored on load), and an operator can read a flow with `jq`.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { applyEvent, JournalEventSchema, type JournalEvent, type Recovery } from './events';
import type { JournalStore } from './store';

const SAFE_ID = /^[A-Za-z0-9_-]+$/;

export class FileJournalStore implements JournalStore {
  readonly kind = 'file';
  private readonly dir: string;
  private readonly fds = new Map<string, number>();

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'journal');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  async append(event: JournalEvent): Promise<void> {
    if (!SAFE_ID.test(event.id)) throw new Error(`bad recovery id ${event.id}`);
    let fd = this.fds.get(event.id);
    if (fd === undefined) {
      fd = openSync(join(this.dir, `${event.id}.jsonl`), 'a', 0o600);
      this.fds.set(event.id, fd);
    }
    writeSync(fd, JSON.stringify(event) + '\n');
    fsyncSync(fd);
  }

  /** Closes the file of a finished recovery (appends reopen it). */
  release(id: string): void {
    const fd = this.fds.get(id);
    if (fd !== undefined) {
      closeSync(fd);
      this.fds.delete(id);
    }
  }

  async loadAll(): Promise<Recovery[]> {
    const out: Recovery[] = [];
    for (const f of readdirSync(this.dir).filter((n) => n.endsWith('.jsonl')).sort()) {
      let r: Recovery | undefined;
      const lines = readFileSync(join(this.dir, f), 'utf8').split('\n');
      for (const line of lines) {
        if (!line.trim()) continue;
        let parsed;
        try {
          parsed = JournalEventSchema.safeParse(JSON.parse(line));
        } catch {
          continue; // a torn last line from a crash mid-write
        }
        if (parsed.success) r = applyEvent(r, parsed.data);
      }
      if (r) out.push(r);
    }
    return out;
  }

  async close(): Promise<void> {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
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

// Payloads the runner rejected (malformed hook input) are kept, never
// dropped silently, but not in memory and not in the journal that is loaded
// at every start: they go to rejected.jsonl, one JSON line each. When that
// file passes its bounds (count or bytes) it is rotated to rejected.1.jsonl,
// replacing the previous generation, so at most twice the bounds are on disk.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

export interface RejectedBounds {
  /** Payloads in the current file before it is rotated. */
  maxCount: number;
  /** Bytes in the current file before it is rotated. */
  maxBytes: number;
}

export interface RejectedEntry {
  id: string;
  at: number;
  reason: string;
  payload: string;
}

export class RejectedPayloads {
  readonly file: string;
  readonly rotated: string;
  private count = 0;
  private bytes = 0;
  /** Since start, for /metrics. */
  kept = 0;
  keptBytes = 0;
  rotations = 0;

  constructor(dir: string, private readonly bounds: RejectedBounds) {
    this.file = join(dir, 'rejected.jsonl');
    this.rotated = join(dir, 'rejected.1.jsonl');
    if (existsSync(this.file)) {
      this.bytes = statSync(this.file).size;
      this.count = countLines(this.file);
    }
  }

  private chain: Promise<void> = Promise.resolve();

  /** Durable when it resolves (the journal's rejected status is written only after it); one write at a time, off the event loop. */
  keep(entry: RejectedEntry): Promise<void> {
    const next = this.chain.catch(() => {}).then(() => this.write(Buffer.from(JSON.stringify(entry) + '\n')));
    this.chain = next;
    return next;
  }

  private async write(line: Buffer): Promise<void> {
    if (this.count && (this.count + 1 > this.bounds.maxCount || this.bytes + line.length > this.bounds.maxBytes)) {
      await rename(this.file, this.rotated);
      this.count = 0;
      this.bytes = 0;
      this.rotations++;
    }
    const fh = await open(this.file, 'a', 0o600);
    try {
      await fh.appendFile(line);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    this.count++;
    this.bytes += line.length;
    this.kept++;
    this.keptBytes += line.length;
  }

  async close(): Promise<void> {
    await this.chain.catch(() => {});
  }
}

/** Newlines in a file, read in chunks (the file may be large; never one string). */
function countLines(file: string): number {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let n = 0;
  try {
    for (let got; (got = readSync(fd, buf, 0, buf.length, null)) > 0;) {
      for (let i = buf.indexOf(10, 0); i >= 0 && i < got; i = buf.indexOf(10, i + 1)) n++;
    }
  } finally {
    closeSync(fd);
  }
  return n;
}

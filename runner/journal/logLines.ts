// Reading the journal's log as lines of bytes, in bounded memory: two chunks
// at a time (or the longest line), and lines kept for a second reading as
// numbers in typed arrays rather than as strings or objects (a long log has
// hundreds of thousands of lines; per-line objects would be garbage that
// grows the heap for nothing).
import type { FileHandle } from 'node:fs/promises';

/** Bytes read or written at a time. */
const CHUNK = 1 << 20;
/** Bytes read at a time when going through the whole log (fewer, larger reads). */
const SCAN_CHUNK = 4 << 20;

/**
 * Calls `onLine` for each line of the file, in order, with its bytes
 * [s, e) in `buf` (without its newline, or the carriage return before it),
 * its offset in the file and its number (from 1; empty lines are counted,
 * not passed). `terminated` is false for a last line without a newline.
 * `onChunk` is told each time `buf` changes. Two buffers of `chunk` bytes
 * (or of the longest line) take turns: the next part of the file is read
 * into one while the lines of the other are passed on, so on a machine with
 * a spare core the read costs no time.
 */
export async function eachLine(
  fh: FileHandle,
  onLine: (buf: Buffer, s: number, e: number, offset: number, n: number, terminated: boolean) => unknown,
  onChunk: (buf: Buffer) => void = () => {},
  chunk = SCAN_CHUNK,
): Promise<void> {
  let buf = Buffer.allocUnsafe(chunk);
  let spare = Buffer.allocUnsafe(chunk);
  /** Where buf[0] is in the file. */
  let bufOffset = 0;
  let end = (await fh.read(buf, 0, buf.length, 0)).bytesRead;
  let atEnd = end === 0;
  let n = 0;
  for (;;) {
    // Whole lines end at the last newline; the bytes after it start the spare buffer, which the next read fills meanwhile.
    const whole = end > 0 ? buf.lastIndexOf(10, end - 1) + 1 : 0;
    const carry = end - whole;
    let next: Promise<{ bytesRead: number }> | undefined;
    if (!atEnd) {
      // A line longer than the spare buffer: a bigger one, so the read makes room for its end.
      if (spare.length <= carry) spare = Buffer.allocUnsafe(Math.max(2 * carry, chunk));
      buf.copy(spare, 0, whole, end);
      next = fh.read(spare, carry, spare.length - carry, bufOffset + end);
    }
    onChunk(buf);
    let s = 0;
    for (let nl = buf.indexOf(10, s); nl >= 0 && nl < whole; nl = buf.indexOf(10, s)) {
      n++;
      const e = nl > s && buf[nl - 1] === 13 ? nl - 1 : nl;
      if (e > s) {
        const done = onLine(buf, s, e, bufOffset + s, n, true);
        if (done instanceof Promise) await done;
      }
      s = nl + 1;
    }
    if (atEnd) {
      if (end > whole) {
        const e = buf[end - 1] === 13 ? end - 1 : end;
        const done = onLine(buf, whole, e, bufOffset + whole, n + 1, false);
        if (done instanceof Promise) await done;
      }
      return;
    }
    const { bytesRead } = await next!;
    [buf, spare] = [spare, buf];
    bufOffset += whole;
    end = carry + bytesRead;
    atEnd = bytesRead === 0;
  }
}

/**
 * Lines to read again, in file order: each with its offset, length, number
 * and the group it belongs to (a recovery, numbered by the caller); groups
 * found no longer needed are dropped with all their lines.
 */
export class LineList {
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private numbers = new Uint32Array(1024);
  private groups = new Uint32Array(1024);
  size = 0;

  add(offset: number, length: number, n: number, group: number): void {
    if (this.size === this.offsets.length) this.grow();
    this.offsets[this.size] = offset;
    this.lengths[this.size] = length;
    this.numbers[this.size] = n;
    this.groups[this.size] = group;
    this.size++;
  }

  /** Keeps only the lines of the groups `keep` says yes to, in order. */
  filter(keep: (group: number) => boolean): void {
    let to = 0;
    for (let i = 0; i < this.size; i++) {
      if (!keep(this.groups[i])) continue;
      this.offsets[to] = this.offsets[i];
      this.lengths[to] = this.lengths[i];
      this.numbers[to] = this.numbers[i];
      this.groups[to] = this.groups[i];
      to++;
    }
    this.size = to;
  }

  line(i: number): { offset: number; length: number; n: number; group: number } {
    return { offset: this.offsets[i], length: this.lengths[i], n: this.numbers[i], group: this.groups[i] };
  }

  /** The end of line `i` (offset + length). */
  end(i: number): number {
    return this.offsets[i] + this.lengths[i];
  }

  private grow(): void {
    const more = <T extends Float64Array | Uint32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    this.offsets = more(this.offsets);
    this.lengths = more(this.lengths);
    this.numbers = more(this.numbers);
    this.groups = more(this.groups);
  }
}

/**
 * Reads the lines of `list` one by one (nearby ones in one read, up to a
 * chunk; a lone line alone) and calls `onLine` with each line's text.
 */
export async function readLines(fh: FileHandle, list: LineList, onLine: (text: string, i: number) => unknown): Promise<void> {
  let buf = Buffer.allocUnsafe(CHUNK);
  let bufStart = 0;
  let bufEnd = 0;
  for (let i = 0; i < list.size; i++) {
    const { offset, length } = list.line(i);
    if (offset < bufStart || offset + length > bufEnd) {
      let until = offset + length;
      for (let j = i + 1; j < list.size && list.end(j) - offset <= CHUNK; j++) until = list.end(j);
      if (until - offset > buf.length) buf = Buffer.allocUnsafe(until - offset);
      const { bytesRead } = await fh.read(buf, 0, until - offset, offset);
      bufStart = offset;
      bufEnd = offset + bytesRead;
    }
    const s = offset - bufStart;
    const done = onLine(buf.toString('utf8', s, s + length), i);
    if (done instanceof Promise) await done;
  }
}

/** Writes lines through one chunk-sized buffer (no string joined, no buffer per line). */
export class LineWriter {
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  bytes = 0;

  constructor(private readonly fh: FileHandle) {}

  async write(line: string): Promise<void> {
    // 3 bytes per UTF-16 unit at most: if it might not fit, flush first; a line longer than the buffer goes alone.
    if (this.used + line.length * 3 > this.buf.length) await this.flush();
    if (line.length * 3 > this.buf.length) return this.put(Buffer.from(line));
    this.used += this.buf.write(line, this.used);
  }

  async flush(): Promise<void> {
    await this.put(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  private async put(b: Buffer): Promise<void> {
    for (let off = 0; off < b.length;) off += (await this.fh.write(b, off, b.length - off)).bytesWritten;
    this.bytes += b.length;
  }
}

// eachLine (the journal's first pass reads the log through it) against a
// plain split of the same bytes, with chunks far smaller than the lines so
// that every way a line can straddle the two buffers, or outgrow them, is
// met: lines longer than a chunk, CRLF, blank lines, a last line with or
// without its newline, an empty file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eachLine } from '../../runner/journal/logLines';
import { prng } from '../security/fuzzCorpus';

type Seen = [text: string, offset: number, n: number, terminated: boolean];

/** What eachLine must pass on for `text`, from a split on newlines. */
function expected(text: string): Seen[] {
  const out: Seen[] = [];
  const parts = text.split('\n');
  let offset = 0;
  parts.forEach((part, i) => {
    const terminated = i < parts.length - 1;
    const line = part.endsWith('\r') ? part.slice(0, -1) : part;
    if (line.length || (!terminated && part.length)) out.push([line, offset, i + 1, terminated]);
    offset += part.length + 1;
  });
  return out;
}

async function seen(text: string, chunk: number): Promise<Seen[]> {
  const file = join(mkdtempSync(join(tmpdir(), 'oneha-lines-')), 'log');
  writeFileSync(file, text, 'latin1');
  const fh = await open(file, 'r');
  const out: Seen[] = [];
  try {
    await eachLine(fh, (buf, s, e, offset, n, terminated) => void out.push([buf.toString('latin1', s, e), offset, n, terminated]), undefined, chunk);
  } finally {
    await fh.close();
  }
  return out;
}

describe('eachLine: the log read in two alternating chunks gives the lines a plain split gives', () => {
  it('an empty file, a lone newline, a line without its newline', async () => {
    for (const text of ['', '\n', 'abc', 'abc\r\n', '\r\n\r\n', 'a\nb']) expect(await seen(text, 4), JSON.stringify(text)).toEqual(expected(text));
  });

  for (let round = 0; round < 8; round++) {
    it(`random lines, chunk ${4 << round} bytes`, async () => {
      const rnd = prng(20261127 + round);
      const lines = Array.from({ length: 200 }, () => {
        const len = rnd() < 0.1 ? Math.floor(rnd() * 2000) : Math.floor(rnd() * 40);
        const body = Array.from({ length: len }, () => String.fromCharCode(0x20 + Math.floor(rnd() * 90))).join('');
        return rnd() < 0.1 ? `${body}\r` : body;
      });
      const text = lines.join('\n') + (rnd() < 0.5 ? '\n' : '');
      expect(await seen(text, 4 << round)).toEqual(expected(text));
    });
  }
});

// The runner's stdout log sink: one write per turn of the event loop, lines
// in order, nothing pending lost at exit.
import { describe, expect, it } from 'vitest';
import { batchedSink } from '../../runner/log';

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('batchedSink', () => {
  it('writes what one turn logged in one write, in order, and starts again for the next turn', async () => {
    const writes: string[] = [];
    const sink = batchedSink((t) => writes.push(t), () => undefined);
    sink.write('a\n');
    sink.write('b\n');
    sink.write('c\n');
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual(['a\nb\nc\n']);
    sink.write('d\n');
    await turn();
    await turn();
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('writes what is pending when the process exits', () => {
    const writes: string[] = [];
    let atExit = () => undefined as void;
    const sink = batchedSink((t) => writes.push(t), (f) => (atExit = f));
    sink.write('last words\n');
    atExit();
    expect(writes).toEqual(['last words\n']);
    atExit();
    expect(writes).toEqual(['last words\n']);
  });
});

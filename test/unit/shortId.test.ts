import { describe, expect, it } from 'vitest';
import { shortIds } from '../../model/shortId';
import { newRecoveryId } from '../../runner/journal/journal';

describe('short ids (as git prints commits)', () => {
  it('each id gets its shortest start no other id shares, at least 7 characters', () => {
    const ids = ['rmwz1la97-b29e966a', 'rmwz1la97-b2ffffff', 'rmwz1lb00-00000000', 'rn000000-11111111'];
    const short = shortIds(ids);
    expect(ids.map(short)).toEqual(['rmwz1la97-b29', 'rmwz1la97-b2f', 'rmwz1lb', 'rn00000']);
    // every short id names exactly one id, the one it came from
    for (const id of ids) expect(ids.filter((x) => x.startsWith(short(id)))).toEqual([id]);
  });

  it('an id that is not among them is printed whole; duplicates do not lengthen each other', () => {
    const short = shortIds(['rmwz1la97-b29e966a', 'rmwz1la97-b29e966a']);
    expect(short('rmwz1la97-b29e966a')).toBe('rmwz1la');
    expect(short('other')).toBe('other');
  });

  it('recovery ids made in the same millisecond still get unique short ids', () => {
    const ids = Array.from({ length: 200 }, () => newRecoveryId(1_795_000_000_000));
    const short = shortIds(ids);
    expect(new Set(ids.map(short)).size).toBe(200);
    for (const id of ids) expect(ids.filter((x) => x.startsWith(short(id)))).toEqual([id]);
  });
});

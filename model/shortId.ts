// Short ids, as git prints commits: the shortest start of each id that no
// other known id shares, never shorter than `min`. Any command that takes an
// id takes such a start (runner/cli/runnerClient.ts resolveRecovery), so what
// a table prints can be typed back.

const commonPrefix = (a: string, b: string) => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

/** For every id of `ids`, its shortest unique start (at least `min` characters); an id not among them is returned whole. */
export function shortIds(ids: Iterable<string>, min = 7): (id: string) => string {
  const sorted = [...new Set(ids)].sort();
  const short = new Map<string, string>();
  // In sorted order the ids sharing the longest start with an id are its neighbours.
  sorted.forEach((id, i) => {
    const shared = Math.max(i > 0 ? commonPrefix(id, sorted[i - 1]) : 0, i + 1 < sorted.length ? commonPrefix(id, sorted[i + 1]) : 0);
    short.set(id, id.slice(0, Math.max(min, shared + 1)));
  });
  return (id) => short.get(id) ?? id;
}

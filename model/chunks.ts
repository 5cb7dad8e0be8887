// Splitting a list into calls of at most `size` items (one.vmpool.infoset
// takes a bounded id list: inventory, carry-out's re-read and verify).
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

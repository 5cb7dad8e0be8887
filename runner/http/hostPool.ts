// oned's host pool as the API reads it. One hostpool call serves every
// request arriving while it runs and for a moment after (several consoles
// open, a burst of refreshes during a recovery): with thousands of hosts the
// reply is megabytes of XML. Reads are kept per oned session: the runner's
// own, and each non-administrator's (who read as themselves, so oned's ACLs
// decide what they see).
import type { Host } from '../../model/one';
import type { RunnerContext } from '../context';

/** How long one hostpool reply serves further reads. */
const POOL_TTL_MS = 2000;

export interface HostPoolReader {
  /** The pool as `session` sees it (undefined: the runner's own session). */
  read(session?: string): Promise<Host[]>;
  /** After a write: the next read asks oned again. */
  invalidate(): void;
}

function createReader(ctx: RunnerContext): HostPoolReader {
  const pools = new Map<string, { done: number; hosts: Promise<Host[]> }>();
  return {
    read(session) {
      const key = session ?? '';
      const pool = pools.get(key);
      if (pool && ctx.clock.now() - pool.done < POOL_TTL_MS) return pool.hosts;
      for (const [k, p] of pools) if (ctx.clock.now() - p.done >= POOL_TTL_MS) pools.delete(k); // no stale replies pile up
      const entry = { done: Infinity, hosts: (session ? ctx.one.as(session) : ctx.one).hostPoolInfo() };
      pools.set(key, entry);
      entry.hosts.then(() => (entry.done = ctx.clock.now()), () => pools.get(key) === entry && pools.delete(key));
      return entry.hosts;
    },
    invalidate: () => pools.clear(),
  };
}

const readers = new WeakMap<RunnerContext, HostPoolReader>();
export function hostPoolFor(ctx: RunnerContext): HostPoolReader {
  let r = readers.get(ctx);
  if (!r) readers.set(ctx, (r = createReader(ctx)));
  return r;
}

// oned's host pool as the API reads it. One hostpool call serves every
// request arriving while it runs and for a moment after (several consoles
// open, a burst of refreshes during a recovery): with thousands of hosts the
// reply is megabytes of XML. Reads are kept per oned session: the runner's
// own, and each non-administrator's (who read as themselves, so oned's ACLs
// decide what they see). With a slow oned a read does not wait on it: once a
// pool was read, a read that finds it older than FRESH_MS asks oned again
// and answers the pool it has if oned takes longer than WAIT_MS (its age is
// in the response's Age header).
import type { Host } from '../../model/one';
import type { RunnerContext } from '../context';

/** How long one hostpool reply serves further reads as it is. */
const FRESH_MS = 2000;
/** With an older reply to show, how long a read waits for oned's new one. */
const WAIT_MS = 250;
/** Replies older than this are dropped (no stale pools pile up per session). */
const KEEP_MS = 10 * 60_000;

export interface HostPoolReader {
  /** The pool as `session` sees it (undefined: the runner's own session). */
  read(session?: string): Promise<Host[]>;
  /** Seconds since the reply `read(session)` answers last was received from oned. */
  ageSeconds(session?: string): number;
  /** After a write: the next read asks oned again. */
  invalidate(): void;
}

interface Entry {
  reply?: { hosts: Host[]; at: number };
  pending?: Promise<Host[]>;
}

function createReader(ctx: RunnerContext): HostPoolReader {
  const pools = new Map<string, Entry>();
  const now = () => ctx.clock.now();
  const refresh = (e: Entry, session?: string) => {
    const pending = (session ? ctx.one.as(session) : ctx.one).hostPoolInfo().then(
      (hosts) => {
        if (e.pending === pending) e.reply = { hosts, at: now() };
        return hosts;
      },
    ).finally(() => {
      if (e.pending === pending) e.pending = undefined;
    });
    e.pending = pending;
    return pending;
  };
  return {
    read(session) {
      const key = session ?? '';
      for (const [k, p] of pools) if (!p.pending && (!p.reply || now() - p.reply.at >= KEEP_MS)) pools.delete(k);
      let e = pools.get(key);
      if (!e) pools.set(key, (e = {}));
      const { reply } = e;
      if (reply && now() - reply.at < FRESH_MS) return Promise.resolve(reply.hosts);
      const fresh = e.pending ?? refresh(e, session);
      if (!reply) return fresh;
      // oned's errors are answered as they are; only its slowness is covered by the older pool.
      return Promise.race([fresh, ctx.clock.sleep(WAIT_MS).then(() => e.reply?.hosts ?? fresh)]);
    },
    ageSeconds(session) {
      const reply = pools.get(session ?? '')?.reply;
      return reply ? Math.max(0, Math.floor((now() - reply.at) / 1000)) : 0;
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

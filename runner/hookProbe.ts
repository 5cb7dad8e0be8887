// The hook probe: proof that oned's hook manager reaches this runner now,
// without a failure. oneha installs, beside its HOST ERROR hook, an API hook
// on one.hook.update (deploy/onehook/probe.hook) that runs the same
// oneha/onehook.sh with $API. The runner updates that hook with a nonce
// (ONEHA_PROBE = "<nonce>", merged); oned emits the API event, the hook
// manager runs onehook.sh, which posts the call's CALL_INFO to
// POST /v1/hooks/probe; the runner recognises its nonce and notes when it
// came back. Nothing else happens: no journal entry, no recovery. Any other
// one.hook.update (an operator editing a hook) runs the probe hook too, and
// is ignored.
//
// Probes are sent by the background readiness computation only, at most one
// per readiness.probeIntervalSeconds, and waited for on the runner's clock.
import { randomBytes } from 'node:crypto';
import { describeError } from '../model/errors';
import { parseCallInfo } from '../model/oneXml';
import type { Clock } from '../model/ports';

export const PROBE_ATTRIBUTE = 'ONEHA_PROBE';
const NONCE = /\bONEHA_PROBE\s*=\s*"?([0-9a-f]{32})"?/;
/** Probes still awaited: a late one still counts, an old one is forgotten. */
const KEEP = 8;

export interface ProbeFacts {
  /** The newest probe sent through hook `hookId`, and why oned refused it, if it did. */
  sent?: { nonce: string; at: number; hookId: number; error?: string };
  /** The newest probe that came back (by when it was sent). */
  returned?: { nonce: string; sentAt: number; at: number };
  /** Probes sent and not come back (the last few), newest first. */
  unanswered: string[];
}

export type ProbeReceipt =
  | { matched: true; sentAt: number; returnedAt: number }
  | { matched: false; reason: string };

export interface ProbeSender {
  hookUpdate(id: number, template: string, merge: boolean): Promise<unknown>;
}

export class HookProbe {
  private readonly pending = new Map<string, { at: number; arrived: () => void; back: Promise<void> }>();
  private sent?: ProbeFacts['sent'];
  private returned?: ProbeFacts['returned'];

  constructor(private readonly clock: Clock) {}

  facts(): ProbeFacts {
    return {
      ...(this.sent ? { sent: { ...this.sent } } : {}), ...(this.returned ? { returned: { ...this.returned } } : {}),
      unanswered: [...this.pending.keys()].reverse(),
    };
  }

  /**
   * Sends a probe through hook `hookId` unless one went out less than
   * `minIntervalMs` ago, then waits until the newest probe came back or
   * `timeoutMs` after it was sent (or `signal` aborts). Never throws: oned
   * refusing the update is a fact for the readiness part.
   */
  async run(one: ProbeSender, hookId: number, o: { minIntervalMs: number; timeoutMs: number }, signal?: AbortSignal): Promise<ProbeFacts> {
    const now = this.clock.now();
    if (!this.sent || this.sent.hookId !== hookId || now - this.sent.at >= o.minIntervalMs) await this.send(one, hookId, now);
    const newest = this.sent && !this.sent.error ? this.pending.get(this.sent.nonce) : undefined;
    const left = newest ? newest.at + o.timeoutMs - this.clock.now() : 0;
    if (newest && left > 0 && !signal?.aborted) {
      const stop = new AbortController();
      const abort = () => stop.abort();
      signal?.addEventListener('abort', abort, { once: true });
      await Promise.race([newest.back, this.clock.sleep(left, stop.signal)]);
      stop.abort(); // ends the sleep's timer when the probe came back first
      signal?.removeEventListener('abort', abort);
    }
    return this.facts();
  }

  private async send(one: ProbeSender, hookId: number, at: number): Promise<void> {
    const nonce = randomBytes(16).toString('hex');
    let arrived = () => {};
    const back = new Promise<void>((resolve) => (arrived = resolve));
    // Noted before the call: oned runs the hook as it answers, and the probe may be back first.
    this.pending.set(nonce, { at, arrived, back });
    for (const old of this.pending.keys()) if (this.pending.size > KEEP) this.pending.delete(old);
    this.sent = { nonce, at, hookId };
    try {
      await one.hookUpdate(hookId, `${PROBE_ATTRIBUTE} = "${nonce}"`, true);
    } catch (e) {
      this.pending.delete(nonce);
      if (this.sent.nonce === nonce) this.sent = { ...this.sent, error: describeError(e) };
    }
  }

  /**
   * What the probe hook posted: the base64 CALL_INFO of a one.hook.update
   * (its first word). Throws on a body that is not one (the route answers
   * 400 and the hook's record shows onehook.sh's exit 3).
   */
  receive(body: string): ProbeReceipt {
    const word = body.trim().split(/\s+/)[0] ?? '';
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(word)) throw new Error('the probe payload is not the base64 of an API hook\'s $API (CALL_INFO)');
    const info = parseCallInfo(Buffer.from(word, 'base64').toString('utf8'));
    // one.hook.update(session, id, template, type): IN 3 is the template text.
    const nonce = NONCE.exec(info.in[2] ?? '')?.[1];
    if (!nonce) return { matched: false, reason: 'not a probe: the call carries no ONEHA_PROBE (another one.hook.update runs the probe hook too)' };
    const p = this.pending.get(nonce);
    if (!p) return { matched: false, reason: 'not a probe this runner is waiting for (sent by another runner, already received, or older than the last 8)' };
    this.pending.delete(nonce);
    const returnedAt = this.clock.now();
    if (!this.returned || p.at >= this.returned.sentAt) this.returned = { nonce, sentAt: p.at, at: returnedAt };
    p.arrived();
    return { matched: true, sentAt: p.at, returnedAt };
  }
}

const probes = new WeakMap<object, HookProbe>();
/** One probe state per runner (its context), shared by the readiness computation and the hook route. */
export function probeFor(owner: object, clock: Clock): HookProbe {
  let p = probes.get(owner);
  if (!p) probes.set(owner, (p = new HookProbe(clock)));
  return p;
}

// Sign-in back-off, per user name and per source address, decided before
// oned is asked: a password guesser gets 429 + Retry-After and never reaches
// oned. After `freeFailures` wrong passwords a key is locked for baseSeconds,
// doubling with each further failure up to maxSeconds; a success clears the
// user's key. Attempts still waiting for oned count as failures, so a burst of
// parallel guesses cannot slip through before the first answer.

export interface ThrottleSettings {
  freeFailures: number;
  baseSeconds: number;
  maxSeconds: number;
}

interface Entry {
  failures: number;
  pending: number;
  lockedUntil: number;
  lastAt: number;
}

export class SignInThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly settings: ThrottleSettings,
    private readonly now: () => number = Date.now,
    /** Keys kept at most (oldest dropped first), so a flood of names cannot exhaust memory. */
    private readonly maxKeys = 50_000,
  ) {}

  static keys(user: string, source: string): string[] {
    return [`user:${user.toLowerCase()}`, `source:${source}`];
  }

  /** Seconds to wait before trying again, or 0 when the attempt may go to oned (then it is pending). */
  begin(keys: readonly string[]): number {
    const now = this.now();
    let wait = 0;
    for (const k of keys) {
      const e = this.entry(k, now, false);
      if (!e) continue;
      if (e.lockedUntil > now) wait = Math.max(wait, e.lockedUntil - now);
      else if (e.failures + e.pending >= this.settings.freeFailures) wait = Math.max(wait, this.lockFor(e.failures + e.pending));
    }
    if (wait > 0) return Math.ceil(wait / 1000);
    for (const k of keys) this.entry(k, now, true)!.pending++;
    return 0;
  }

  /** oned said no: count it and lock once past the free failures. */
  failed(keys: readonly string[]): void {
    const now = this.now();
    for (const k of keys) {
      const e = this.entry(k, now, true)!;
      e.pending = Math.max(0, e.pending - 1);
      e.failures++;
      e.lastAt = now;
      if (e.failures >= this.settings.freeFailures) e.lockedUntil = now + this.lockFor(e.failures);
    }
  }

  /** Signed in: the user's failures are forgotten; the source's remain until they age out. */
  succeeded(keys: readonly string[]): void {
    for (const k of keys) {
      const e = this.entries.get(k);
      if (!e) continue;
      e.pending = Math.max(0, e.pending - 1);
      if (k.startsWith('user:')) this.entries.delete(k);
    }
  }

  /** oned could not answer: the attempt counts neither way. */
  abandoned(keys: readonly string[]): void {
    for (const k of keys) {
      const e = this.entries.get(k);
      if (e) e.pending = Math.max(0, e.pending - 1);
    }
  }

  private lockFor(failures: number): number {
    const n = failures - this.settings.freeFailures;
    return Math.min(this.settings.maxSeconds, this.settings.baseSeconds * 2 ** Math.min(n, 30)) * 1000;
  }

  private entry(k: string, now: number, create: boolean): Entry | undefined {
    let e = this.entries.get(k);
    // Failures age out after the longest lock has passed without a new one.
    if (e && e.pending === 0 && e.lockedUntil <= now && now - e.lastAt > this.settings.maxSeconds * 1000) {
      this.entries.delete(k);
      e = undefined;
    }
    if (!e && create) {
      if (this.entries.size >= this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
      e = { failures: 0, pending: 0, lockedUntil: 0, lastAt: now };
      this.entries.set(k, e);
    }
    return e;
  }
}

// oned as GET /v1/status shows it: the answer of the last probe
// (one.system.version, on the read sockets) and its age. A status read never
// waits on oned: it answers what is known and starts a probe when none is
// under way, so a slow or hung oned shows as an older answer plus a probe
// running for so long, not as a hung request (or fifty of them).
import { describeError } from '../model/errors';

export interface OnedView {
  /** Unknown until the first probe answers. */
  reachable?: boolean;
  version?: string;
  error?: string;
  /** Seconds since the answer shown was received. */
  checkedAgoSeconds?: number;
  /** A probe is under way, for this long (a slow oned shows here first). */
  checkingForSeconds?: number;
}

export class OnedProbe {
  private last?: { reachable: boolean; version?: string; error?: string; at: number };
  private since?: number;

  constructor(private readonly probe: () => Promise<string>, private readonly now: () => number) {}

  /** Starts a probe unless one is under way; resolves when it has answered (or failed). */
  refresh(): Promise<void> {
    this.running ??= (async () => {
      this.since = this.now();
      try {
        this.last = { reachable: true, version: await this.probe(), at: this.now() };
      } catch (e) {
        this.last = { reachable: false, error: describeError(e), at: this.now() };
      } finally {
        this.running = undefined;
        this.since = undefined;
      }
    })();
    return this.running;
  }

  private running?: Promise<void>;

  /** What is known now; asks oned again in the background (one probe at a time). */
  view(): OnedView {
    void this.refresh();
    const secs = (from: number) => Math.round((this.now() - from) / 100) / 10;
    const l = this.last;
    return {
      ...(l ? { reachable: l.reachable, ...(l.version ? { version: l.version } : {}), ...(l.error ? { error: l.error } : {}), checkedAgoSeconds: secs(l.at) } : {}),
      ...(this.since !== undefined ? { checkingForSeconds: secs(this.since) } : {}),
    };
  }
}

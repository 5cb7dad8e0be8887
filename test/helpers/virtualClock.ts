// A clock whose sleeps return at once while time jumps forward, so a
// five-cycle wait replays in milliseconds. Timeline entries fire when
// virtual time passes them, in order.
import type { Clock } from '../../model/ports';

export class VirtualClock implements Clock {
  private t: number;
  private readonly timeline: { at: number; run: () => void | Promise<void>; label: string }[] = [];
  readonly fired: string[] = [];

  constructor(start = 0) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  at(ms: number, label: string, run: () => void | Promise<void>): void {
    this.timeline.push({ at: ms, run, label });
    this.timeline.sort((a, b) => a.at - b.at);
  }
  /** Advance to `to`, firing due timeline entries in order. */
  async advance(to: number): Promise<void> {
    while (this.timeline.length && this.timeline[0].at <= to) {
      const e = this.timeline.shift()!;
      this.t = Math.max(this.t, e.at);
      this.fired.push(`${e.at} ${e.label}`);
      await e.run();
    }
    this.t = Math.max(this.t, to);
  }
  async sleep(ms: number): Promise<void> {
    // Let other work in flight make progress first (real I/O, other workers).
    await new Promise((r) => setImmediate(r));
    await this.advance(this.t + Math.max(0, ms));
  }
}

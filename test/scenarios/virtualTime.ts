// Discrete-event time for the golden scenarios: one clock for the runner
// (flow waits, retries, leader checks, reconciliation) and the simulator
// (scheduler passes, monitoring, boot steps, injected latency). Nothing
// sleeps for real: time jumps to the next timer, but only once the system
// is quiet, i.e. every piece of real work (an XML-RPC call, a journal write,
// a fence command) started so far has finished or is itself waiting on this
// clock. So a 5 × 60 s wait replays in milliseconds, and the order of events
// is the same on every run, however loaded the machine.
import type { Clock } from '../../model/ports';
import type { SimClock, SimTimer } from '../../sim/server';

interface Timer {
  at: number;
  seq: number;
  fn: () => void | Promise<void>;
  cancelled: boolean;
}

/** Turns of the event loop with nothing in flight before time may move (work can resume through setImmediate). */
const QUIET_TURNS = 3;

const turn = () => new Promise<void>((r) => setImmediate(r));

export class VirtualTime implements Clock, SimClock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** Real work that is waiting on this clock and must not count as busy (the simulator's latency). */
  parked: () => number = () => 0;

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void | Promise<void>, ms: number): SimTimer {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: ++this.seq, fn, cancelled: false };
    // Sorted by time, then by creation: timers due together fire in the order they were set.
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1].at > timer.at) i--;
    this.timers.splice(i, 0, timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const abort = () => {
        timer.cancel();
        resolve();
      };
      const timer = this.setTimer(() => {
        signal?.removeEventListener('abort', abort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  /**
   * Real work, one piece at a time in the order asked, the next starting
   * when the last is done or parked on this clock (two flows' oned calls and
   * journal writes never race, so their log lines come in one order); time
   * stands still while a piece runs.
   */
  track<T>(start: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        this.inFlight++;
        start().then(resolve, reject).finally(() => {
          this.inFlight--;
          this.startNext();
        });
      };
      this.waiting.push(run);
      this.startNext();
    });
  }

  private get busy(): boolean {
    return this.inFlight > this.parked();
  }

  private startNext(): boolean {
    if (this.busy || !this.waiting.length) return false;
    this.waiting.shift()!();
    return true;
  }

  /** Resolves once nothing but timers of this clock is pending. */
  async quiet(): Promise<void> {
    for (let calm = 0; calm < QUIET_TURNS;) {
      await turn();
      // A piece that went to wait on this clock (oned's latency) lets the next one start.
      calm = this.busy || this.startNext() ? 0 : calm + 1;
    }
  }

  /**
   * Fires every timer due up to `to` (in order, each after the system went
   * quiet), then sets the time to `to`. `before`: only those due before it.
   */
  async runUntil(to: number, opts: { before?: boolean } = {}): Promise<void> {
    for (;;) {
      await this.quiet();
      this.timers = this.timers.filter((x) => !x.cancelled);
      const next = this.timers[0];
      if (!next || next.at > to || (opts.before && next.at === to)) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      await next.fn();
    }
    this.t = Math.max(this.t, to);
  }

  /** When the next timer is due (undefined: none). */
  nextAt(): number | undefined {
    return this.timers.find((x) => !x.cancelled)?.at;
  }
}

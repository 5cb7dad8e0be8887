// Structured JSON logs, one object per line, with the recovery and host on
// every line of a flow. Known secret values are scrubbed as a last guard.
import { writeSync } from 'node:fs';
import type { Log, LogFields } from '../model/ports';

export interface LogSink {
  write(line: string): void;
}

export class JsonLogger implements Log {
  constructor(
    private readonly sink: LogSink,
    private readonly fields: LogFields = {},
    private readonly secrets: { values(): string[] } = { values: () => [] },
    private readonly now: () => number = Date.now,
  ) {}

  child(fields: LogFields): JsonLogger {
    return new JsonLogger(this.sink, { ...this.fields, ...fields }, this.secrets, this.now);
  }

  private emit(level: string, msg: string, fields?: LogFields) {
    const obj: Record<string, unknown> = { ts: new Date(this.now()).toISOString(), level, msg };
    // A field never overwrites ts, level or msg (a fence attempt has its own "level").
    for (const [k, v] of Object.entries({ ...this.fields, ...fields })) obj[k in obj ? `${k}_` : k] = v;
    let line = JSON.stringify(obj);
    for (const s of this.secrets.values()) if (s && s.length >= 4) line = line.split(s).join('***');
    this.sink.write(line + '\n');
  }
  info(msg: string, fields?: LogFields) { this.emit('info', msg, fields); }
  warn(msg: string, fields?: LogFields) { this.emit('warn', msg, fields); }
  error(msg: string, fields?: LogFields) { this.emit('error', msg, fields); }
}

/**
 * A sink that writes what a turn of the event loop logged in one write, in
 * order, and what is still pending when the process exits. Each write to a
 * pipe (journald's, a parent's) is a system call that wakes the reader, and
 * the runner can lose its CPU to it right there: one write per line took
 * ~0.2 ms of the runner's time per line in a 200 events/s storm (bench
 * hook-ack-latency), two lines per event.
 */
export function batchedSink(write: (text: string) => void, atExit: (flush: () => void) => void = (f) => void process.on('exit', f)): LogSink {
  let pending: string[] = [];
  const flush = () => {
    if (!pending.length) return;
    const text = pending.join('');
    pending = [];
    write(text);
  };
  atExit(flush);
  return {
    write(line) {
      if (!pending.length) setImmediate(flush);
      pending.push(line);
    },
  };
}

export const stdoutSink: LogSink = batchedSink((text) => void process.stdout.write(text));
/**
 * stderr through its descriptor: process.stderr builds a stream on first use,
 * about 1 ms of the drop-in's start (bench startup). A pipe made non-blocking
 * and full (EAGAIN) takes the rest through the stream; a stderr that cannot
 * be written at all (closed) must not stop a recovery.
 */
export const stderrSink: LogSink = {
  write(l) {
    const buf = Buffer.from(l);
    let done = 0;
    try {
      while (done < buf.length) done += writeSync(2, buf, done);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') process.stderr.write(buf.subarray(done));
    }
  },
};

/** host_error.rb-style lines for the foreground drop-in: one decision per line. */
export class TextLogger implements Log {
  constructor(
    private readonly sink: LogSink,
    private readonly fields: LogFields = {},
    private readonly now: () => number = Date.now,
    /** How a time is written (scenario goldens use seconds on the virtual clock). */
    private readonly stamp: (ms: number) => string = (ms) => new Date(ms).toISOString(),
  ) {}
  child(fields: LogFields): TextLogger {
    return new TextLogger(this.sink, { ...this.fields, ...fields }, this.now, this.stamp);
  }
  private emit(level: string, msg: string, fields?: LogFields) {
    const f = { ...this.fields, ...fields };
    const tags = ['hostId', 'vmId'].filter((k) => f[k] !== undefined).map((k) => `${k === 'hostId' ? 'host' : 'vm'}=${f[k]}`).join(' ');
    this.sink.write(`${this.stamp(this.now())} [${level}] ${tags ? tags + ' ' : ''}${msg}\n`);
  }
  info(msg: string, fields?: LogFields) { this.emit('I', msg, fields); }
  warn(msg: string, fields?: LogFields) { this.emit('W', msg, fields); }
  error(msg: string, fields?: LogFields) { this.emit('E', msg, fields); }
}

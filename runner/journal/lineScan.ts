// Reads a journal line's id, type and status straight from its bytes, without
// building the event: at start the file journal runs through the whole log
// this way first, so the lines of recoveries that retention drops (most of a
// long log) are never decoded into objects — the kept ones are, in full, in a
// second pass. A line passes only if JSON.parse and the event schema would
// both accept it: its JSON syntax is checked, and its fields against checks
// compiled from JournalEventSchema itself (never restated here). Whatever the
// scanner is not sure of (a backslash in the line, a construct it does not
// know, a number it cannot judge) it leaves to JSON.parse and zod.
import { JournalEventSchema, RecoveryStatusSchema, type EventMeta, type RecoveryStatus } from './events';

/** What a value must be, compiled from a zod schema. `unsure`: leave the line to zod. */
type Check =
  | { kind: 'string' | 'boolean' | 'unknown' | 'unsure' }
  | { kind: 'number'; int: boolean }
  | { kind: 'words'; words: readonly string[] }
  | { kind: 'object'; keys: readonly string[]; checks: readonly Check[]; requiredMask: number }
  | { kind: 'record'; value: Check }
  | { kind: 'array'; element: Check };

type Def = { type: string; checks?: Array<{ _zod: { def: { check?: string; format?: string } } }>; [k: string]: unknown };
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

/** Compiles the zod constructs the journal's schemas use; any other becomes `unsure`, so a schema change can only make the scan slower, never wrong. */
function compile(schema: unknown): Check {
  const def = defOf(schema);
  const checks = def.checks ?? [];
  switch (def.type) {
    case 'string':
    case 'boolean':
    case 'unknown':
      return checks.length ? { kind: 'unsure' } : { kind: def.type };
    case 'number': {
      const int = checks.length === 1 && checks[0]._zod.def.check === 'number_format' && checks[0]._zod.def.format === 'safeint';
      return checks.length && !int ? { kind: 'unsure' } : { kind: 'number', int };
    }
    case 'enum':
    case 'literal': {
      const words = def.type === 'enum' ? Object.values(def.entries as object) : (def.values as unknown[]);
      return words.every((w) => typeof w === 'string') ? { kind: 'words', words: words as string[] } : { kind: 'unsure' };
    }
    case 'object': {
      const entries = Object.entries(def.shape as Record<string, unknown>);
      if (def.catchall !== undefined || entries.length > 31) return { kind: 'unsure' };
      return {
        kind: 'object',
        keys: entries.map(([k]) => k),
        requiredMask: entries.reduce((m, [, v], k) => (defOf(v).type === 'optional' ? m : m | (1 << k)), 0),
        checks: entries.map(([, v]) => compile(defOf(v).type === 'optional' ? defOf(v).innerType : v)),
      };
    }
    case 'record': {
      const key = defOf(def.keyType);
      return key.type === 'string' && !key.checks?.length ? { kind: 'record', value: compile(def.valueType) } : { kind: 'unsure' };
    }
    case 'array':
      return checks.length ? { kind: 'unsure' } : { kind: 'array', element: compile(def.element) };
    default:
      return { kind: 'unsure' };
  }
}

/** Each event type's check, by type name. */
export const EVENT_CHECKS: ReadonlyMap<string, Check & { kind: 'object' }> = new Map(
  JournalEventSchema._zod.def.options.map((o) => [(defOf((defOf(o).shape as Record<string, unknown>).type).values as string[])[0], compile(o) as Check & { kind: 'object' }]),
);
const TYPES: readonly string[] = [...EVENT_CHECKS.keys()];
const STATUSES: readonly RecoveryStatus[] = RecoveryStatusSchema.options;

/** Whether a check (and all it holds) is one the scanner can judge: a test keeps every event type so. */
export function fullyKnown(c: Check): boolean {
  if (c.kind === 'unsure') return false;
  if (c.kind === 'object') return c.checks.every(fullyKnown);
  if (c.kind === 'record') return fullyKnown(c.value);
  if (c.kind === 'array') return fullyKnown(c.element);
  return true;
}

const MAX_DEPTH = 64;
/** Top-level keys recorded per line; a line with more is left to JSON.parse. */
const MAX_KEYS = 32;
const QUOTE = 0x22, COLON = 0x3a, COMMA = 0x2c;
/**
 * Lines with these bytes go to JSON.parse: a backslash (an escape to decode),
 * and the control characters a damaged line is likely to hold (NUL from a
 * zeroed block, tab, CR), which JSON forbids inside strings. Other control
 * characters are caught in strings of up to SHORT bytes; in longer ones (a
 * payload) they are left to the full read of kept lines.
 */
const AVOID = [0x5c, 0x00, 0x09, 0x0d];
const SHORT = 256;
const OPEN_OBJ = 0x7b, CLOSE_OBJ = 0x7d, OPEN_ARR = 0x5b, CLOSE_ARR = 0x5d;

/**
 * Scans the lines of one buffer in order. Undefined means "not sure": the
 * caller parses that line in full. Nothing is allocated per line but the id
 * (when it differs from the line before's) and the result.
 */
export class LineScanner {
  private buf: Buffer = Buffer.alloc(0);
  /** Where the next of each AVOID byte is, at or after `from` (-1: none): found once per buffer, not once per line. */
  private readonly next = new Float64Array(AVOID.length);
  private from = Infinity;
  private lastId = '';
  private readonly lastIdBytes = Buffer.alloc(64);
  private lastIdLength = -1;
  /** The top-level members of the line last scanned: key start, key end, value start, value end. */
  private readonly members = new Int32Array(MAX_KEYS * 4);
  private memberCount = 0;

  /** Starts on a new buffer (lines are then scanned in increasing order). */
  use(buf: Buffer): void {
    this.buf = buf;
    this.from = Infinity;
  }

  /** The line is [start, end); the byte at `end` must be its newline (or a carriage return before it), so a look one past the end never matches a token. */
  scan(start: number, end: number): EventMeta | undefined {
    if (this.avoidedIn(start, end)) return undefined;
    const b = this.buf;
    this.memberCount = 0;
    const objEnd = this.object(skipWs(b, start, end), end, 0, true);
    if (objEnd < 0 || skipWs(b, objEnd, end) !== end || this.memberCount > MAX_KEYS) return undefined;
    const typeAt = this.member('type');
    const type = typeAt < 0 ? undefined : TYPES[this.wordIndex(this.members[typeAt + 2], TYPES)];
    const check = type === undefined ? undefined : EVENT_CHECKS.get(type);
    if (!check || !this.fitsMembers(check)) return undefined;
    const idAt = this.member('id');
    const id = this.id(this.members[idAt + 2] + 1, this.members[idAt + 3] - 1);
    if (type === 'status') return { id, type, status: this.status(this.member('status')), ...this.payloadRef(this.member('payloadRef')) };
    if (type === 'snapshot') {
      // The status that counts is the recovery's own (the whole recovery was checked above).
      const r = this.member('recovery');
      this.memberCount = 0;
      this.object(this.members[r + 2], end, 1, true);
      return { id, type, recovery: { status: this.status(this.member('status')), ...this.payloadRef(this.member('payloadRef')) } };
    }
    return { id, type: type as Exclude<EventMeta['type'], 'status' | 'snapshot'> };
  }

  /** A status already checked against the enum: the schema's own string, not a new one. */
  private status(at: number): RecoveryStatus {
    return STATUSES[this.wordIndex(this.members[at + 2], STATUSES)];
  }

  private payloadRef(at: number): { payloadRef?: string } {
    return at < 0 ? {} : { payloadRef: this.stringAt(at) };
  }

  /** The recorded member named `key` (its index in `members`; -1: absent). The last one wins, as in JSON.parse. */
  private member(key: string): number {
    for (let m = this.memberCount - 1; m >= 0; m--) if (this.keyIs(m * 4, key)) return m * 4;
    return -1;
  }

  private keyIs(at: number, key: string): boolean {
    const s = this.members[at] + 1;
    if (this.members[at + 1] - 1 - s !== key.length) return false;
    for (let i = 0; i < key.length; i++) if (this.buf[s + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  private stringAt(at: number): string {
    return this.buf.toString('utf8', this.members[at + 2] + 1, this.members[at + 3] - 1);
  }

  /** The recorded members against an object check: every required key there, every known key's value right. */
  private fitsMembers(c: Check & { kind: 'object' }): boolean {
    let seen = 0;
    for (let m = 0; m < this.memberCount; m++) {
      const k = this.keyIndex(m * 4, c.keys);
      if (k < 0) continue;
      seen |= 1 << k;
      if (!this.fits(c.checks[k], this.members[m * 4 + 2], this.members[m * 4 + 3])) return false;
    }
    return (seen & c.requiredMask) === c.requiredMask;
  }

  private keyIndex(at: number, keys: readonly string[]): number {
    for (let k = 0; k < keys.length; k++) if (this.keyIs(at, keys[k])) return k;
    return -1;
  }

  /** Whether the (well-formed) value [p, e) passes the check. */
  private fits(c: Check, p: number, e: number): boolean {
    const b = this.buf;
    switch (c.kind) {
      case 'unknown': return true;
      case 'unsure': return false;
      case 'string': return b[p] === QUOTE;
      case 'boolean': return b[p] === 0x74 || b[p] === 0x66;
      case 'words': return b[p] === QUOTE && this.wordIndex(p, c.words) >= 0;
      case 'number': {
        // Sure only of plain numbers: a safe integer of at most 15 digits, or any number without an exponent short enough to be finite.
        if (b[p] !== 0x2d && (b[p] < 0x30 || b[p] > 0x39)) return false;
        if (c.int) {
          for (let i = b[p] === 0x2d ? p + 1 : p; i < e; i++) if (b[i] < 0x30 || b[i] > 0x39) return false;
          return e - p <= 15;
        }
        for (let i = p; i < e; i++) if (b[i] === 0x65 || b[i] === 0x45) return false;
        return e - p <= 300;
      }
      case 'object': {
        if (b[p] !== OPEN_OBJ) return false;
        let seen = 0;
        const ok = this.eachMember(p, e, (ks, ke, vs, ve) => {
          for (let k = 0; k < c.keys.length; k++) {
            if (!this.rangeIs(ks + 1, ke - 1, c.keys[k])) continue;
            seen |= 1 << k;
            return this.fits(c.checks[k], vs, ve);
          }
          return true;
        });
        return ok && (seen & c.requiredMask) === c.requiredMask;
      }
      case 'record':
        return b[p] === OPEN_OBJ && (c.value.kind === 'unknown' || this.eachMember(p, e, (_ks, _ke, vs, ve) => this.fits(c.value, vs, ve)));
      case 'array': {
        if (b[p] !== OPEN_ARR) return false;
        if (c.element.kind === 'unknown') return true;
        let q = skipWs(b, p + 1, e);
        if (b[q] === CLOSE_ARR) return true;
        for (;;) {
          const ve = this.value(q, e, 1);
          if (!this.fits(c.element, q, ve)) return false;
          q = skipWs(b, ve, e);
          if (b[q] !== COMMA) return true;
          q = skipWs(b, q + 1, e);
        }
      }
    }
  }

  /** Calls `f` with each member of the (well-formed) object at `p`; false as soon as `f` says false. */
  private eachMember(p: number, e: number, f: (ks: number, ke: number, vs: number, ve: number) => boolean): boolean {
    const b = this.buf;
    p = skipWs(b, p + 1, e);
    if (b[p] === CLOSE_OBJ) return true;
    for (;;) {
      const ks = p;
      const ke = this.stringEnd(p, e);
      const vs = skipWs(b, skipWs(b, ke, e) + 1, e);
      const ve = this.value(vs, e, 1);
      if (!f(ks, ke, vs, ve)) return false;
      p = skipWs(b, ve, e);
      if (b[p] !== COMMA) return true;
      p = skipWs(b, p + 1, e);
    }
  }

  /** Which of `words` the string value at `p` is (-1: none, or not a string). */
  private wordIndex(p: number, words: readonly string[]): number {
    if (this.buf[p] !== QUOTE) return -1;
    const e = this.stringEnd(p, Infinity);
    for (let w = 0; w < words.length; w++) if (this.rangeIs(p + 1, e - 1, words[w])) return w;
    return -1;
  }

  /** Whether the bytes [s, e) are exactly `word` (ASCII; a word with other characters never matches, which is only ever unsure). */
  private rangeIs(s: number, e: number, word: string): boolean {
    if (e - s !== word.length) return false;
    for (let i = 0; i < word.length; i++) if (this.buf[s + i] !== word.charCodeAt(i)) return false;
    return true;
  }

  /** The id in [s, e): the previous line's string if the bytes are the same (a recovery's events often follow each other). */
  private id(s: number, e: number): string {
    const b = this.buf;
    const len = e - s;
    if (len === this.lastIdLength) {
      let i = 0;
      while (i < len && b[s + i] === this.lastIdBytes[i]) i++;
      if (i === len) return this.lastId;
    }
    this.lastId = b.toString('utf8', s, e);
    if (len <= this.lastIdBytes.length) {
      b.copy(this.lastIdBytes, 0, s, e);
      this.lastIdLength = len;
    } else this.lastIdLength = -1;
    return this.lastId;
  }

  /** Whether the line holds a byte of AVOID. */
  private avoidedIn(start: number, end: number): boolean {
    const fresh = start < this.from;
    this.from = start;
    for (let i = 0; i < AVOID.length; i++) {
      if (fresh || (this.next[i] >= 0 && this.next[i] < start)) this.next[i] = this.buf.indexOf(AVOID[i], start);
      if (this.next[i] >= 0 && this.next[i] < end) return true;
    }
    return false;
  }

  /** After the object at `p`: where it ends (-1: not an object); with `record`, its members go to `members`. */
  private object(p: number, end: number, depth: number, record: boolean): number {
    const b = this.buf;
    if (b[p] !== OPEN_OBJ) return -1;
    p = skipWs(b, p + 1, end);
    if (b[p] === CLOSE_OBJ) return p + 1;
    for (;;) {
      if (b[p] !== QUOTE) return -1;
      const keyStart = p;
      const keyEnd = this.stringEnd(p, end);
      if (keyEnd < 0) return -1;
      p = skipWs(b, keyEnd, end);
      if (b[p] !== COLON) return -1;
      const vs = skipWs(b, p + 1, end);
      const ve = this.value(vs, end, depth + 1);
      if (ve < 0) return -1;
      if (record) {
        const m = this.memberCount++ * 4;
        if (m < this.members.length) {
          this.members[m] = keyStart;
          this.members[m + 1] = keyEnd;
          this.members[m + 2] = vs;
          this.members[m + 3] = ve;
        }
      }
      p = skipWs(b, ve, end);
      if (b[p] === COMMA) {
        p = skipWs(b, p + 1, end);
        continue;
      }
      return b[p] === CLOSE_OBJ ? p + 1 : -1;
    }
  }

  /** After a string starting at `p`: the index after its closing quote (-1: none before `end`). No backslash is in the line. */
  private stringEnd(p: number, end: number): number {
    const b = this.buf;
    // The first bytes one by one (keys, ids, names): a native indexOf call costs more than the loop.
    const near = Math.min(end, p + 33);
    for (let q = p + 1; q < near; q++) {
      if (b[q] === QUOTE) return q + 1;
      if (b[q] < 0x20) return -1;
    }
    if (near === end) return -1;
    const q = b.indexOf(QUOTE, near);
    if (q < 0 || q >= end) return -1;
    // Up to SHORT bytes (a reason), the rest is checked too; a longer string (a payload) is left to the full read.
    if (q - p <= SHORT) for (let i = near; i < q; i++) if (b[i] < 0x20) return -1;
    return q + 1;
  }


  /** After the JSON value at `p`: where it ends (-1: not a value). */
  private value(p: number, end: number, depth: number): number {
    if (depth > MAX_DEPTH) return -1;
    const b = this.buf;
    const c = b[p];
    if (c === QUOTE) return this.stringEnd(p, end);
    if (c === OPEN_OBJ) return this.object(p, end, depth, false);
    if (c === OPEN_ARR) {
      p = skipWs(b, p + 1, end);
      if (b[p] === CLOSE_ARR) return p + 1;
      for (;;) {
        const ve = this.value(p, end, depth + 1);
        if (ve < 0) return -1;
        p = skipWs(b, ve, end);
        if (b[p] === COMMA) p = skipWs(b, p + 1, end);
        else return b[p] === CLOSE_ARR ? p + 1 : -1;
      }
    }
    if (c === 0x74) return literal(b, p, end, 'true');
    if (c === 0x66) return literal(b, p, end, 'false');
    if (c === 0x6e) return literal(b, p, end, 'null');
    return number(b, p, end);
  }
}

function skipWs(b: Buffer, p: number, end: number): number {
  while (p < end && (b[p] === 0x20 || b[p] === 0x09 || b[p] === 0x0d || b[p] === 0x0a)) p++;
  return p;
}

function literal(b: Buffer, p: number, end: number, word: string): number {
  if (p + word.length > end) return -1;
  for (let i = 0; i < word.length; i++) if (b[p + i] !== word.charCodeAt(i)) return -1;
  return p + word.length;
}

/** After the digits at `p` (-1: none). */
function digits(b: Buffer, p: number, end: number): number {
  const s = p;
  while (p < end && b[p] >= 0x30 && b[p] <= 0x39) p++;
  return p > s ? p : -1;
}

/** JSON's number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
function number(b: Buffer, p: number, end: number): number {
  if (b[p] === 0x2d) p++;
  if (b[p] === 0x30) p++;
  else if ((p = digits(b, p, end)) < 0) return -1;
  if (b[p] === 0x2e && (p = digits(b, p + 1, end)) < 0) return -1;
  if (p < end && (b[p] === 0x65 || b[p] === 0x45)) {
    p++;
    if (b[p] === 0x2b || b[p] === 0x2d) p++;
    if ((p = digits(b, p, end)) < 0) return -1;
  }
  return p;
}

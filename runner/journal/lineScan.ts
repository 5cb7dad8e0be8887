// Reads a journal line's id, type and status straight from its bytes, without
// building the event: at start the file journal runs through the whole log
// this way first, so the lines of recoveries that retention drops (most of a
// long log) are never decoded into objects — the kept ones are, in full, in a
// second pass. A line passes only if JSON.parse and the event schema would
// both accept it: its JSON syntax is checked, and its fields against checks
// compiled from JournalEventSchema itself (never restated here). Whatever the
// scanner is not sure of (a backslash in the line, a construct it does not
// know, a number it cannot judge) it leaves to JSON.parse and zod.
import type { EventMeta, RecoveryStatus } from './events';
import { JournalEventSchema, RecoveryStatusSchema } from './eventSchemas';

/** What a value must be, compiled from a zod schema. `unsure`: leave the line to zod. Keys and words are held by their number in WORDS. */
type Check =
  | { kind: 'string' | 'boolean' | 'unknown' | 'unsure' }
  | { kind: 'number'; int: boolean }
  /** `accepts[w]` is 1 for each allowed word w. */
  | { kind: 'words'; accepts: Uint8Array }
  /** `keyIndex[w]`: which of `checks` the key w is held to (-1: a key the schema does not know, which zod ignores). */
  | { kind: 'object'; keyIndex: Int8Array; checks: readonly Check[]; requiredMask: number }
  | { kind: 'record'; value: Check }
  | { kind: 'array'; element: Check };

/** The longest key or word looked up: the scanner hashes a string's first bytes one by one anyway, up to this many. */
const MAX_WORD = 32;
/** Words beyond this many are not numbered: a check naming one cannot be judged (unsure), never misjudged. */
const MAX_WORDS = 256;

/**
 * The keys and words the checks name, each numbered once: a key or a word in
 * a line is found by the hash taken while its string was scanned and one
 * comparison, instead of a comparison with every candidate.
 */
class Words {
  private readonly bytes: Uint8Array[] = [];
  private readonly hashes: number[] = [];
  /** Open addressing: word number + 1 (0: empty). */
  private readonly table = new Int16Array(MAX_WORDS * 4);

  /** The word's number (added if new); -1 if it cannot be numbered (too long, not ASCII, too many words). */
  id(word: string): number {
    const bytes = Buffer.from(word, 'latin1');
    if (bytes.length > MAX_WORD || !/^[\x20-\x7e]*$/.test(word)) return -1;
    const h = hashOf(bytes, 0, bytes.length);
    const found = this.find(bytes, 0, bytes.length, h);
    if (found >= 0 || this.bytes.length === MAX_WORDS) return found;
    let slot = h & (this.table.length - 1);
    while (this.table[slot] !== 0) slot = (slot + 1) & (this.table.length - 1);
    this.table[slot] = this.bytes.push(bytes);
    this.hashes.push(h);
    return this.bytes.length - 1;
  }

  /** The number of the word in b[s, e), whose hash is `h` (-1: not a word numbered here). */
  find(b: Uint8Array, s: number, e: number, h: number): number {
    for (let slot = h & (this.table.length - 1); ; slot = (slot + 1) & (this.table.length - 1)) {
      const w = this.table[slot] - 1;
      if (w < 0) return -1;
      if (this.hashes[w] !== h) continue;
      const word = this.bytes[w];
      if (word.length !== e - s) continue;
      let i = 0;
      while (i < word.length && b[s + i] === word[i]) i++;
      if (i === word.length) return w;
    }
  }
}

/** The hash the scanner takes of a string's bytes as it scans them. */
function hashOf(b: Uint8Array, s: number, e: number): number {
  let h = 0;
  for (let i = s; i < e; i++) h = (Math.imul(h, 31) + b[i]) | 0;
  return h;
}

const WORDS = new Words();

type Def = { type: string; checks?: Array<{ _zod: { def: { check?: string; format?: string } } }>; [k: string]: unknown };
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

/**
 * A check with every field any check has, in one order: all checks then
 * share one hidden class, so the scanner's reads of them stay monomorphic
 * (six shapes made every `c.kind` a megamorphic lookup).
 */
function uniform(c: Check): Check {
  const all = c as Partial<Record<'int' | 'accepts' | 'keyIndex' | 'checks' | 'requiredMask' | 'value' | 'element', unknown>>;
  return {
    kind: c.kind, int: all.int ?? false, accepts: all.accepts ?? null, keyIndex: all.keyIndex ?? null, checks: all.checks ?? null,
    requiredMask: all.requiredMask ?? 0, value: all.value ?? null, element: all.element ?? null,
  } as Check;
}

/** Compiles the zod constructs the journal's schemas use; any other becomes `unsure`, so a schema change can only make the scan slower, never wrong. */
function compile(schema: unknown): Check {
  return uniform(compileOne(schema));
}

function compileOne(schema: unknown): Check {
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
      const ids = words.map((w) => (typeof w === 'string' ? WORDS.id(w) : -1));
      if (ids.some((w) => w < 0)) return { kind: 'unsure' };
      const accepts = new Uint8Array(MAX_WORDS);
      for (const w of ids) accepts[w] = 1;
      return { kind: 'words', accepts };
    }
    case 'object': {
      const entries = Object.entries(def.shape as Record<string, unknown>);
      const ids = entries.map(([k]) => WORDS.id(k));
      if (def.catchall !== undefined || entries.length > 31 || ids.some((w) => w < 0)) return { kind: 'unsure' };
      const keyIndex = new Int8Array(MAX_WORDS).fill(-1);
      ids.forEach((w, k) => (keyIndex[w] = k));
      return {
        kind: 'object',
        keyIndex,
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
/** By word number: the event type it names, and that type's check. */
const TYPE_OF_WORD: Array<EventMeta['type'] | undefined> = [];
const CHECK_OF_WORD: Array<(Check & { kind: 'object' }) | undefined> = [];
for (const [type, check] of EVENT_CHECKS) {
  const w = WORDS.id(type);
  if (w >= 0) [TYPE_OF_WORD[w], CHECK_OF_WORD[w]] = [type as EventMeta['type'], check];
}
/** By word number: the recovery status it names. */
const STATUS_OF_WORD: Array<RecoveryStatus | undefined> = [];
for (const status of RecoveryStatusSchema.options) STATUS_OF_WORD[WORDS.id(status)] = status;
/** The keys the scan reads; all are keys of the event schema, so numbered. */
const KEY = { id: WORDS.id('id'), type: WORDS.id('type'), status: WORDS.id('status'), payloadRef: WORDS.id('payloadRef'), recovery: WORDS.id('recovery') };

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
/**
 * Per recorded member: key start, key end, value start, value end, the key's
 * word number, for a short string value its hash and for a number its
 * NumberShape, and the value's word number once looked up (only for a check
 * that wants a word, or the type and status; UNRESOLVED until then).
 */
const SLOTS = 7;
const UNRESOLVED = -2;
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
const enum NumberShape { integer, fraction, exponent }

/**
 * Scans the lines of one buffer in order. Undefined means "not sure": the
 * caller parses that line in full. Nothing is allocated per line but the id
 * (when it differs from the line before's) and the result.
 */
export class LineScanner {
  private buf: Buffer = Buffer.alloc(0);
  /** Where the next of each AVOID byte is, at or after `from` (-1: none): found once per buffer, not once per line. */
  private readonly next = new Float64Array(AVOID.length);
  /** The first of them (Infinity: none left in the buffer), so most lines cost one comparison. */
  private nearest = Infinity;
  private from = Infinity;
  private readonly ids = new LastString();
  private readonly payloadRefs = new LastString();
  /** The top-level members of the line last scanned, SLOTS numbers each. */
  private readonly members = new Int32Array(MAX_KEYS * SLOTS);
  private memberCount = 0;
  /** The hash of the string stringEnd last passed, if it was at most MAX_WORD bytes long. */
  private hash = 0;
  /** The shape of the number number() last passed. */
  private numberShape: NumberShape = NumberShape.integer;

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
    const typeWord = this.valueWord(this.member(KEY.type));
    const type = typeWord < 0 ? undefined : TYPE_OF_WORD[typeWord];
    const check = typeWord < 0 ? undefined : CHECK_OF_WORD[typeWord];
    if (type === undefined || !check || !this.fitsMembers(check)) return undefined;
    const idAt = this.member(KEY.id);
    const id = this.ids.read(b, this.members[idAt + 2] + 1, this.members[idAt + 3] - 1);
    if (type === 'status') return { id, type, status: this.status(), payloadRef: this.payloadRef() };
    if (type === 'snapshot') {
      // The status that counts is the recovery's own (the whole recovery was checked above).
      const r = this.member(KEY.recovery);
      this.memberCount = 0;
      this.object(this.members[r + 2], end, 1, true);
      return { id, type, recovery: { status: this.status(), payloadRef: this.payloadRef() } };
    }
    return { id, type };
  }

  /** The recorded `status` member's status, already checked against the enum: the schema's own string, not a new one. */
  private status(): RecoveryStatus {
    return STATUS_OF_WORD[this.valueWord(this.member(KEY.status))]!;
  }

  private payloadRef(): string | undefined {
    const at = this.member(KEY.payloadRef);
    return at < 0 ? undefined : this.payloadRefs.read(this.buf, this.members[at + 2] + 1, this.members[at + 3] - 1);
  }

  /** The recorded member whose key is word `key` (its index in `members`; -1: absent). The last one wins, as in JSON.parse. */
  private member(key: number): number {
    for (let m = (this.memberCount - 1) * SLOTS; m >= 0; m -= SLOTS) if (this.members[m + 4] === key) return m;
    return -1;
  }

  /** The recorded member's value's word number (-1: none, or not a string). */
  private valueWord(at: number): number {
    if (at < 0) return -1;
    const m = this.members;
    if (m[at + 6] !== UNRESOLVED) return m[at + 6];
    const vs = m[at + 2], ve = m[at + 3];
    return (m[at + 6] = this.buf[vs] !== QUOTE || ve - vs - 2 > MAX_WORD ? -1 : WORDS.find(this.buf, vs + 1, ve - 1, m[at + 5]));
  }

  /** The recorded members against an object check: every required key there, every known key's value right. */
  private fitsMembers(c: Check & { kind: 'object' }): boolean {
    let seen = 0;
    const m = this.members;
    for (let at = 0; at < this.memberCount * SLOTS; at += SLOTS) {
      const k = m[at + 4] < 0 ? -1 : c.keyIndex[m[at + 4]];
      if (k < 0) continue;
      seen |= 1 << k;
      if (!this.fits(c.checks[k], m[at + 2], m[at + 3], at)) return false;
    }
    return (seen & c.requiredMask) === c.requiredMask;
  }

  /** Whether the (well-formed) value [p, e) passes the check; `member`: where it is recorded in `members` (-1: not recorded). */
  private fits(c: Check, p: number, e: number, member: number): boolean {
    const b = this.buf;
    switch (c.kind) {
      case 'unknown': return true;
      case 'unsure': return false;
      case 'string': return b[p] === QUOTE;
      case 'boolean': return b[p] === 0x74 || b[p] === 0x66;
      case 'words':
        if (b[p] !== QUOTE) return false;
      {
        const word = member >= 0 ? this.valueWord(member) : this.stringEnd(p, e) < 0 ? -1 : this.wordAt(p, e);
        return word >= 0 && c.accepts[word] === 1;
      }
      case 'number': {
        // Sure only of plain numbers: a safe integer of at most 15 digits, or any number without an exponent short enough to be finite.
        if (b[p] !== 0x2d && (b[p] < 0x30 || b[p] > 0x39)) return false;
        if (member >= 0) {
          const shape = this.members[member + 5];
          return c.int ? shape === NumberShape.integer && e - p <= 15 : shape !== NumberShape.exponent && e - p <= 300;
        }
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
        const ok = this.eachMember(p, e, (key, vs, ve) => {
          const k = key < 0 ? -1 : c.keyIndex[key];
          if (k < 0) return true;
          seen |= 1 << k;
          return this.fits(c.checks[k], vs, ve, -1);
        });
        return ok && (seen & c.requiredMask) === c.requiredMask;
      }
      case 'record':
        return b[p] === OPEN_OBJ && (c.value.kind === 'unknown' || this.eachMember(p, e, (_key, vs, ve) => this.fits(c.value, vs, ve, -1)));
      case 'array': {
        if (b[p] !== OPEN_ARR) return false;
        if (c.element.kind === 'unknown') return true;
        let q = skipWs(b, p + 1, e);
        if (b[q] === CLOSE_ARR) return true;
        for (;;) {
          const ve = this.value(q, e, 1);
          if (!this.fits(c.element, q, ve, -1)) return false;
          q = skipWs(b, ve, e);
          if (b[q] !== COMMA) return true;
          q = skipWs(b, q + 1, e);
        }
      }
    }
  }

  /** Calls `f` with each member (its key's word number, its value's bounds) of the (well-formed) object at `p`; false as soon as `f` says false. */
  private eachMember(p: number, e: number, f: (key: number, vs: number, ve: number) => boolean): boolean {
    const b = this.buf;
    p = skipWs(b, p + 1, e);
    if (b[p] === CLOSE_OBJ) return true;
    for (;;) {
      const ke = this.stringEnd(p, e);
      const key = this.wordAt(p, ke);
      const vs = skipWs(b, skipWs(b, ke, e) + 1, e);
      const ve = this.value(vs, e, 1);
      if (!f(key, vs, ve)) return false;
      p = skipWs(b, ve, e);
      if (b[p] !== COMMA) return true;
      p = skipWs(b, p + 1, e);
    }
  }

  /** The word number of the string [p, e) (quotes included) that stringEnd just passed (-1: not a word numbered). */
  private wordAt(p: number, e: number): number {
    return e - p - 2 > MAX_WORD ? -1 : WORDS.find(this.buf, p + 1, e - 1, this.hash);
  }

  /** Whether the line holds a byte of AVOID. */
  private avoidedIn(start: number, end: number): boolean {
    if (start < this.from || this.nearest < start) {
      // A new buffer, or the nearest one passed: look again for those behind `start`.
      const fresh = start < this.from;
      this.nearest = Infinity;
      for (let i = 0; i < AVOID.length; i++) {
        if (fresh || (this.next[i] >= 0 && this.next[i] < start)) this.next[i] = this.buf.indexOf(AVOID[i], start);
        if (this.next[i] >= 0 && this.next[i] < this.nearest) this.nearest = this.next[i];
      }
    }
    this.from = start;
    return this.nearest < end;
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
      const key = record ? this.wordAt(keyStart, keyEnd) : -1;
      p = skipWs(b, keyEnd, end);
      if (b[p] !== COLON) return -1;
      const vs = skipWs(b, p + 1, end);
      const ve = this.value(vs, end, depth + 1);
      if (ve < 0) return -1;
      if (record) {
        const m = this.memberCount++ * SLOTS;
        if (m < this.members.length) {
          this.members[m] = keyStart;
          this.members[m + 1] = keyEnd;
          this.members[m + 2] = vs;
          this.members[m + 3] = ve;
          this.members[m + 4] = key;
          // value() of a string ends in stringEnd, of a number in number(): the hash or the shape is the value's.
          this.members[m + 5] = b[vs] === QUOTE ? this.hash : this.numberShape;
          this.members[m + 6] = UNRESOLVED;
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

  /** After a string starting at `p`: the index after its closing quote (-1: none before `end`). No backslash is in the line. Hashes the first MAX_WORD bytes as it goes (see `hash`). */
  private stringEnd(p: number, end: number): number {
    const b = this.buf;
    // The first bytes one by one (keys, ids, names): a native indexOf call costs more than the loop.
    const near = Math.min(end, p + MAX_WORD + 2);
    let h = 0;
    for (let q = p + 1; q < near; q++) {
      const c = b[q];
      if (c === QUOTE) {
        this.hash = h;
        return q + 1;
      }
      if (c < 0x20) return -1;
      h = (Math.imul(h, 31) + c) | 0;
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
    return this.number(p, end);
  }

  /** After the number at `p` (-1: none); its shape goes to `numberShape`. JSON's number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
  private number(p: number, end: number): number {
    const b = this.buf;
    this.numberShape = NumberShape.integer;
    if (b[p] === 0x2d) p++;
    if (b[p] === 0x30) p++;
    else if ((p = digits(b, p, end)) < 0) return -1;
    if (b[p] === 0x2e) {
      this.numberShape = NumberShape.fraction;
      if ((p = digits(b, p + 1, end)) < 0) return -1;
    }
    if (p < end && (b[p] === 0x65 || b[p] === 0x45)) {
      this.numberShape = NumberShape.exponent;
      p++;
      if (b[p] === 0x2b || b[p] === 0x2d) p++;
      if ((p = digits(b, p, end)) < 0) return -1;
    }
    return p;
  }
}

/**
 * The string last read, with its bytes: the same bytes again give the same
 * string rather than a new one (a recovery's events follow each other, and
 * rejected payloads' statuses name the same file).
 */
class LastString {
  private text = '';
  private readonly bytes = new Uint8Array(64);
  private length = -1;

  read(b: Buffer, s: number, e: number): string {
    const len = e - s;
    if (len === this.length) {
      let i = 0;
      while (i < len && b[s + i] === this.bytes[i]) i++;
      if (i === len) return this.text;
    }
    this.text = b.toString('utf8', s, e);
    // Byte by byte: Buffer#copy's checks cost more than the copy of a short string.
    if (len <= this.bytes.length) for (let i = 0; i < len; i++) this.bytes[i] = b[s + i];
    this.length = len <= this.bytes.length ? len : -1;
    return this.text;
  }
}

/** After the blanks at `p`. Most tokens have none (the runner writes compact JSON): one comparison, small enough to be inlined. */
function skipWs(b: Buffer, p: number, end: number): number {
  return b[p] > 0x20 ? p : skipBlanks(b, p, end);
}

function skipBlanks(b: Buffer, p: number, end: number): number {
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

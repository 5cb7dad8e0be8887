// The simulator's reader of XML-RPC requests. Nearly every request (the
// runner's, the hook's, FireEdge's) is a methodCall of scalar parameters in
// the plain form the `xmlrpc` package writes; those are read with two regular
// expressions. Everything else (arrays, structs, CDATA, base64, dates, HTML
// entities, upper-case tags, comments, malformed XML) goes to the package's
// SAX deserializer, which gives the answer for it as before. On the requests
// the fast form accepts, both readers give the same (test/sim/methodCallReader.test.ts
// compares them on generated requests). Why: the SAX deserializer cost about
// 150 µs of CPU per call, a third of the simulator's per-call work in bench
// recovery-1000, where eight calls are answered in the same millisecond.
import { Readable } from 'node:stream';
import Deserializer from 'xmlrpc/lib/deserializer.js';

export interface MethodCall {
  method: string;
  params: unknown[];
}

const CALL = /^\s*(?:<\?xml[^<>?]*\?>\s*)?<methodCall>\s*<methodName>([^<]*)<\/methodName>\s*(?:<params>([^]*)<\/params>\s*|<params\/>\s*)?<\/methodCall>\s*$/;
const PARAM = /\s*<param>\s*<value>(?:\s*<(string|i4|int|boolean|double|i8)>([^<]*)<\/\1>\s*|\s*<string\/>\s*|([^<]*))<\/value>\s*<\/param>/y;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const I8 = /^-?\d+$/;

/** XML text with the five named entities decoded; undefined for any other "&" (numeric and HTML entities are the SAX reader's). */
function text(s: string): string | undefined {
  if (!s.includes('&')) return s;
  let bad = false;
  const out = s.replace(/&([^;&]*);?/g, (m, name: string) => {
    const c = m.endsWith(';') ? NAMED[name] : undefined;
    if (c === undefined) bad = true;
    return c ?? m;
  });
  return bad ? undefined : out;
}

/** One scalar as the xmlrpc package's deserializer makes it; undefined when that one would fail (it gives the error). */
function scalar(type: string | undefined, raw: string): unknown {
  const t = text(raw);
  if (t === undefined) return undefined;
  switch (type) {
    case undefined:
    case 'string':
      return t;
    case 'i4':
    case 'int': {
      const n = parseInt(t, 10);
      return Number.isNaN(n) ? undefined : n;
    }
    case 'boolean':
      return t === '1' ? true : t === '0' ? false : undefined;
    case 'double': {
      const n = parseFloat(t);
      return Number.isNaN(n) ? undefined : n;
    }
    default: // i8: kept as its text
      return I8.test(t) ? t : undefined;
  }
}

/** The plain form: a method name and scalar parameters. Undefined for anything else. */
export function readPlainMethodCall(body: string): MethodCall | undefined {
  const m = CALL.exec(body);
  if (!m) return undefined;
  const method = text(m[1]);
  if (!method) return undefined;
  const params: unknown[] = [];
  const list = m[2] ?? '';
  PARAM.lastIndex = 0;
  while (PARAM.lastIndex < list.length) {
    const from = PARAM.lastIndex;
    const p = PARAM.exec(list);
    if (!p) return /^\s*$/.test(list.slice(from)) ? { method, params } : undefined;
    const v = p[3] !== undefined ? scalar(undefined, p[3]) : p[2] !== undefined ? scalar(p[1], p[2]) : '';
    if (v === undefined) return undefined;
    params.push(v);
  }
  return { method, params };
}

/** Reads any methodCall with the `xmlrpc` package's SAX deserializer; rejects with its error. */
export function readMethodCallSax(body: Buffer): Promise<MethodCall> {
  return new Promise((resolve, reject) => {
    let done = false;
    new Deserializer().deserializeMethodCall(Readable.from([body], { objectMode: false }), (err, method, params) => {
      if (done) return;
      done = true;
      if (err || !method) reject(err ?? new Error('no method name'));
      else resolve({ method, params: params ?? [] });
    });
  });
}

/** A request body (as received) to its call: the plain form directly, anything else through the SAX deserializer. */
export function readMethodCall(body: Buffer): MethodCall | Promise<MethodCall> {
  return readPlainMethodCall(body.toString('utf8')) ?? readMethodCallSax(body);
}

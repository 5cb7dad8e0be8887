// XML-RPC over HTTP for the OpenNebula client. Requests are written as the
// `xmlrpc` package writes them (methodCall.ts); replies are read here, because the package's SAX
// deserializer takes about a second on a 2,500-host pool reply: oned's
// answers are one array of scalars, read from the reply's bytes by one
// regular expression and one pass per string (fast-xml-parser for the rest).
import type http from 'node:http';
import { XMLParser } from 'fast-xml-parser';
import { serializeMethodCall, type Scalar } from './methodCall';

export type { Scalar };

export class XmlRpcFault extends Error {
  constructor(readonly faultCode: number, readonly faultString: string) {
    super(`XML-RPC fault ${faultCode}: ${faultString}`);
    this.name = 'XmlRpcFault';
  }
}

export class TransportTimeout extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TransportTimeout';
  }
}

/** Made on the first reply that needs it (most are read by the fast path below). */
let parser: XMLParser | undefined;
const generalParser = () => (parser ??= new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  isArray: (name) => name === 'value' || name === 'member',
}));

type Node = Record<string, unknown>;

/** One XML-RPC <value> to a JS value (scalars, arrays and structs). */
function valueOf(v: unknown): unknown {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v !== 'object') return String(v); // untyped <value>text</value> is a string
  const n = v as Node;
  if ('string' in n) return n.string === '' || n.string === undefined ? '' : String(n.string);
  for (const k of ['i4', 'int', 'i8']) if (k in n) return Number(n[k]);
  if ('boolean' in n) return String(n.boolean).trim() === '1';
  if ('double' in n) return Number(n.double);
  if ('array' in n) {
    const arr = n.array;
    const data = arr && typeof arr === 'object' ? (arr as Node).data : undefined;
    const values = data && typeof data === 'object' ? ((data as Node).value as unknown[] | undefined) : undefined;
    return (values ?? []).map(valueOf);
  }
  if ('struct' in n) {
    const out: Record<string, unknown> = {};
    for (const m of ((n.struct as Node | '') || {}).member as Node[] ?? []) out[String(m.name)] = valueOf((m.value as unknown[])[0]);
    return out;
  }
  if ('#text' in n) return String(n['#text']);
  return '';
}

const AMP = 0x26, SEMI = 0x3b, HASH = 0x23;

/** The code point of "&#N;" or "&#xH;" starting at `i` (the "&"), and where it ends; undefined when it is not one. */
function numericRef(buf: Buffer, i: number, end: number): { cp: number; next: number } | undefined {
  let k = i + 2;
  const hex = buf[k] === 0x78; // "x": XML's hexadecimal form is lower case only
  if (hex) k++;
  const first = k;
  let cp = 0;
  for (; k < end; k++) {
    const b = buf[k];
    const d = b >= 0x30 && b <= 0x39 ? b - 0x30
      : hex && b >= 0x61 && b <= 0x66 ? b - 0x57
      : hex && b >= 0x41 && b <= 0x46 ? b - 0x37 : -1;
    if (d < 0) break;
    cp = cp * (hex ? 16 : 10) + d;
    if (cp > 0x10ffff) throw new RangeError(`Invalid code point in &#${hex ? 'x' : ''}${buf.toString('latin1', first, k + 1)}...;`);
  }
  return k > first && k < end && buf[k] === SEMI ? { cp, next: k + 1 } : undefined;
}

/** Whether `buf` holds `word` (ASCII) at `at`. */
function bytesAt(buf: Buffer, at: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (buf[at + k] !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * The text of a <string> between byte offsets `start` and `end`, entities
 * decoded once (so "&amp;lt;" stays "&lt;"). One pass over the bytes into one
 * buffer: oned's pool replies are megabytes of escaped XML with two entities
 * per tag, where string replacements cost a hundred times more.
 */
function decodeText(buf: Buffer, start: number, end: number): string {
  let i = buf.indexOf(AMP, start);
  if (i < 0 || i >= end) return buf.toString('utf8', start, end);
  const out = Buffer.allocUnsafe(end - start); // a reference is never shorter than what it stands for
  let j = buf.copy(out, 0, start, i);
  while (i < end) {
    const b = buf[i];
    if (b !== AMP) {
      out[j++] = b;
      i++;
      continue;
    }
    const c = buf[i + 1];
    if (c === 0x6c && buf[i + 2] === 0x74 && buf[i + 3] === SEMI && i + 3 < end) { out[j++] = 0x3c; i += 4; continue; } // &lt;
    if (c === 0x67 && buf[i + 2] === 0x74 && buf[i + 3] === SEMI && i + 3 < end) { out[j++] = 0x3e; i += 4; continue; } // &gt;
    if (c === 0x61 && i + 4 < end && bytesAt(buf, i + 1, 'amp;')) { out[j++] = AMP; i += 5; continue; }
    if (c === 0x71 && i + 5 < end && bytesAt(buf, i + 1, 'quot;')) { out[j++] = 0x22; i += 6; continue; }
    if (c === 0x61 && i + 5 < end && bytesAt(buf, i + 1, 'apos;')) { out[j++] = 0x27; i += 6; continue; }
    const ref = c === HASH ? numericRef(buf, i, end) : undefined;
    if (!ref) { out[j++] = AMP; i++; continue; } // not a reference: the "&" is kept as written
    j += ref.cp < 0x80 ? (out[j] = ref.cp, 1) : out.write(String.fromCodePoint(ref.cp), j, 'utf8');
    i = ref.next;
  }
  return out.toString('utf8', 0, j);
}

const SCALAR = /<value>\s*(?:<(string|i4|int|i8|boolean|double)>([^<]*)<\/\1>|<(string)\/>|([^<]*))\s*<\/value>/dg;

/** A string value not decoded yet: where its text is in the reply's bytes. */
class Text {
  constructor(readonly start: number, readonly end: number) {}
}

/**
 * oned's successful replies are one flat array of scalars; read those with
 * one regular expression over the reply's bytes (as latin1, so a character's
 * index is its byte offset); strings are left as Text, decoded by the caller.
 * Anything else (faults, CDATA, nested values) goes through the general parser.
 */
function fastArray(buf: Buffer): (Scalar | Text)[] | undefined {
  const xml = buf.toString('latin1');
  const start = xml.indexOf('<array>');
  const end = xml.lastIndexOf('</array>');
  if (start < 0 || end < 0 || xml.includes('<fault>') || xml.includes('<![CDATA[')) return undefined;
  const from = xml.indexOf('<data>', start) + 6;
  const to = xml.lastIndexOf('</data>', end);
  const inner = xml.slice(from, to);
  if (inner.includes('<array>') || inner.includes('<struct>')) return undefined;
  const out: (Scalar | Text)[] = [];
  let consumed = 0;
  SCALAR.lastIndex = 0;
  for (let m = SCALAR.exec(inner); m; m = SCALAR.exec(inner)) {
    if (inner.slice(consumed, m.index).trim() !== '') return undefined;
    consumed = m.index + m[0].length;
    const [, type, text, emptyString] = m;
    const textAt = m.indices![type === undefined ? 4 : 2]!;
    if (emptyString) out.push('');
    else if (type === undefined || type === 'string') out.push(new Text(from + textAt[0], from + textAt[1]));
    else if (type === 'boolean') out.push(text.trim() === '1');
    else out.push(Number(text));
  }
  return inner.slice(consumed).trim() === '' ? out : undefined;
}

function general(xml: string): unknown {
  const doc = generalParser().parse(xml) as Node;
  const resp = doc.methodResponse as Node | undefined;
  if (!resp || typeof resp !== 'object') throw new Error('not an XML-RPC methodResponse');
  if ('fault' in resp) {
    const f = valueOf(((resp.fault as Node).value as unknown[])[0]) as { faultCode?: number; faultString?: string };
    throw new XmlRpcFault(Number(f.faultCode ?? -1), String(f.faultString ?? ''));
  }
  const param = (resp.params as Node | undefined)?.param as Node | undefined;
  if (!param) throw new Error('methodResponse without params');
  return valueOf((param.value as unknown[])[0]);
}

/** An XML-RPC reply (the bytes as received, or text) to its value; faults throw XmlRpcFault. */
export function parseMethodResponse(reply: Buffer | string): unknown {
  const buf = typeof reply === 'string' ? Buffer.from(reply, 'utf8') : reply;
  const fast = fastArray(buf);
  if (!fast) return general(typeof reply === 'string' ? reply : buf.toString('utf8'));
  return fast.map((v) => (v instanceof Text ? decodeText(buf, v.start, v.end) : v));
}

/** Bytes of a string decoded between two turns of the event loop. */
const DECODE_PART = 256 * 1024;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * parseMethodResponse for a big reply (a pool of thousands): its strings are
 * decoded a part at a time, yielding to the event loop in between, so reading
 * megabytes does not hold up the other requests in flight. Parts end where a
 * "&" starts, so no reference and no UTF-8 character is ever split.
 */
export async function readMethodResponse(buf: Buffer): Promise<unknown> {
  const fast = fastArray(buf);
  if (!fast) return general(buf.toString('utf8'));
  const out: unknown[] = [];
  for (const v of fast) {
    if (!(v instanceof Text)) {
      out.push(v);
      continue;
    }
    const parts: string[] = [];
    for (let at = v.start; at < v.end;) {
      if (parts.length) await nextTurn();
      const cut = at + DECODE_PART >= v.end ? v.end : buf.indexOf(AMP, at + DECODE_PART);
      const next = cut < 0 || cut > v.end ? v.end : cut;
      parts.push(decodeText(buf, at, next));
      at = next;
    }
    out.push(parts.join(''));
  }
  return out;
}

/** Replies up to this size are read in one go. */
const BIG_REPLY = 1024 * 1024;

export class XmlRpcTransport {
  private readonly url: URL;
  /** The request options every call shares (the URL read once, not per call). */
  private readonly options: http.RequestOptions;
  /**
   * node:http or node:https, loaded on the first call: a drop-in that refuses
   * its payload, or a function that never calls oned, does not load them.
   */
  private connection?: Promise<{ agent: http.Agent; request: typeof http.request }>;
  private agent?: http.Agent;

  constructor(private readonly endpoint: string, private readonly maxSockets: number) {
    this.url = new URL(endpoint);
    const { protocol, hostname, port, pathname, search, username, password } = this.url;
    this.options = {
      protocol, hostname: hostname.startsWith('[') ? hostname.slice(1, -1) : hostname, port: port || undefined, path: pathname + search,
      ...(username || password ? { auth: `${decodeURIComponent(username)}:${decodeURIComponent(password)}` } : {}),
      method: 'POST',
    };
  }

  private connect() {
    return (this.connection ??= (this.url.protocol === 'https:' ? import('node:https') : import('node:http')).then(({ default: m }) => {
      this.agent = new m.Agent({ keepAlive: true, maxSockets: this.maxSockets });
      return { agent: this.agent, request: m.request };
    }));
  }

  async call(method: string, params: Scalar[], timeoutMs: number): Promise<unknown> {
    // A string, so that the headers and the body leave in one write.
    const body = serializeMethodCall(method, params);
    try {
      return await this.post(body, timeoutMs);
    } catch (e) {
      // A kept-alive socket that oned closed in the meantime (restart, idle TIMEOUT): one fresh try.
      if ((e as { staleSocket?: boolean }).staleSocket) return this.post(body, timeoutMs);
      throw e;
    }
  }

  private async post(body: string, timeoutMs: number): Promise<unknown> {
    const { agent, request } = await this.connect();
    return new Promise((resolve, reject) => {
      const req = request({
        ...this.options, agent,
        headers: { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body), 'User-Agent': 'oneha' },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 300) {
            reject(new Error(`HTTP ${res.statusCode} from ${this.url.host}`));
            return;
          }
          const buf = Buffer.concat(chunks);
          try {
            resolve(buf.length > BIG_REPLY ? readMethodResponse(buf) : parseMethodResponse(buf));
          } catch (e) {
            reject(e);
          }
        });
      });
      // A deadline for the whole call, not an idle timeout: a reply that trickles still ends.
      const timer = setTimeout(() => req.destroy(new TransportTimeout(timeoutMs)), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) Object.assign(e, { staleSocket: true });
        reject(e);
      });
      req.end(body);
    });
  }

  /** The same kind of transport to the same oned with sockets of its own (a pool that other work cannot exhaust). */
  withOwnSockets(maxSockets: number): XmlRpcTransport {
    return new (this.constructor as new (endpoint: string, maxSockets: number) => XmlRpcTransport)(this.endpoint, maxSockets);
  }

  close(): void {
    this.agent?.destroy();
    // Closed while the first call was loading node:http: its agent is destroyed once made, as it would have been.
    if (!this.agent) void this.connection?.then((c) => c.agent.destroy());
  }
}

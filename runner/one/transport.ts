// XML-RPC over HTTP for the OpenNebula client. Requests are serialised by
// the `xmlrpc` package; replies are read with fast-xml-parser, because the
// package's SAX deserializer takes about a second on a 2,500-host pool reply
// (oned's answers are one array of scalars: a fast, simple shape to read).
import http from 'node:http';
import https from 'node:https';
import { XMLParser } from 'fast-xml-parser';
import serializer from 'xmlrpc/lib/serializer.js';

export type Scalar = string | number | boolean;

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

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  isArray: (name) => name === 'value' || name === 'member',
});

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

const NUMERIC = /&#(\d+|x[0-9a-fA-F]+);/g;
/** Native replaceAll per entity is much faster than one regex with a callback on a multi-MB reply. */
function decodeEntities(s: string): string {
  if (s.indexOf('&') < 0) return s;
  let out = s.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&apos;', "'");
  if (out.includes('&#')) out = out.replace(NUMERIC, (_, e: string) => String.fromCodePoint(e[0] === 'x' ? parseInt(e.slice(1), 16) : parseInt(e, 10)));
  return out.replaceAll('&amp;', '&'); // last, so "&amp;lt;" stays "&lt;"
}

const SCALAR = /<value>\s*(?:<(string|i4|int|i8|boolean|double)>([^<]*)<\/\1>|<(string)\/>|([^<]*))\s*<\/value>/g;

/**
 * oned's successful replies are one flat array of scalars; read those with
 * one regular expression and one pass over the entities. Anything else
 * (faults, CDATA, nested values) goes through the general parser.
 */
function fastArray(xml: string): unknown[] | undefined {
  const start = xml.indexOf('<array>');
  const end = xml.lastIndexOf('</array>');
  if (start < 0 || end < 0 || xml.includes('<fault>') || xml.includes('<![CDATA[')) return undefined;
  const inner = xml.slice(xml.indexOf('<data>', start) + 6, xml.lastIndexOf('</data>', end));
  if (inner.includes('<array>') || inner.includes('<struct>')) return undefined;
  const out: unknown[] = [];
  let consumed = 0;
  SCALAR.lastIndex = 0;
  for (let m = SCALAR.exec(inner); m; m = SCALAR.exec(inner)) {
    if (inner.slice(consumed, m.index).trim() !== '') return undefined;
    consumed = m.index + m[0].length;
    const [, type, text, emptyString, untyped] = m;
    if (emptyString) out.push('');
    else if (type === undefined) out.push(decodeEntities(untyped ?? ''));
    else if (type === 'string') out.push(decodeEntities(text));
    else if (type === 'boolean') out.push(text.trim() === '1');
    else out.push(Number(text));
  }
  return inner.slice(consumed).trim() === '' ? out : undefined;
}

export function parseMethodResponse(xml: string): unknown {
  const fast = fastArray(xml);
  if (fast) return fast;
  const doc = parser.parse(xml) as Node;
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

export class XmlRpcTransport {
  private readonly agent: http.Agent;
  private readonly url: URL;
  private readonly request: typeof http.request;

  constructor(private readonly endpoint: string, maxSockets: number) {
    this.url = new URL(endpoint);
    const secure = this.url.protocol === 'https:';
    this.agent = new (secure ? https.Agent : http.Agent)({ keepAlive: true, maxSockets });
    this.request = secure ? https.request : http.request;
  }

  async call(method: string, params: Scalar[], timeoutMs: number): Promise<unknown> {
    const body = Buffer.from(serializer.serializeMethodCall(method, params), 'utf8');
    try {
      return await this.post(body, timeoutMs);
    } catch (e) {
      // A kept-alive socket that oned closed in the meantime (restart, idle TIMEOUT): one fresh try.
      if ((e as { staleSocket?: boolean }).staleSocket) return this.post(body, timeoutMs);
      throw e;
    }
  }

  private post(body: Buffer, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = this.request(this.url, {
        method: 'POST', agent: this.agent,
        headers: { 'Content-Type': 'text/xml', 'Content-Length': body.length, 'User-Agent': 'oneha' },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 300) {
            reject(new Error(`HTTP ${res.statusCode} from ${this.url.host}`));
            return;
          }
          try {
            resolve(parseMethodResponse(Buffer.concat(chunks).toString('utf8')));
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
    this.agent.destroy();
  }
}

// OpenNebula templates: parse `KEY = "VALUE"` text or `<TEMPLATE>` XML, keep
// attributes as a multimap, serialise like oned (alphabetical, CDATA values,
// repeated elements for repeated attributes).
import { XMLParser } from 'fast-xml-parser';

/** A vector attribute (DISK = [ ... ]): sub-attribute pairs. */
export type TVector = Array<[string, string]>;
export type TValue = string | TVector;
export type TAttr = [string, TValue];

export class TemplateSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

export function cdata(v: string): string {
  return `<![CDATA[${cdataText(v)}]]>`;
}

/** What goes between "<![CDATA[" and "]]>": a "]]>" in the value ends one section and starts another. */
export function cdataText(v: string): string {
  return v.includes(']]>') ? v.replaceAll(']]>', ']]]]><![CDATA[>') : v;
}

export function esc(v: string | number): string {
  const s = String(v);
  if (!/[&<>]/.test(s)) return s;
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Text inside an XML-RPC <string> (what xmlrpc-c escapes). */
export function escRpc(s: string): string {
  if (!/[&<>\r]/.test(s)) return s;
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('\r', '&#13;');
}

/** A string value that is already escaped for XML-RPC (large pools are built from cached pieces). */
export class RpcEscaped {
  constructor(readonly escaped: string) {}
}

const byKey = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export class Template {
  attrs: TAttr[];

  constructor(attrs: TAttr[] = []) {
    this.attrs = attrs;
  }

  static fromRecord(r: Record<string, string>): Template {
    return new Template(Object.entries(r).map(([k, v]) => [k, v]));
  }

  /** First scalar value of an attribute. */
  get(name: string): string | undefined {
    for (const [k, v] of this.attrs) if (k === name && typeof v === 'string') return v;
    return undefined;
  }

  has(name: string): boolean {
    return this.attrs.some(([k]) => k === name);
  }

  /** Replaces every attribute of that name by one scalar. Returns whether anything changed. */
  set(name: string, value: string): boolean {
    const cur = this.attrs.filter(([k]) => k === name);
    if (cur.length === 1 && cur[0][1] === value) return false;
    this.attrs = this.attrs.filter(([k]) => k !== name);
    this.attrs.push([name, value]);
    return true;
  }

  remove(name: string): boolean {
    const n = this.attrs.length;
    this.attrs = this.attrs.filter(([k]) => k !== name);
    return this.attrs.length !== n;
  }

  /** one.*.update semantics: type 0 replaces everything, type 1 replaces same-named attributes only. */
  update(attrs: TAttr[], merge: boolean): void {
    if (!merge) {
      this.attrs = attrs.map(([k, v]) => [k, typeof v === 'string' ? v : [...v]]);
      return;
    }
    const names = new Set(attrs.map(([k]) => k));
    this.attrs = this.attrs.filter(([k]) => !names.has(k)).concat(attrs);
  }

  /** Scalar attributes as a record (first value wins). */
  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.attrs) if (typeof v === 'string' && !(k in out)) out[k] = v;
    return out;
  }

  /** Inner XML: alphabetical, values as CDATA (what oned writes). */
  innerXml(): string {
    let s = '';
    for (const [k, v] of [...this.attrs].sort(byKey)) {
      if (typeof v === 'string') {
        s += `<${k}>${cdata(v)}</${k}>`;
      } else {
        s += `<${k}>`;
        for (const [sk, sv] of [...v].sort(byKey)) s += `<${sk}>${cdata(sv)}</${sk}>`;
        s += `</${k}>`;
      }
    }
    return s;
  }

  toXml(root = 'TEMPLATE'): string {
    return `<${root}>${this.innerXml()}</${root}>`;
  }
}

// ---------------------------------------------------------------------------
// Parsing

const NAME = /[A-Za-z0-9_][A-Za-z0-9_\-.]*/y;

/** Text (`KEY = "VAL"`, multi-line, vectors, comments) or XML (`<TEMPLATE>...`). */
export function parseTemplate(text: string): TAttr[] {
  const t = text.trimStart();
  return t.startsWith('<') ? parseXmlTemplate(t) : parseTextTemplate(text);
}

export function parseTextTemplate(text: string): TAttr[] {
  const out: TAttr[] = [];
  let i = 0;
  const n = text.length;
  const line = () => text.slice(0, i).split('\n').length;
  const skip = (newlines: boolean) => {
    while (i < n) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) i++;
      else if (c === '#') {
        while (i < n && text[i] !== '\n') i++;
      } else break;
    }
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(text);
    if (!m) throw new TemplateSyntaxError(`syntax error, unexpected "${text.slice(i, i + 10)}" at line ${line()}, expecting VARIABLE`);
    i += m[0].length;
    return m[0].toUpperCase();
  };
  const quoted = (): string => {
    i++; // opening quote
    let s = '';
    while (i < n) {
      const c = text[i];
      if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
        s += text[i + 1];
        i += 2;
      } else if (c === '"') {
        i++;
        return s;
      } else {
        s += c;
        i++;
      }
    }
    throw new TemplateSyntaxError(`syntax error, unterminated string at line ${line()}`);
  };
  const bare = (stop: RegExp): string => {
    const start = i;
    while (i < n && !stop.test(text[i])) i++;
    return text.slice(start, i);
  };
  const value = (inVector: boolean): string => {
    skip(false);
    if (text[i] === '"') return quoted();
    return bare(inVector ? /[\s,\]"]/ : /[\s"]/).trimEnd();
  };
  for (;;) {
    skip(true);
    if (i >= n) break;
    const key = name();
    skip(false);
    if (text[i] !== '=') throw new TemplateSyntaxError(`syntax error, unexpected "${text.slice(i, i + 10)}" at line ${line()}, expecting EQUAL`);
    i++;
    skip(false);
    if (text[i] === '[') {
      i++;
      const vec: TVector = [];
      for (;;) {
        skip(true);
        if (text[i] === ']') {
          i++;
          break;
        }
        if (i >= n) throw new TemplateSyntaxError(`syntax error, unterminated vector ${key}`);
        const sk = name();
        skip(true);
        if (text[i] !== '=') throw new TemplateSyntaxError(`syntax error in vector ${key} at line ${line()}, expecting EQUAL`);
        i++;
        skip(true);
        vec.push([sk, value(true)]);
        skip(true);
        if (text[i] === ',') i++;
      }
      out.push([key, vec]);
    } else {
      out.push([key, value(false)]);
    }
  }
  return out;
}

const xmlParser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  cdataPropName: '__cdata',
  processEntities: true,
});

type XNode = Record<string, unknown>;

function nodeName(n: XNode): string {
  return Object.keys(n).find((k) => k !== ':@') ?? '';
}

function textOf(children: XNode[]): string {
  let s = '';
  for (const c of children) {
    if ('#text' in c) s += String(c['#text']);
    else if ('__cdata' in c) s += textOf(c.__cdata as XNode[]);
  }
  return s;
}

export function parseXmlTemplate(xml: string): TAttr[] {
  let doc: XNode[];
  try {
    doc = xmlParser.parse(xml, true) as XNode[];
  } catch (e) {
    throw new TemplateSyntaxError(`Error parsing XML template: ${(e as Error).message.split('\n')[0]}`);
  }
  const roots = doc.filter((n) => nodeName(n) !== '?xml' && nodeName(n) !== '#text');
  if (roots.length !== 1) throw new TemplateSyntaxError('Error parsing XML template: expected one root element');
  const children = roots[0][nodeName(roots[0])] as XNode[];
  const out: TAttr[] = [];
  for (const c of children) {
    const k = nodeName(c);
    if (k === '#text' || k === '__cdata' || k === '') continue;
    const kids = c[k] as XNode[];
    const elems = kids.filter((x) => {
      const nn = nodeName(x);
      return nn !== '#text' && nn !== '__cdata';
    });
    if (elems.length === 0) {
      out.push([k, textOf(kids).trim()]);
    } else {
      out.push([k, elems.map((e) => [nodeName(e), textOf(e[nodeName(e)] as XNode[]).trim()] as [string, string])]);
    }
  }
  return out;
}

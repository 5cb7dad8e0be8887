// An XML-RPC methodCall with scalar parameters, written as the `xmlrpc`
// package's serializer writes it (test/unit/methodCall.test.ts compares the
// bytes): the package builds an xmlbuilder document per call, which cost
// ~45 µs of the ~200 µs of CPU per call on this machine; this is one string.
// One difference: every "]]>" of a CDATA string is split, not only the
// first (the package's second one made the request malformed).
export type Scalar = string | number | boolean;

/** Characters XML 1.0 does not allow (xmlbuilder's check with allowSurrogateChars, as the package sets it). */
const ILLEGAL = /[\u0000-\u0008\u000B-\u000C\u000E-\u001F\uFFFE-\uFFFF]/;
/** Strings with "<", "&" or "]]>" go in CDATA (the package's rule). */
const NEEDS_CDATA = /[<&]|\]\]>/;

function legal(text: string): string {
  const bad = ILLEGAL.exec(text);
  if (bad) throw new Error(`Invalid character (${bad[0]}) in string: ${text} at index ${bad.index}`);
  return text;
}

function escaped(text: string): string {
  return legal(text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;'));
}

function value(v: Scalar): string {
  switch (typeof v) {
    case 'boolean': return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
    case 'number': return v % 1 === 0 ? `<value><int>${v}</int></value>` : `<value><double>${v}</double></value>`;
    default:
      if (v.length === 0) return '<value><string/></value>';
      if (NEEDS_CDATA.test(v)) return `<value><string><![CDATA[${legal(v.replaceAll(']]>', ']]]]><![CDATA[>'))}]]></string></value>`;
      return `<value><string>${escaped(v)}</string></value>`;
  }
}

export function serializeMethodCall(method: string, params: readonly Scalar[]): string {
  let out = `<?xml version="1.0"?><methodCall><methodName>${escaped(method)}</methodName><params>`;
  for (const p of params) out += `<param>${value(p)}</param>`;
  return `${out}</params></methodCall>`;
}

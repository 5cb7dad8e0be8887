// The simulator reads plain scalar methodCalls with its own regular
// expressions and everything else with the `xmlrpc` package's SAX
// deserializer: wherever the fast reader answers, it must answer what the SAX
// reader does on the same bytes, and it must take the requests clients send.
import { describe, expect, it } from 'vitest';
import { serializeMethodCall, type Scalar } from '../../runner/one/methodCall';
import { readMethodCall, readMethodCallSax, readPlainMethodCall } from '../../sim/methodCallReader';

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'Z', '0', ' ', '\n', '\t', '\r', '\r\n', '&', '<', '>', '"', "'", ']]>', ';', '#', 'é', '€', '😀', '&amp;', '&lt;', '&gt;', '&quot;', '&apos;', '&#13;', '&#xD;', '&nbsp;', '&foo;', '&amp', 'oneadmin:oneadmin', '-1', '42'];

function randomText(r: () => number, max = 12): string {
  let s = '';
  for (let n = Math.floor(r() * max); n > 0; n--) s += PIECES[Math.floor(r() * PIECES.length)];
  return s;
}

/** A raw <value> body: typed or untyped, well-formed or not, with raw entity text. */
function randomValue(r: () => number): string {
  const t = randomText(r, 4);
  const forms = [
    `<string>${t}</string>`, `<string/>`, t, `<i4>${Math.floor(r() * 2000) - 1000}</i4>`, `<int>${t}</int>`, `<int> 7 </int>`,
    `<boolean>${r() < 0.4 ? 1 : r() < 0.6 ? 0 : t}</boolean>`, `<double>${(r() * 100).toFixed(2)}</double>`, `<double>${t}</double>`,
    `<i8>${r() < 0.7 ? '-9007199254740993' : t}</i8>`, ` <string>${t}</string> `, `\n<i4>5</i4>\n`,
    `<string><![CDATA[${t}]]></string>`, `<array><data><value><i4>1</i4></value></data></array>`,
    `<struct><member><name>k</name><value>v</value></member></struct>`, `<nil/>`, `<STRING>${t}</STRING>`, `<base64>YWJj</base64>`,
  ];
  return forms[Math.floor(r() * forms.length)];
}

function randomRequest(r: () => number): string {
  const decl = ['', '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-8"?>\n', ' '][Math.floor(r() * 4)];
  const name = r() < 0.85 ? 'one.vm.action' : randomText(r, 3);
  const ws = () => (r() < 0.7 ? '' : ['\n', ' ', '\r\n  '][Math.floor(r() * 3)]);
  const params = Array.from({ length: Math.floor(r() * 5) }, () => `${ws()}<param>${ws()}<value>${randomValue(r)}</value>${ws()}</param>`).join('');
  const list = r() < 0.1 ? '' : r() < 0.1 ? '<params/>' : `<params>${params}${ws()}</params>`;
  const body = `${decl}<methodCall>${ws()}<methodName>${name}</methodName>${ws()}${list}${ws()}</methodCall>${ws()}`;
  // Now and then something no reader should accept as plain.
  return r() < 0.05 ? body.slice(0, Math.floor(r() * body.length)) : r() < 0.03 ? body.replace('<methodCall>', '<!-- c --><methodCall>') : body;
}

async function sax(body: string): Promise<unknown> {
  return readMethodCallSax(Buffer.from(body, 'utf8')).catch((e: Error) => ({ error: e.message }));
}

describe('the fast methodCall reader', () => {
  it('gives what the SAX deserializer gives, on every request it accepts (2,000 generated requests)', async () => {
    const r = rng(20261127);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      const body = randomRequest(r);
      const fast = readPlainMethodCall(body);
      if (fast === undefined) {
        refused++;
        continue;
      }
      accepted++;
      expect(fast, body).toEqual(await sax(body));
    }
    // Both kinds were exercised.
    expect(accepted).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(300);
  });

  it('takes the requests the runner writes (runner/one/methodCall.ts) unless a string needs CDATA or a character reference, and reads them as SAX does', async () => {
    const r = rng(7);
    for (let i = 0; i < 500; i++) {
      const params: Scalar[] = ['oneadmin:oneadmin', ...Array.from({ length: Math.floor(r() * 5) }, (): Scalar => {
        const k = r();
        return k < 0.3 ? Math.floor(r() * 4e9) - 2e9 : k < 0.5 ? r() < 0.5 : k < 0.6 ? r() * 1000 : randomText(r).replace(/[\u0000-\u0008\u000B-\u000C\u000E-\u001F]/g, '');
      })];
      const body = serializeMethodCall('one.vm.action', params);
      const fast = readPlainMethodCall(body);
      if (body.includes('<![CDATA[') || body.includes('&#')) {
        expect(fast).toBeUndefined();
        continue;
      }
      expect(fast, body).toBeDefined();
      expect(fast, body).toEqual(await sax(body));
    }
  });

  it('leaves to the SAX reader what only it reads, and its errors', async () => {
    const array = '<?xml version="1.0"?><methodCall><methodName>m</methodName><params><param><value><array><data><value><i4>1</i4></value></data></array></value></param></params></methodCall>';
    expect(readPlainMethodCall(array)).toBeUndefined();
    expect(await readMethodCall(Buffer.from(array))).toEqual({ method: 'm', params: [[1]] });
    const html = '<methodCall><methodName>m</methodName><params><param><value><string>a&nbsp;b</string></value></param></params></methodCall>';
    expect(readPlainMethodCall(html)).toBeUndefined();
    expect(await readMethodCall(Buffer.from(html))).toEqual({ method: 'm', params: ['a\u00a0b'] });
    const badBool = '<methodCall><methodName>m</methodName><params><param><value><boolean>yes</boolean></value></param></params></methodCall>';
    expect(readPlainMethodCall(badBool)).toBeUndefined();
    await expect(readMethodCall(Buffer.from(badBool))).rejects.toThrow("Illegal boolean value 'yes'");
    await expect(readMethodCall(Buffer.from('<methodCall><methodName></methodName></methodCall>'))).rejects.toThrow();
    await expect(readMethodCall(Buffer.from('not xml'))).rejects.toThrow();
  });
});

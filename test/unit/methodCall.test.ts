// The client's request writer must send the bytes the `xmlrpc` package's
// serializer sends, and XML every reader accepts.
import { describe, expect, it } from 'vitest';
import packageSerializer from 'xmlrpc/lib/serializer.js';
import Deserializer from 'xmlrpc/lib/deserializer.js';
import { Readable } from 'node:stream';
import { serializeMethodCall, type Scalar } from '../../runner/one/methodCall';

/** What an XML-RPC server reads from the request (the simulated oned's reader). */
function readCall(xml: string): Promise<{ method: string; params: unknown[] }> {
  return new Promise((resolve, reject) => {
    new Deserializer().deserializeMethodCall(Readable.from([Buffer.from(xml, 'utf8')]), (err, method, params) =>
      (err ? reject(err) : resolve({ method: method!, params: params! })));
  });
}

describe('XML-RPC requests', () => {
  it('are byte for byte what the xmlrpc package writes: oned calls, every scalar type, escapes and CDATA', () => {
    const calls: [string, Scalar[]][] = [
      ['one.vm.action', ['oneadmin:oneadmin', 'resched', 42]],
      ['one.vmpool.infoset', ['user:token', '1,2,3', true]],
      ['one.host.update', ['s', 7, 'ONEHA_HA="YES"\nFENCE_IP="10.0.0.1"', 1]],
      ['one.user.login', ['oneadmin', '', 3600, -1]],
      ['m<&>', ['a<b', 'a&b', 'x]]>y', 'a > b\r\n\t', '', 'é ☺ 😀', 1.5, -0, 1e21, NaN, Infinity, false, true, -(2 ** 31)]],
    ];
    for (const [method, params] of calls) expect(serializeMethodCall(method, params)).toBe(packageSerializer.serializeMethodCall(method, params));
  });

  it('agrees with the package on random strings (seeded), and the server reads back what was sent', async () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const pieces = ['<', '>', '&', ']]', ']]>', '"', "'", '\r', '\n', '\t', 'a', ' ', 'é', '😀', ']', 'CDATA['];
    for (let t = 0; t < 300; t++) {
      const text = Array.from({ length: rnd(12) }, () => pieces[rnd(pieces.length)]).join('');
      const params: Scalar[] = ['oneadmin:oneadmin', rnd(100), text, rnd(2) === 1];
      const xml = serializeMethodCall('one.document.update', params);
      // The package splits only the first "]]>" of a CDATA string (see the next test).
      if (text.split(']]>').length <= 2) expect(xml).toBe(packageSerializer.serializeMethodCall('one.document.update', params));
      // XML turns a raw "\r" into "\n" (it is sent as &#xD; only outside CDATA): compare as the server reads it.
      const read = await readCall(xml);
      expect(read.method).toBe('one.document.update');
      expect(read.params[2]).toBe(/[<&]|\]\]>/.test(text) ? text.replace(/\r\n?/g, '\n') : text);
      expect(read.params.slice(0, 2).concat(read.params.slice(3))).toEqual([params[0], params[1], params[3]]);
    }
  });

  it('every "]]>" of a CDATA string is split, so a template with two stays one well-formed string', async () => {
    const text = 'A="<x>]]>" B="]]>&"';
    expect((await readCall(serializeMethodCall('one.host.update', ['s', 1, text, 1]))).params[2]).toBe(text);
  });

  it('characters XML does not allow are refused before anything is sent, as the package does', () => {
    expect(() => serializeMethodCall('one.host.update', ['s', 1, 'a\u0001b', 1])).toThrow(/Invalid character/);
    expect(() => packageSerializer.serializeMethodCall('one.host.update', ['s', 1, 'a\u0001b', 1])).toThrow(/Invalid character/);
    expect(() => serializeMethodCall('one.host.update', ['s', 1, '<a\u0000', 1])).toThrow(/Invalid character/);
  });
});

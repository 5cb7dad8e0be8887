import { describe, expect, it } from 'vitest';
import { parseMethodResponse, readMethodResponse, XmlRpcFault } from '../../runner/one/transport';

const resp = (inner: string) => `<?xml version="1.0"?><methodResponse><params><param><value>${inner}</value></param></params></methodResponse>`;

describe('XML-RPC replies as oned sends them', () => {
  it('success: [true, XML string with entities, 0]', () => {
    expect(parseMethodResponse(resp('<array><data><value><boolean>1</boolean></value><value><string>&lt;HOST&gt;&lt;ID&gt;1&lt;/ID&gt;&lt;NAME&gt;a &amp; b&lt;/NAME&gt;&lt;/HOST&gt;</string></value><value><i4>0</i4></value></data></array>')))
      .toEqual([true, '<HOST><ID>1</ID><NAME>a & b</NAME></HOST>', 0]);
  });
  it('failure: five elements, the last an i8; untyped values are strings', () => {
    expect(parseMethodResponse(resp('<array><data>\n<value><boolean>0</boolean></value>\n<value>[one.vm.info] Error getting virtual machine [42].</value>\n<value><int>1024</int></value><value><i4>42</i4></value><value><i8>-1</i8></value></data></array>')))
      .toEqual([false, '[one.vm.info] Error getting virtual machine [42].', 1024, 42, -1]);
  });
  it('CDATA, empty strings and whitespace are kept as oned wrote them', () => {
    expect(parseMethodResponse(resp('<array><data><value><boolean>1</boolean></value><value><string><![CDATA[<X>]]></string></value><value><string></string></value><value><string>  two  words </string></value></data></array>')))
      .toEqual([true, '<X>', '', '  two  words ']);
  });
  it('faults become XmlRpcFault with code and text', () => {
    const fault = '<?xml version="1.0"?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>-506</int></value></member><member><name>faultString</name><value><string>Unknown method name</string></value></member></struct></value></fault></methodResponse>';
    expect(() => parseMethodResponse(fault)).toThrow(XmlRpcFault);
    try {
      parseMethodResponse(fault);
    } catch (e) {
      expect(e).toMatchObject({ faultCode: -506, faultString: 'Unknown method name' });
    }
  });
  it('garbage is an error, not a value', () => {
    expect(() => parseMethodResponse('<html>502 Bad Gateway</html>')).toThrow(/not an XML-RPC methodResponse/);
  });
});

describe('entities', () => {
  const ok = (text: string) => resp(`<array><data><value><boolean>1</boolean></value><value><string>${text}</string></value></data></array>`);
  it('decodes each entity once (&amp;lt; stays &lt;) and numeric references', () => {
    const r = parseMethodResponse(`<?xml version="1.0"?><methodResponse><params><param><value><array><data><value><boolean>1</boolean></value><value><string>&amp;lt; &lt;a&gt; &quot;q&quot; &apos;s&apos; &#233; &#x263A;</string></value></data></array></value></param></params></methodResponse>`);
    expect(r).toEqual([true, `&lt; <a> "q" 's' é ☺`]);
  });
  it('a reference decoded to "&" is text, never the start of another reference', () => {
    expect(parseMethodResponse(ok('&#38;amp; &#x26;lt; &amp;#60;'))).toEqual([true, '&amp; &lt; &#60;']);
  });
  it('what is not a reference stays as written: a bare "&", unknown names, "&#;" and upper-case "&#X"', () => {
    expect(parseMethodResponse(ok('a & b &nbsp; &#; &#X41; &#x; &#12 &lt &'))).toEqual([true, 'a & b &nbsp; &#; &#X41; &#x; &#12 &lt &']);
  });
  it('UTF-8 text, raw or as references of every length, and untyped values', () => {
    const text = 'é ☺ 😀 名字 \u00a0x';
    const refs = [...text].map((c) => `&#${c.codePointAt(0)};`).join('');
    expect(parseMethodResponse(ok(`${text}|${refs}|${[...text].map((c) => `&#x${c.codePointAt(0)!.toString(16).toUpperCase()};`).join('')}`)))
      .toEqual([true, `${text}|${text}|${text}`]);
    expect(parseMethodResponse(resp(`<array><data><value><boolean>0</boolean></value><value>é &amp; ☺</value></data></array>`))).toEqual([false, 'é & ☺']);
  });
  it('the bytes as received read the same as the text', () => {
    const xml = ok('&lt;NAME&gt;vm é &amp;amp; ☺&lt;/NAME&gt;');
    expect(parseMethodResponse(Buffer.from(xml, 'utf8'))).toEqual(parseMethodResponse(xml));
    expect(parseMethodResponse(Buffer.from(xml, 'utf8'))).toEqual([true, '<NAME>vm é &amp; ☺</NAME>']);
  });
  it('a big reply read a part at a time (between turns of the event loop) reads the same as in one go', async () => {
    // About 1.2 MB of escaped text: the parts end at 256 KiB boundaries, each moved to the next "&".
    const unit = '&lt;NAME&gt;v&#233;m &amp;amp; ☺ 名 &#x1F600; &quot;q&quot; a &amp; b&lt;/NAME&gt;';
    const text = Array.from({ length: 12_000 }, (_, k) => unit + 'x'.repeat(k % 7)).join('');
    const reply = Buffer.from(ok(text), 'utf8');
    const whole = parseMethodResponse(reply) as [boolean, string];
    expect(whole[1]).toContain('<NAME>vém &amp; ☺ 名 😀 "q" a & b</NAME>');
    expect(await readMethodResponse(reply)).toEqual(whole);
    const fault = Buffer.from('<?xml version="1.0"?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>-1</int></value></member><member><name>faultString</name><value><string>no</string></value></member></struct></value></fault></methodResponse>');
    await expect(readMethodResponse(fault)).rejects.toThrow(XmlRpcFault);
  });
  it('agrees with a one-regex decoder on random escaped text (seeded)', () => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    const reference = (t: string) => t.replace(/&(?:(lt|gt|amp|quot|apos)|#(\d+)|#x([0-9a-fA-F]+));/g,
      (_, name: string, dec: string, hex: string) => name ? named[name] : String.fromCodePoint(dec ? Number(dec) : parseInt(hex, 16)));
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const pieces = ['&lt;', '&gt;', '&amp;', '&quot;', '&apos;', '&#233;', '&#x263A;', '&#128512;', 'a', 'Z', ' ', '\t', 'é', '名', '😀', '&amp;lt;', '&#38;', '&', ';', '#', 'x', '1', 'lt;'];
    for (let t = 0; t < 500; t++) {
      const text = Array.from({ length: rnd(40) }, () => pieces[rnd(pieces.length)]).join('');
      expect(parseMethodResponse(ok(text))).toEqual([true, reference(text)]);
    }
  });
});

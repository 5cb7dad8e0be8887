// OpenNebula template text and XML parsing, and oned-style serialisation.
import { describe, expect, it } from 'vitest';
import { Template, TemplateSyntaxError, parseTemplate } from '../../sim/template';

describe('template parsing', () => {
  it('KEY = "VALUE" lines, bare values, comments, escapes, multi-line strings, lower-case keys', () => {
    expect(parseTemplate('A = "1"\nb=two\n# note\nC = "x \\"y\\" \\\\ z"\nD = "line1\nline2"\nE = ""\n  F   =   "  spaced  "')).toEqual([
      ['A', '1'], ['B', 'two'], ['C', 'x "y" \\ z'], ['D', 'line1\nline2'], ['E', ''], ['F', '  spaced  '],
    ]);
    expect(parseTemplate('A="1" B="2"')).toEqual([['A', '1'], ['B', '2']]);
  });

  it('vector attributes and repeated attributes', () => {
    expect(parseTemplate('DISK = [ IMAGE = "a", SIZE = 10 ]\nDISK=[IMAGE="b"]')).toEqual([
      ['DISK', [['IMAGE', 'a'], ['SIZE', '10']]], ['DISK', [['IMAGE', 'b']]],
    ]);
  });

  it('XML templates, CDATA and entities', () => {
    expect(parseTemplate('<TEMPLATE><A><![CDATA[x <y> & z]]></A><B>a &amp; b</B><V><K>1</K></V></TEMPLATE>')).toEqual([
      ['A', 'x <y> & z'], ['B', 'a & b'], ['V', [['K', '1']]],
    ]);
  });

  it('syntax errors', () => {
    expect(() => parseTemplate('A "1"')).toThrow(TemplateSyntaxError);
    expect(() => parseTemplate('A = "1')).toThrow(/unterminated/);
    expect(() => parseTemplate('DISK = [ A = "1"')).toThrow(TemplateSyntaxError);
    expect(() => parseTemplate('<TEMPLATE><A></TEMPLATE>')).toThrow(TemplateSyntaxError);
  });
});

describe('template serialisation and update', () => {
  it('alphabetical, CDATA (with "]]>" split), repeated elements', () => {
    const t = new Template(parseTemplate('Z = "last"\nA = "a]]>b"\nNIC = [ NETWORK = "n", IP = "1" ]\nNIC = [ IP = "2" ]'));
    expect(t.toXml()).toBe('<TEMPLATE><A><![CDATA[a]]]]><![CDATA[>b]]></A><NIC><IP><![CDATA[1]]></IP><NETWORK><![CDATA[n]]></NETWORK></NIC><NIC><IP><![CDATA[2]]></IP></NIC><Z><![CDATA[last]]></Z></TEMPLATE>');
  });

  it('merge replaces same-named attributes only; replace drops the rest', () => {
    const t = Template.fromRecord({ A: '1', B: '2' });
    t.update(parseTemplate('B = "3"\nC = "4"'), true);
    expect(t.toRecord()).toEqual({ A: '1', B: '3', C: '4' });
    t.update(parseTemplate('D = "5"'), false);
    expect(t.toRecord()).toEqual({ D: '5' });
  });
});

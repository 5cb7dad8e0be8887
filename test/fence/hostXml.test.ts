// The <HOST> document handed to fence commands: oneha's own parser reads it
// back, and xmllint finds FENCE_IP where fence_host.sh looks.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseHost } from '../../model/oneXml';
import { buildHostXml, hostXmlBase64 } from '../../runner/fence/hostXml';
import { testHost } from '../helpers/bmc/fenceRig';
import { requireTool, TOOLS } from '../helpers/bmc/tools';

const host = { ...testHost(42, { FENCE_IP: '10.0.0.42', ONEHA_FENCE_AGENT: 'fence_ipmilan', ODD: 'a <b> & ]]> c' }), name: 'node<42>&', vms: [3, 4] };

describe('host XML for fence commands', () => {
  it('round-trips through oneha\'s HOST parser', () => {
    expect(parseHost(buildHostXml(host))).toEqual(host);
  });
  it('answers fence_host.sh\'s xpath via base64 -d | xmllint', () => {
    requireTool(TOOLS.xmllint);
    const b64 = hostXmlBase64(host);
    expect(b64.endsWith('\n')).toBe(true);
    const xml = Buffer.from(b64, 'base64').toString('utf8');
    const xpath = (expr: string) => execFileSync(TOOLS.xmllint, ['--xpath', expr, '-'], { input: xml }).toString().replace(/\n$/, ''); // as $(...) in sh
    expect(xpath('string(/HOST/TEMPLATE/FENCE_IP)')).toBe('10.0.0.42');
    expect(xpath('string(/HOST/ID)')).toBe('42');
    expect(xpath('string(/HOST/NAME)')).toBe('node<42>&');
    expect(xpath('string(/HOST/TEMPLATE/ODD)')).toBe('a <b> & ]]> c');
  });
  it('leaves out attribute names XML cannot carry', () => {
    const xml = buildHostXml({ ...host, template: { FENCE_IP: '1.2.3.4', 'BAD NAME': 'x', '1X': 'y' } });
    expect(xml).toContain('<FENCE_IP><![CDATA[1.2.3.4]]></FENCE_IP>');
    expect(xml).not.toMatch(/BAD NAME|1X/);
  });
});

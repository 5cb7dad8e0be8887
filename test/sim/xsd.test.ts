// Every kind of XML the simulator serves, fetched over real XML-RPC, must
// validate against its own OpenNebula XSD with xmllint. xmllint is required:
// without it this suite fails instead of skipping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectServed, type Served } from './coverage';
import { Xmllint } from './xmllint';

let served: Served[] = [];
let lint: Xmllint;

beforeAll(async () => {
  lint = new Xmllint();
  served = await collectServed();
}, 20_000);

afterAll(() => lint?.close());

describe('served XML validates against the OpenNebula XSDs', () => {
  const schemas = [
    'host.xsd', 'host_pool.xsd', 'vm.xsd', 'vm_pool.xsd', 'vm_pool_extended.xsd', 'datastore.xsd', 'datastore_pool.xsd',
    'opennebula_configuration.xsd', 'user.xsd', 'raftstatus.xsd', 'document.xsd', 'document_pool.xsd', 'hook.xsd', 'hook_pool.xsd', 'acl_pool.xsd',
    'api_info.xsd',
  ];

  it('covers every kind, including the tricky states', () => {
    expect(new Set(served.map((s) => s.xsd))).toEqual(new Set(schemas));
    const names = served.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['host 1', 'vm 42', 'empty vm pool', 'empty host pool', 'hook 0 with log', 'document locked']));
    const host1 = served.find((s) => s.name === 'host 1')!.xml;
    expect(host1).toContain('<STATE>3</STATE>');
    const vm42 = served.find((s) => s.name === 'vm 42')!.xml;
    expect(vm42).toContain('<LCM_STATE>16</LCM_STATE>');
    expect(vm42.match(/<HISTORY>/g)).toHaveLength(2);
    expect(served.find((s) => s.name === 'vm 41')!.xml.match(/<HISTORY>/g)).toHaveLength(3);
    expect(served.find((s) => s.name === 'hook 0 with log')!.xml).toContain('<HOOK_EXECUTION_RECORD>');
    expect(served.filter((s) => s.xsd === 'api_info.xsd').map((s) => /<RESULT>(\d)<\/RESULT>/.exec(s.xml)?.[1])).toEqual(['1', '0']);
    expect(served.find((s) => s.name === 'api hook 2 with log')!.xml).toContain('<TYPE>api</TYPE>');
    expect(served.find((s) => s.name === 'empty vm pool')!.xml).toBe('<VM_POOL></VM_POOL>');
  });

  it('looks like oned: no declaration, no namespace, the expected root', () => {
    for (const s of served) {
      expect(s.xml, s.name).not.toContain('<?xml');
      expect(s.xml, s.name).not.toContain('xmlns');
      expect(s.xml.startsWith(`<${s.root}>`), s.name).toBe(true);
      expect(s.xml.endsWith(`</${s.root}>`), s.name).toBe(true);
    }
  });

  it.each(schemas)('%s', (xsd) => {
    const docs = served.filter((s) => s.xsd === xsd);
    expect(docs.length).toBeGreaterThan(0);
    const r = lint.validate(xsd, docs);
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });
});

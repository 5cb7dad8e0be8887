// Every kind of XML the simulator serves, fetched over real XML-RPC, must
// validate against its own OpenNebula XSD with xmllint. xmllint is required:
// without it this suite fails instead of skipping.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectServed, type Served } from './coverage';
import { XSD_DIR } from './helpers';

let served: Served[] = [];
let dir = '';

beforeAll(async () => {
  const v = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) {
    throw new Error('xmllint is required for the XSD tests (Debian: apt-get install libxml2-utils)');
  }
  if (!existsSync(join(XSD_DIR, 'vm.xsd'))) throw new Error(`OpenNebula XSDs not found in ${XSD_DIR} (set ONEHA_XSD_DIR)`);
  dir = mkdtempSync(join(tmpdir(), 'oneha-sim-xsd-'));
  served = await collectServed();
}, 20_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Validates documents against one schema in a single xmllint run; returns the failures' output. */
function validate(xsd: string, docs: Served[]): { ok: boolean; output: string } {
  const files = docs.map((d, i) => {
    const f = join(dir, `${xsd.replace('.xsd', '')}-${i}.xml`);
    // oned sends no namespace; the XSDs have a target namespace
    writeFileSync(f, d.xml.replace(new RegExp(`^<${d.root}(?=[ >/])`), `<${d.root} xmlns="http://opennebula.org/XMLSchema"`));
    return f;
  });
  const r = spawnSync('xmllint', ['--noout', '--schema', join(XSD_DIR, xsd), ...files], { encoding: 'utf8' });
  const output = (r.stderr ?? '').split('\n').filter((l) => l && !/ validates$/.test(l))
    .map((l) => l.replace(dir, '').replace(/^\/?([a-z_]+)-(\d+)\.xml/, (_, __, i) => `[${docs[Number(i)].name}]`)).join('\n');
  return { ok: r.status === 0, output };
}

describe('served XML validates against the OpenNebula XSDs', () => {
  const schemas = [
    'host.xsd', 'host_pool.xsd', 'vm.xsd', 'vm_pool.xsd', 'vm_pool_extended.xsd', 'datastore.xsd', 'datastore_pool.xsd',
    'opennebula_configuration.xsd', 'user.xsd', 'raftstatus.xsd', 'document.xsd', 'document_pool.xsd', 'hook.xsd', 'hook_pool.xsd',
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
    const r = validate(xsd, docs);
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });
});

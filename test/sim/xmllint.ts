// Validation of served XML against OpenNebula's XSDs with xmllint (required:
// without it the XSD tests fail instead of skipping).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Served } from './coverage';
import { XSD_DIR } from './helpers';

export class Xmllint {
  private readonly dir: string;

  constructor() {
    const v = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
    if (v.error || v.status !== 0) {
      throw new Error('xmllint is required for the XSD tests (Debian: apt-get install libxml2-utils)');
    }
    if (!existsSync(join(XSD_DIR, 'vm.xsd'))) throw new Error(`OpenNebula XSDs not found in ${XSD_DIR} (set ONEHA_XSD_DIR)`);
    this.dir = mkdtempSync(join(tmpdir(), 'oneha-sim-xsd-'));
  }

  /** Validates documents against one schema in a single xmllint run; returns the failures' output. */
  validate(xsd: string, docs: Served[]): { ok: boolean; output: string } {
    const dir = this.dir;
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

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

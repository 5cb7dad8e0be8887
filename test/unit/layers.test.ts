// The layer rule (README, "Layout"): model/ and functions/ import nothing
// from runner/, sim/, demo/ or node:* (so the functions bundle alone and the
// page can use model/); runner/ never imports sim/ or demo/ (the production
// bundle holds no simulator); the page imports model/ and, for types only,
// the runner. Checked on the import statements of every source file.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((f) => {
    const p = join(dir, f);
    return statSync(join(ROOT, p)).isDirectory() ? sources(p) : /\.ts$/.test(f) && !f.endsWith('.d.ts') ? [p] : [];
  });
}

/** Every module a file imports, with whether the import is for types only. */
export function importsOf(text: string): Array<{ spec: string; typeOnly: boolean }> {
  const out: Array<{ spec: string; typeOnly: boolean }> = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) out.push({ spec: m[3], typeOnly: !!m[2] });
  // import('x') at run time; typeof import('x') is a type.
  for (const m of text.matchAll(/(typeof\s+)?\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ spec: m[2], typeOnly: !!m[1] });
  return out;
}

/** The top folder an import lands in ('node' for node:*, 'package' for npm packages). */
function target(file: string, spec: string): string {
  if (spec.startsWith('node:')) return 'node';
  if (!spec.startsWith('.')) return 'package';
  return relative(ROOT, resolve(ROOT, dirname(file), spec)).split('/')[0];
}

const RULES: Record<string, { forbidden: string[]; typesAllowed?: string[] }> = {
  model: { forbidden: ['runner', 'sim', 'demo', 'functions', 'plugin', 'node'] },
  functions: { forbidden: ['runner', 'sim', 'demo', 'plugin', 'node'] },
  runner: { forbidden: ['sim', 'demo', 'plugin'], typesAllowed: ['sim', 'demo'] },
  // The simulator is the oracle oneha is tested against: it shares none of oneha's code.
  sim: { forbidden: ['runner', 'functions', 'model', 'demo', 'plugin'] },
  plugin: { forbidden: ['runner', 'functions', 'sim', 'demo', 'node'], typesAllowed: ['runner', 'functions'] },
};

export function violations(file: string, text: string): string[] {
  const rule = RULES[file.split('/')[0]];
  if (!rule) return [];
  return importsOf(text)
    .filter(({ spec, typeOnly }) => {
      const to = target(file, spec);
      return rule.forbidden.includes(to) && !(typeOnly && rule.typesAllowed?.includes(to));
    })
    .map(({ spec }) => `${file} imports ${spec}`);
}

describe('layers', () => {
  it('model/, functions/, runner/, sim/ and plugin/ import only what their layer may', () => {
    const found = ['model', 'functions', 'runner', 'sim', 'plugin/src'].flatMap(sources).flatMap((f) => violations(f, readFileSync(join(ROOT, f), 'utf8')));
    expect(found).toEqual([]);
  });

  it('the check fails on a forbidden import', () => {
    expect(violations('model/x.ts', "import { readFileSync } from 'node:fs';")).toEqual(['model/x.ts imports node:fs']);
    expect(violations('functions/x.ts', "import { Runner } from '../runner/runner';")).toEqual(['functions/x.ts imports ../runner/runner']);
    expect(violations('runner/x.ts', "const m = await import('../sim/server');")).toEqual(['runner/x.ts imports ../sim/server']);
    expect(violations('runner/cli/x.ts', "type D = typeof import('../../demo/demo');")).toEqual([]);
    expect(violations('plugin/src/x.ts', "import type { HostView } from '../../runner/http/hostsRoutes';")).toEqual([]);
    expect(violations('plugin/src/x.ts', "import { hostView } from '../../runner/http/hostsRoutes';")).toEqual(['plugin/src/x.ts imports ../../runner/http/hostsRoutes']);
  });

  it('dist/oneha.mjs and its chunks (dist/oneha-*.mjs) hold neither the simulator nor the demo (they are dist/sim.mjs and dist/demo.mjs)', () => {
    const bundle = join(ROOT, 'dist', 'oneha.mjs');
    if (!existsSync(bundle)) throw new Error('dist/oneha.mjs is missing: run `npm run build` (npm test does it first)');
    const chunks = readdirSync(join(ROOT, 'dist')).filter((f) => /^oneha-.*\.mjs$/.test(f));
    expect(chunks.length, 'dist/oneha.mjs is split into chunks').toBeGreaterThan(0);
    const text = [bundle, ...chunks.map((f) => join(ROOT, 'dist', f))].map((f) => readFileSync(f, 'utf8')).join('\n');
    // scheduleFail: the simulated cloud's timed failures; demoScenario's host names: the demo's cloud.
    expect(text).not.toContain('scheduleFail');
    expect(readFileSync(join(ROOT, 'dist', 'sim.mjs'), 'utf8')).toContain('scheduleFail');
    expect(text).not.toContain('ipmi_sim');
    expect(readFileSync(join(ROOT, 'dist', 'demo.mjs'), 'utf8')).toContain('ipmi_sim');
  });
});

// Each recovery function, bundled alone by esbuild, runs as
// `node dist/functions/<name>.mjs < input.json`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatastorePool, parseHost, parseVmPool } from '../../model/oneXml';
import { asOned, hookPayload, sample } from '../helpers/samples';
import { bundleSizes } from '../../bench/lib/bundleBudget';
import { functions } from '../../functions/registry';
import * as z from '../../model/zod';
import { killAll, requireBuild, ROOT, run, sim, startSim, tempDir, writeFile } from '../helpers/processes';

const bundle = (name: string) => join(ROOT, 'dist', 'functions', `${name}.mjs`);
const runFn = (name: string, input: unknown, env: Record<string, string> = {}, args: string[] = []) =>
  run(process.execPath, [bundle(name), ...args], { input: typeof input === 'string' ? input : JSON.stringify(input), env: { ONEHA_CONFIG: '', ...env } });

let s: Awaited<ReturnType<typeof startSim>>;
let env: Record<string, string>;
beforeAll(async () => {
  requireBuild();
  s = await startSim('sample');
  const dir = tempDir();
  env = { ONE_XMLRPC: s.url, ONE_AUTH: writeFile(dir, 'one_auth', 'oneadmin:oneadmin\n'), HOME: dir };
  await sim(s.control, 'POST', '/hosts/1/fail');
});
afterAll(() => killAll());

describe('function bundles', () => {
  it('every function has its own bundle', () => {
    for (const n of ['decode', 'wait', 'fence', 'inventory', 'select', 'migrate', 'recreate', 'delete', 'verify']) expect(existsSync(bundle(n)), n).toBe(true);
    // Pure functions carry no OpenNebula client.
    expect(readFileSync(bundle('select'), 'utf8')).not.toContain('one.vmpool.infoset');
  });

  it('each bundle is within its target (pure <= 100 KiB, effectful <= 200 KiB), or a ceiling set in bench/lib/bundleBudget.ts for one not there yet', () => {
    const sizes = bundleSizes(ROOT);
    expect(sizes.map((b) => b.name).sort()).toEqual(Object.keys(functions).sort());
    for (const b of sizes) {
      expect(b.ceiling, `${b.name}: a ceiling above the target`).toBeGreaterThanOrEqual(b.target);
      expect(b.bytes, `dist/functions/${b.name}.mjs (${b.kind})`).toBeLessThanOrEqual(b.ceiling);
    }
    // Zod's locales (an `import { z } from 'zod'` anywhere keeps all 40) are in no bundle: its Dutch message is not.
    for (const b of sizes) expect(readFileSync(bundle(b.name), 'utf8'), b.name).not.toContain('Ongeldige invoer');
  });

  it('decode: hook stdin in, HostFailure out', async () => {
    const r = await runFn('decode', { payload: hookPayload('-m -p 5') });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ host: { id: 1, name: 'kvm-node-02' }, options: { mode: 'migrate', pause: 5 } });
  });

  it('select: a plan from the samples, no oned needed', async () => {
    const input = {
      host: parseHost(asOned(sample('host_error.xml'))), vms: parseVmPool(asOned(sample('vm_pool.xml'))),
      datastores: parseDatastorePool(asOned(sample('datastore_pool.xml'))), options: { mode: 'delete', force: false, pause: 0, fencing: true },
    };
    const r = await runFn('select', input);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).actions.map((a: { vmId: number }) => a.vmId)).toEqual([41, 42, 43, 44]);
  });

  it('the schemas a bundle carries are zod/mini (model/zod.ts), never classic zod, whose every schema brings all its methods (~95 KiB)', () => {
    const files = (d: string): string[] => readdirSync(join(ROOT, d), { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? files(`${d}/${e.name}`) : e.name.endsWith('.ts') ? [`${d}/${e.name}`] : []));
    const bundled = [...files('model'), ...files('functions'), 'runner/config.ts', 'runner/fence/secrets.ts', 'runner/journal/events.ts', 'runner/flow/brakes.ts'];
    const classic = bundled.filter((f) => /from 'zod'/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(classic, 'import * as z from \'../model/zod\' instead').toEqual([]);
  });

  it('--help: the description and the input JSON Schema (written at build time, the bundle carries no JSON Schema writer)', async () => {
    for (const name of ['select', 'inventory']) {
      const fn = functions[name as keyof typeof functions];
      const r = await runFn(name, '', {}, ['--help']);
      expect(r.code).toBe(0);
      const [head, label, ...schema] = r.stdout.split('\n');
      expect([head, label]).toEqual([`${fn.name}: ${fn.description}`, 'Input JSON schema:']);
      expect(JSON.parse(schema.join('\n'))).toEqual(z.toJSONSchema(fn.input, { unrepresentable: 'any', io: 'input' }));
    }
  });

  it.each([
    ['not JSON', 'decode', '{oops', /not JSON/],
    ['wrong shape', 'select', { host: 1 }, /invalid input for select/],
    ['a step error', 'decode', { payload: 'x -m' }, /bad-base64/],
  ])('bad input (%s): non-zero exit, the error on stderr', async (_w, fn, input, err) => {
    const r = await runFn(fn, input);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(err);
    expect(r.stdout).toBe('');
  });

  it('inventory and a dry-run migrate against the simulator (real ports from ONE_XMLRPC / ONE_AUTH)', async () => {
    const inv = await runFn('inventory', { hostId: 1 }, env);
    expect(inv.code, inv.stderr).toBe(0);
    const got = JSON.parse(inv.stdout);
    expect(got.vms.map((v: { id: number }) => v.id).sort()).toEqual([41, 42, 43, 44]);
    const actions = [{ vmId: 41, vmName: 'web-01', state: 'ACTIVE/UNKNOWN', operation: 'resched' }];
    await sim(s.control, 'DELETE', '/calls');
    const m = await runFn('migrate', { hostId: 1, actions }, env, ['--dry-run']);
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout).outcomes[0]).toMatchObject({ outcome: 'dry-run', detail: 'would call one.vm.action("resched", 41)' });
    const calls = (await sim(s.control, 'GET', '/calls')).calls.map((c: { method: string }) => c.method);
    expect(calls).toEqual(['one.vmpool.infoset']);
  });

  it('wait with pause 0 and fence with fencing disabled need nothing from oned', async () => {
    expect(JSON.parse((await runFn('wait', { hostId: 1, pause: 0 }, env)).stdout)).toMatchObject({ result: 'skipped' });
    const host = parseHost(asOned(sample('host_error.xml')));
    expect(JSON.parse((await runFn('fence', { host, methods: [], fencing: false }, env)).stdout)).toMatchObject({ outcome: 'skipped' });
  });
});

describe('the drop-in bundle (dist/oneha-dropin.cjs, `oneha hook host-error`)', () => {
  /** The Node modules a drop-in run loaded, as node lists them at exit (process.moduleLoadList), and its exit code. */
  function loadedBy(args: string[]): { builtins: string[]; status: number | null } {
    const dir = tempDir();
    const preload = writeFile(dir, 'loaded.cjs', `process.on('exit', () => require('fs').writeSync(2, 'LOADED ' + JSON.stringify(process.moduleLoadList) + '\\n'));\n`);
    const auth = writeFile(dir, 'one_auth', 'oneadmin:x\n');
    const r = spawnSync(process.execPath, ['-r', preload, ...args], {
      cwd: ROOT, input: 'not-base64 -m -p 0', encoding: 'utf8', env: { ...process.env, ONE_XMLRPC: 'http://127.0.0.1:9/RPC2', ONE_AUTH: auth, ONEHA_CONFIG: '' },
    });
    const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
    expect(line, r.stderr).toBeDefined();
    return { builtins: (JSON.parse(line!.slice('LOADED '.length)) as string[]).filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length)), status: r.status };
  }

  it('loads, before deciding on its payload, no HTTP, child process or crypto module (so neither oned\'s client transport nor the fence-agent runner is initialised)', () => {
    for (const args of [['dist/oneha-dropin.cjs', 'hook', 'host-error'], ['dist/oneha.mjs', 'hook', 'host-error']]) {
      const { builtins, status } = loadedBy(args);
      expect(status, args.join(' ')).toBe(2); // refused payload: decided without oned
      expect(builtins).toContain('fs'); // the list is read
      for (const b of ['http', 'https', 'child_process', 'crypto', 'dns/promises', 'net']) expect(builtins, `${args[0]}: node:${b}`).not.toContain(b);
    }
    // Run directly (as /usr/bin/oneha runs it), it never starts node's ES module loader: its dynamic imports are require()s.
    expect(loadedBy(['dist/oneha-dropin.cjs', 'hook', 'host-error']).builtins).not.toContain('internal/modules/esm/module_job');
  });

  it('is two CommonJS files, the later one (the steps after decode, the fence-agent runner) on the first one\'s modules; the entry requires it for `oneha hook`', () => {
    expect(readdirSync(join(ROOT, 'dist')).filter((f) => f.startsWith('oneha-dropin')).sort())
      .toEqual(['oneha-dropin-later.cjs', 'oneha-dropin-later.cjs.map', 'oneha-dropin.cjs', 'oneha-dropin.cjs.map']);
    expect(readFileSync(join(ROOT, 'dist', 'oneha.mjs'), 'utf8')).toContain('oneha-dropin.cjs');
    const req = createRequire(join(ROOT, 'dist', 'x.cjs'));
    const first = req('./oneha-dropin.cjs');
    const later = req('./oneha-dropin-later.cjs');
    // One copy of each shared module: the step the flow decodes with is the registry's, and an error
    // class the later part throws is the one the first part classifies with.
    expect(later.functions.decode).toBe(first.__shared['functions/decode.ts'].decode);
    expect(Object.keys(first.__shared)).toContain('model/errors.ts');
    expect(readFileSync(join(ROOT, 'dist', 'oneha-dropin-later.cjs'), 'utf8')).not.toMatch(/\$ZodType/); // zod is not in it twice
  });
});

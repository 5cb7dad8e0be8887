// Everything esbuild makes: the CLI/runner bundle, the simulator, one bundle
// per recovery function, the admin-console page and its Sunstone plugin.
import { build } from 'esbuild';
import { toJSONSchema } from 'zod/mini';
import { federatedContainer } from './plugin/sunstone/container.mjs';
import { existsSync, mkdirSync, readdirSync, writeFileSync, cpSync, statSync, rmSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

const node = { platform: 'node', target: 'node20', format: 'esm', bundle: true, legalComments: 'none', logLevel: 'warning' };
// The simulator and the demo bundle xmlrpc, which is CommonJS and calls
// require('http'): their ESM output gets a require. Nothing else needs one,
// and each file that makes it pays for it at load (node:module and a
// require per chunk; the drop-in loads six), so the others go without:
// checked after the build (a bundled require() would call esbuild's shim, which throws).
const withRequire = { ...node, banner: { js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" } };

mkdirSync('dist/functions', { recursive: true });
mkdirSync('dist/.entries', { recursive: true });

// The functions to bundle are the registry's (functions/registry.ts), each
// from functions/<name>.ts: read the registry itself rather than a list here.
await build({ ...node, entryPoints: ['functions/registry.ts'], outfile: 'dist/.entries/registry.mjs', packages: 'external' });
const { functions } = await import(`./dist/.entries/registry.mjs?${Date.now()}`);
const functionNames = Object.keys(functions);
for (const name of functionNames) {
  // Pure functions (no ports) bundle without the OpenNebula client or the fence runner.
  const pure = functions[name].ports.length === 0;
  // `--help` prints the input's JSON Schema: made here, so the bundle does not carry zod's JSON Schema writer (~20 KiB).
  const inputSchema = JSON.stringify(toJSONSchema(functions[name].input, { unrepresentable: 'any', io: 'input' }));
  writeFileSync(`dist/.entries/${name}.ts`, [
    `import * as m from '../../functions/${name}';`,
    `import { runStandalone } from '../../runner/standalone';`,
    `const fn = Object.values(m).find((v) => typeof v === 'object' && v !== null && 'run' in v && (v as { name?: string }).name === '${functions[name].name}');`,
    pure ? `void runStandalone(fn as never, ${inputSchema});` : `import { portsFromEnvironment } from '../../runner/standalonePorts';\nvoid runStandalone(fn as never, ${inputSchema}, portsFromEnvironment);`,
  ].join('\n') + '\n');
}

// dist/oneha.mjs is split (esbuild code splitting): the entry holds the command
// table and its help, and each command's code sits in dist/oneha-*.mjs chunks
// loaded when it runs, so `--help` or the drop-in reads and runs only what it
// uses. The chunks stay beside the entry (paths taken from import.meta.url
// resolve the same), and deploy/install.sh installs them with it. Chunk names
// carry a content hash: the previous build's are removed first.
for (const f of readdirSync('dist')) if (/^oneha-.*\.[cm]js(\.map)?$/.test(f)) rmSync(`dist/${f}`);
/**
 * The drop-in: dist/oneha-dropin.cjs, and dist/oneha-dropin-later.cjs for what it imports dynamically
 * (the steps after decode, the fence-agent runner, name resolution), required when first reached.
 * In one CommonJS file esbuild would wrap every module a dynamic import reaches (zod, the model, the
 * XML reader...) in a lazy initialiser, and V8 parses such a module twice (skimmed at load, parsed
 * again when run): about 7 ms of CPU at start (bench startup). The later file takes each module the
 * first one has from it (its `__shared` table), so both run one copy of zod, the model and its classes.
 */
async function buildDropIn() {
  const main = resolve('dist/oneha-dropin.cjs');
  const LATER = './oneha-dropin-later.cjs';
  // A dynamic import becomes a require() when reached: esbuild keeps an external one an import(), and the
  // first import() starts node's ES module loader (with fs/promises, streams, readline: a few ms).
  const dynamicToLater = { name: 'dynamic-to-later', setup(b) {
    b.onResolve({ filter: /^(\.|node:)/ }, (a) => (a.kind === 'dynamic-import' ? { path: a.path.startsWith('.') ? LATER : a.path, namespace: 'required' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'required' }, (a) => ({ contents: `module.exports = require(${JSON.stringify(a.path)});`, loader: 'js' }));
    b.onResolve({ filter: /^\.\/oneha-dropin-later\.cjs$/ }, (a) => (a.kind === 'require-call' ? { path: a.path, external: true } : undefined));
  } };
  const dropIn = { ...node, format: 'cjs', minify: true, sourcemap: 'linked', plugins: [dynamicToLater] };
  const first = await build({ ...dropIn, entryPoints: ['runner/cli/dropInMain.ts'], write: false, outfile: main, metafile: true });
  const inMain = new Set(Object.keys(first.metafile.inputs).map((f) => resolve(f)));
  const shared = new Set();
  const fromMain = { name: 'from-main', setup(b) {
    b.onResolve({ filter: /.*/ }, async (a) => {
      if (a.pluginData === 'resolving' || a.kind === 'entry-point') return undefined;
      const r = await b.resolve(a.path, { resolveDir: a.resolveDir, kind: a.kind, pluginData: 'resolving' });
      if (r.errors.length || r.external || !inMain.has(r.path)) return r.errors.length ? { errors: r.errors } : r;
      shared.add(r.path);
      return { path: r.path, namespace: 'shared' };
    });
    b.onResolve({ filter: /^\.\/oneha-dropin\.cjs$/ }, (a) => ({ path: a.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'shared' }, (a) => ({ contents: `module.exports = require('./oneha-dropin.cjs').__shared[${JSON.stringify(relative('.', a.path))}];`, loader: 'js', resolveDir: resolve('dist') }));
  } };
  const laterEntry = { contents: ['functions/registry', 'runner/fence/agentPort', 'runner/fence/bmcAddress'].map((m) => `export * from './${m}';`).join('\n'), resolveDir: resolve('.'), loader: 'ts' };
  // Unminified first, to read which names the later file takes from each shared module (ns.name):
  // the table holds those only, so the drop-in keeps tree-shaking zod and the XML reader.
  const probe = await build({ ...dropIn, minify: false, sourcemap: false, write: false, plugins: [dynamicToLater, fromMain], stdin: laterEntry, outfile: resolve('dist/oneha-dropin-later.cjs') });
  const code = probe.outputFiles[0].text;
  const names = new Map();
  for (const m of code.matchAll(/var (require_\w+) = __commonJS\(\{\s*"shared:[^"]*"\(exports\d*, module\d*\) \{\s*module\d*\.exports = require\("\.\/oneha-dropin\.cjs"\)\.__shared\[("[^"]+")\]/g)) {
    const key = JSON.parse(m[2]);
    const used = names.get(key) ?? new Set();
    for (const v of code.matchAll(new RegExp(`var ([\\w$]+) = __toESM\\(${m[1]}\\(\\)\\)`, 'g'))) {
      for (const u of code.matchAll(new RegExp(`\\b${v[1]}\\.([A-Za-z_$][\\w$]*)`, 'g'))) used.add(u[1]);
      // The namespace itself handed on (not only its members) would need every name: refuse rather than guess.
      if (new RegExp(`\\b${v[1]}\\b(?!\\.)`).test(code.replace(v[0], ''))) throw new Error(`build: the drop-in's later part uses ${key} as a whole`);
    }
    names.set(key, used);
  }
  if (names.size !== shared.size) throw new Error(`build: the drop-in's later part: ${shared.size} shared modules, ${names.size} read`);
  await build({ ...dropIn, plugins: [dynamicToLater, fromMain], stdin: laterEntry, outfile: resolve('dist/oneha-dropin-later.cjs') });
  const keys = [...names.keys()];
  const table = keys.map((k, i) => `import { ${[...names.get(k)].map((n, j) => `${n} as m${i}_${j}`).join(', ')} } from ${JSON.stringify(resolve(k))};`).join('\n');
  const rows = keys.map((k, i) => `${JSON.stringify(k)}: { ${[...names.get(k)].map((n, j) => `${n}: m${i}_${j}`).join(', ')} }`).join(', ');
  await build({ ...dropIn, stdin: { contents: `export * from './runner/cli/dropInMain';\n${table}\nexport const __shared = { ${rows} };`, resolveDir: resolve('.'), loader: 'ts' }, outfile: main });
}

const jobs = [
  build({ ...node, entryPoints: { oneha: 'runner/main.ts' }, outdir: 'dist', splitting: true, chunkNames: 'oneha-[name]-[hash]', outExtension: { '.js': '.mjs' }, minify: true, sourcemap: 'linked' }),
  // The drop-in (`oneha hook host-error`, which oned's hook manager starts on every host failure) is a
  // build of its own: in the build above a chunk holds every part of a module that any command uses (all of
  // zod's core that the HTTP API's OpenAPI writer needs, for one), so the drop-in would compile ~60 KB it
  // never runs. It is one CommonJS file, which deploy/bin/oneha runs directly: node starts a CommonJS main
  // without its ES module loader (bench startup); its later steps and the fence-agent runner are in it,
  // initialised when reached (esbuild wraps what is imported dynamically), and the entry imports it for `oneha hook`.
  buildDropIn(),
  build({ ...withRequire, entryPoints: ['sim/main.ts'], outfile: 'dist/sim.mjs', minify: true }),
  // The demo (runner + embedded simulator) apart from dist/oneha.mjs, which loads it only for `oneha demo`.
  build({ ...withRequire, entryPoints: ['demo/demo.ts'], outfile: 'dist/demo.mjs', minify: true }),
  build({ ...node, entryPoints: Object.fromEntries(functionNames.map((n) => [n, `dist/.entries/${n}.ts`])), outdir: 'dist/functions', outExtension: { '.js': '.mjs' }, minify: true }),
];
if (existsSync('plugin/src/main.ts')) {
  jobs.push(build({ entryPoints: ['plugin/src/main.ts'], outfile: 'dist/plugin/app.js', bundle: true, minify: true, format: 'esm', target: 'es2022', platform: 'browser', legalComments: 'none', logLevel: 'warning' }));
}
// The Sunstone plugin: a Module Federation container (remoteType var) around
// an esbuild bundle; React, MUI and FireEdge's modules come from FireEdge.
const SUNSTONE_SHARED = ['react', '@mui/material'];
const SUNSTONE_REMOTES = { '@ComponentsModule': 'ComponentsModule', '@ConstantsModule': 'ConstantsModule', '@ModelsModule': 'ModelsModule', '@ProvidersModule': 'ProvidersModule' };
jobs.push(build({
  entryPoints: ['plugin/sunstone/index.ts'], bundle: true, write: false, minify: true, format: 'iife', globalName: '__exports',
  platform: 'browser', target: 'es2019', jsx: 'transform', legalComments: 'none', logLevel: 'warning',
  external: [...SUNSTONE_SHARED, ...Object.keys(SUNSTONE_REMOTES), 'oneha:entry'],
}).then((r) => {
  mkdirSync('dist/sunstone/OnehaModule', { recursive: true });
  writeFileSync('dist/sunstone/OnehaModule/remoteEntry.js', federatedContainer({ name: 'OnehaModule', shared: SUNSTONE_SHARED, remotes: SUNSTONE_REMOTES, body: r.outputFiles[0].text }));
}));
await Promise.all(jobs);
// A require() esbuild could not resolve statically becomes its __require shim, which throws in ESM without the banner.
for (const f of [...readdirSync('dist').filter((f) => /^oneha.*\.mjs$/.test(f)), ...readdirSync('dist/functions').map((f) => `functions/${f}`)]) {
  if (readFileSync(`dist/${f}`, 'utf8').includes('typeof require')) throw new Error(`dist/${f} calls require(): build it with withRequire (build.mjs)`);
}
if (existsSync('plugin/public')) cpSync('plugin/public', 'dist/plugin', { recursive: true });

const sizes = {};
const walk = (d) => readdirSync(d).flatMap((f) => (statSync(`${d}/${f}`).isDirectory() ? walk(`${d}/${f}`) : [`${d}/${f}`]));
for (const f of walk('dist').filter((f) => /\.(mjs|js|css|html)$/.test(f) && !f.includes('.entries'))) {
  const buf = readFileSync(f);
  sizes[f] = { bytes: buf.length, gzip: gzipSync(buf).length };
}
writeFileSync('dist/sizes.json', JSON.stringify(sizes, null, 2));
console.log(`built ${Object.keys(sizes).length} files into dist/`);

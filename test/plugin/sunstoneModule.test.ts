// The Sunstone plugin's bundle speaks Webpack Module Federation's container
// protocol (remoteType var) the way FireEdge's shell drives it
// (modules/utils/tabManifest.js): a global with init(shareScope) and
// get('.') -> factory -> exports. Run here in a VM with a share scope and
// FireEdge remotes standing in; the real FireEdge is test/fireedge.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/processes';

const ENTRY = join(ROOT, 'dist', 'sunstone', 'OnehaModule', 'remoteEntry.js');
let code = '';

beforeAll(() => {
  code = readFileSync(ENTRY, 'utf8');
});

type Container = { init(scope: unknown): Promise<void>; get(m: string): Promise<() => Record<string, unknown>> };

/** Evaluates remoteEntry.js as a classic <script> would, with FireEdge's remotes on window. */
function load(remotes: string[] = ['ComponentsModule', 'ConstantsModule', 'ModelsModule', 'ProvidersModule']) {
  const window: Record<string, unknown> = {};
  for (const r of remotes) window[r] = { get: async () => () => ({ [`from${r}`]: true }) };
  const ctx = createContext({ window, document: { currentScript: { src: 'http://fe.example:2616/fireedge/modules/OnehaModule/remoteEntry.js' } } });
  runInContext(code, ctx);
  return { window, container: (ctx as unknown as { OnehaModule: Container }).OnehaModule };
}

/** webpack's share scope: { pkg: { version: { get, loaded } } }, get() -> Promise<factory>. */
function scope() {
  const made: string[] = [];
  const entry = (pkg: string, version: string, loaded?: number) => ({
    loaded, from: 'Host', eager: false,
    get: () => Promise.resolve(() => {
      made.push(`${pkg}@${version}`);
      return pkg === 'react' ? { createElement: () => null, useState: () => [], useEffect: () => undefined, useCallback: (f: unknown) => f, version } : { version };
    }),
  });
  return {
    made,
    scope: {
      react: { '17.0.2': entry('react', '17.0.2', 1), '18.2.0': entry('react', '18.2.0') },
      '@mui/material': { '5.4.1': entry('@mui/material', '5.4.1'), '5.10.0': entry('@mui/material', '5.10.0') },
      'react-dom': { '17.0.2': entry('react-dom', '17.0.2') },
    },
  };
}

describe('OnehaModule remoteEntry.js', () => {
  it('is small and bundles no React or MUI of its own', () => {
    expect(gzipSync(code).length).toBeLessThanOrEqual(30 * 1024);
    for (const marker of ['__SECRET_INTERNALS_DO_NOT_USE', 'react.element', 'MuiButtonBase', 'emotion']) expect(code).not.toContain(marker);
  });

  it('declares a global container and exports the pages the tab manifest names', async () => {
    const { container } = load();
    const s = scope();
    await container.init(s.scope);
    const exports = (await container.get('.'))();
    expect(Object.keys(exports).sort()).toEqual(['HaHosts', 'HaRecoveries']);
    expect(typeof exports.HaHosts).toBe('function');
    // singletons as webpack picks them: the loaded react (17.0.2, not the higher 18), else the highest MUI, marked loaded
    expect(s.made.sort()).toEqual(['@mui/material@5.10.0', 'react@17.0.2']);
    expect((s.scope['@mui/material']['5.10.0'] as { loaded?: number }).loaded).toBe(1);
    // the factory gives the same exports every time (one module instance)
    expect((await container.get('.'))()).toBe(exports);
  });

  it('refuses what it cannot do, with messages naming the module', async () => {
    const { container } = load();
    await expect(container.get('.')).rejects.toThrow('OnehaModule: get() before init()');
    await expect(load().container.init({ react: scope().scope.react })).rejects.toThrow("OnehaModule: @mui/material is not in FireEdge's share scope");
    const noComponents = load(['ConstantsModule', 'ModelsModule', 'ProvidersModule']).container;
    await expect(noComponents.init(scope().scope)).rejects.toThrow('OnehaModule: FireEdge module ComponentsModule is not loaded');
    const ok = load().container;
    await ok.init(scope().scope);
    await expect(ok.get('./other')).rejects.toThrow('OnehaModule: no module ./other');
  });
});

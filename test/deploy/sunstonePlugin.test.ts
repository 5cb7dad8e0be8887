// deploy/sunstone/plugin.sh against a copy of FireEdge's shipped Sunstone
// configuration: files first, the remotes-config.yaml entry last, idempotent,
// and an uninstall that leaves FireEdge's files as they were.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FIREEDGE_DIR } from '../helpers/fireedge';
import { ROOT, tempDir } from '../helpers/processes';

const SCRIPT = join(ROOT, 'deploy', 'sunstone', 'plugin.sh');
let modules = '';
let sunstone = '';
const shipped = () => readFileSync(join(FIREEDGE_DIR, 'etc', 'sunstone', 'remotes-config.yaml'), 'utf8');
const run = (...args: string[]) => spawnSync(SCRIPT, [...args, '--modules', modules, '--sunstone', sunstone], { encoding: 'utf8' });

beforeEach(() => {
  const dir = tempDir('oneha-sunstone-');
  modules = join(dir, 'modules');
  sunstone = join(dir, 'sunstone');
  mkdirSync(modules);
  cpSync(join(FIREEDGE_DIR, 'etc', 'sunstone'), sunstone, { recursive: true });
  execFileSync('chmod', ['-R', 'u+w', dir]);
});

describe('deploy/sunstone/plugin.sh', () => {
  it('installs the module files, views and overlay, then registers the remote; twice changes nothing', () => {
    const r = run('install', '--runner', 'https://fe.example:2720/');
    expect(r.status, r.stderr).toBe(0);
    // the order the output reports is the order of the work: files, then the entry
    expect(r.stdout.indexOf('installed')).toBeLessThan(r.stdout.indexOf('registered OnehaModule'));
    expect(readdirSync(join(modules, 'OnehaModule')).sort()).toEqual(['config.json', 'remoteEntry.js']);
    expect(JSON.parse(readFileSync(join(modules, 'OnehaModule', 'config.json'), 'utf8'))).toEqual({ runner: 'https://fe.example:2720' });
    expect(readFileSync(join(sunstone, 'views', 'admin', 'oneha-tab.yaml'), 'utf8')).toContain('resource_name: "HA"');
    expect(existsSync(join(sunstone, 'views', 'user', 'oneha-tab.yaml'))).toBe(false);
    expect(readFileSync(join(sunstone, 'tabs', 'oneha.yaml'), 'utf8')).toContain('moduleId: OnehaModule');
    const once = readFileSync(join(sunstone, 'remotes-config.yaml'), 'utf8');
    expect(once).toBe(`${shipped()}OnehaModule:\n  name: OnehaModule\n  entry: __HOST__/fireedge/modules/OnehaModule/remoteEntry.js\n`);
    expect(run('install', '--runner', 'https://fe.example:2720/').status).toBe(0);
    expect(readFileSync(join(sunstone, 'remotes-config.yaml'), 'utf8')).toBe(once);
    expect(readdirSync(modules)).toEqual(['OnehaModule']);
  });

  it('uninstalls in the reverse order and leaves FireEdge\'s configuration as shipped', () => {
    run('install', '--views', 'admin,groupadmin');
    const r = run('uninstall');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.indexOf('removed OnehaModule from')).toBeLessThan(r.stdout.indexOf(`removed ${join(modules, 'OnehaModule')}`));
    expect(readFileSync(join(sunstone, 'remotes-config.yaml'), 'utf8')).toBe(shipped());
    expect(readdirSync(modules)).toEqual([]);
    expect(existsSync(join(sunstone, 'tabs', 'oneha.yaml'))).toBe(false);
    expect(existsSync(join(sunstone, 'views', 'groupadmin', 'oneha-tab.yaml'))).toBe(false);
    expect(run('uninstall').status).toBe(0);
  });

  it('refuses bad input before touching anything', () => {
    for (const [args, message] of [
      [['install', '--runner', 'ftp://x'], '--runner must be an http(s) URL'],
      [['install', '--runner', 'http://x/"; rm -rf /'], '--runner must not contain quotes'],
      [['install', '--views', 'nosuchview'], 'no Sunstone view nosuchview'],
    ] as const) {
      const r = run(...args);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(message);
      expect(readFileSync(join(sunstone, 'remotes-config.yaml'), 'utf8')).toBe(shipped());
    }
  });
});

describe('deploy/install.sh and the Sunstone plugin', () => {
  it('installs the plugin where FireEdge is installed, and its uninstall removes it first', () => {
    const root = tempDir('oneha-root-');
    mkdirSync(join(root, 'usr', 'lib', 'one', 'fireedge', 'dist', 'modules'), { recursive: true });
    mkdirSync(join(root, 'etc', 'one', 'fireedge'), { recursive: true });
    cpSync(join(FIREEDGE_DIR, 'etc', 'sunstone'), join(root, 'etc', 'one', 'fireedge', 'sunstone'), { recursive: true });
    execFileSync('chmod', ['-R', 'u+w', root]);
    const install = join(ROOT, 'deploy', 'install.sh');
    const out = execFileSync(install, ['--prefix', root, '--no-chown', '--sunstone-runner', 'https://front-end.example:2720'], { encoding: 'utf8' });
    expect(out).toContain('registered OnehaModule');
    const remotes = join(root, 'etc', 'one', 'fireedge', 'sunstone', 'remotes-config.yaml');
    expect(readFileSync(remotes, 'utf8')).toContain('OnehaModule:');
    expect(readFileSync(join(root, 'usr', 'lib', 'one', 'fireedge', 'dist', 'modules', 'OnehaModule', 'config.json'), 'utf8')).toContain('https://front-end.example:2720');
    const un = execFileSync(install, ['--uninstall', '--prefix', root], { encoding: 'utf8' });
    expect(un.indexOf('removed OnehaModule from')).toBe(un.indexOf('removed'));
    expect(readFileSync(remotes, 'utf8')).toBe(shipped());
    expect(existsSync(join(root, 'usr', 'lib', 'one', 'fireedge', 'dist', 'modules', 'OnehaModule'))).toBe(false);
  });
});

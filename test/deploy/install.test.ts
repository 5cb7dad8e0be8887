// deploy/install.sh into a temporary root: idempotent, secrets private and
// kept, the hook installed where the hook template's COMMAND points, and
// uninstall / purge remove what install put there.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './hookHarness';

const INSTALL = join(REPO, 'deploy/install.sh');
const work = mkdtempSync(join(tmpdir(), 'oneha-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The real bundle when it has been built (npm run build), else a stand-in. */
let bundle = process.env.ONEHA_BUNDLE ?? join(REPO, 'dist/oneha.mjs');
beforeAll(() => {
  if (!existsSync(bundle)) {
    bundle = join(work, 'oneha.mjs');
    writeFileSync(bundle, '// stand-in for dist/oneha.mjs\nconsole.log("oneha");\n');
  }
});

function install(root: string, ...args: string[]) {
  return installWithPath(process.env.PATH ?? '/usr/bin:/bin', root, ...args);
}

function installWithPath(path: string, root: string, ...args: string[]) {
  const r = spawnSync(INSTALL, ['--prefix', root, '--no-chown', ...args], {
    encoding: 'utf8', env: { PATH: path, ONEHA_BUNDLE: bundle },
  });
  expect(r.status, r.stdout + r.stderr).toBe(0);
  return r;
}

/** path -> "mode sha256" of every file, and "mode dir" of every directory, under root. */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out[relative(root, p) + '/'] = `${mode} dir`;
        walk(p);
      } else {
        out[relative(root, p)] = `${mode} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
      }
    }
  };
  walk(root);
  return out;
}
const mode = (p: string) => (lstatSync(p).mode & 0o777).toString(8);

describe('deploy/install.sh', () => {
  const root = join(work, 'root');

  it('installs everything in place, twice, with identical results', () => {
    const first = install(root);
    expect(first.stdout).toContain('systemctl daemon-reload && systemctl enable --now oneha');
    expect(first.stdout).toContain('onehook create /usr/share/oneha/host_error.hook');
    expect(first.stdout).toContain('onehook create /usr/share/oneha/probe.hook');
    const before = tree(root);
    const second = install(root);
    expect(second.stdout).toContain(`kept ${root}/etc/oneha/oneha.env`);
    expect(tree(root)).toEqual(before); // every file's content and mode, every directory's mode

    expect(readFileSync(join(root, 'usr/lib/oneha/oneha.mjs')).equals(readFileSync(bundle))).toBe(true);
    expect(mode(join(root, 'usr/lib/oneha/oneha.mjs'))).toBe('644');
    expect(readFileSync(join(root, 'etc/systemd/system/oneha.service'), 'utf8')).toBe(readFileSync(join(REPO, 'deploy/systemd/oneha.service'), 'utf8'));
    expect(mode(join(root, 'usr/bin/oneha'))).toBe('755');
    expect(JSON.parse(readFileSync(join(root, 'etc/oneha/oneha.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(REPO, 'deploy/oneha.json.example'), 'utf8')));
    expect(readFileSync(join(root, 'usr/share/doc/oneha/runbook.md'), 'utf8')).toBe(readFileSync(join(REPO, 'docs/runbook.md'), 'utf8'));
  });

  it('installs the runner entry with its chunks (oneha-*.mjs beside it), and an upgrade removes the previous build\'s chunks', () => {
    const build = (dir: string, chunk: string) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, chunk), `export const chunk = '${chunk}';\n`);
      writeFileSync(join(dir, 'oneha.mjs'), `const { chunk } = await import('./${chunk}');\nconsole.log(chunk);\n`);
      return join(dir, 'oneha.mjs');
    };
    const up = join(work, 'upgrade');
    const lib = join(up, 'usr/lib/oneha');
    const runInstalled = () => spawnSync(process.execPath, [join(lib, 'oneha.mjs')], { encoding: 'utf8' }).stdout.trim();
    install(up, '--bundle', build(join(work, 'build1'), 'oneha-chunk-AAAA.mjs'));
    expect(readdirSync(lib).filter((f) => f.endsWith('.mjs')).sort()).toEqual(['oneha-chunk-AAAA.mjs', 'oneha.mjs']);
    expect(runInstalled()).toBe('oneha-chunk-AAAA.mjs');
    install(up, '--bundle', build(join(work, 'build2'), 'oneha-chunk-BBBB.mjs'));
    expect(readdirSync(lib).filter((f) => f.endsWith('.mjs')).sort()).toEqual(['oneha-chunk-BBBB.mjs', 'oneha.mjs']);
    expect(runInstalled()).toBe('oneha-chunk-BBBB.mjs');
    installWithPath(process.env.PATH ?? '/usr/bin:/bin', up, '--uninstall');
    expect(existsSync(lib)).toBe(false);
  });

  it('the installed runner bundle runs from its folder: `oneha --help`, and the drop-in, through the entry and through /usr/bin/oneha', () => {
    if (!existsSync(join(REPO, 'dist/oneha.mjs')) || bundle !== join(REPO, 'dist/oneha.mjs')) return; // the stand-in has no chunks
    const lib = join(root, 'usr/lib/oneha');
    for (const f of readdirSync(join(REPO, 'dist')).filter((f) => /^oneha-.*\.[cm]js$/.test(f))) {
      expect(readFileSync(join(lib, f)).equals(readFileSync(join(REPO, 'dist', f))), f).toBe(true);
    }
    expect(spawnSync(process.execPath, [join(lib, 'oneha.mjs'), '--help'], { encoding: 'utf8' }).stdout).toContain('Usage: oneha <command>');
    const auth = join(work, 'one_auth');
    writeFileSync(auth, 'oneadmin:x\n');
    const dropIn = spawnSync(process.execPath, [join(lib, 'oneha.mjs'), 'hook', 'host-error'], {
      input: 'not-base64 -m -p 0', encoding: 'utf8', env: { ...process.env, ONE_XMLRPC: 'http://127.0.0.1:9/RPC2', ONE_AUTH: auth, ONEHA_CONFIG: '' },
    });
    expect(dropIn.stderr).toContain('the first word is not base64');
    expect(dropIn.status).toBe(2);
    // /usr/bin/oneha runs the drop-in's own build (oneha-dropin.cjs) for `hook`, and its help through the entry.
    const cli = (...args: string[]) => spawnSync(join(root, 'usr/bin/oneha'), args, {
      input: 'not-base64 -m -p 0', encoding: 'utf8', env: { ...process.env, ONE_XMLRPC: 'http://127.0.0.1:9/RPC2', ONE_AUTH: auth, ONEHA_CONFIG: '', ONEHA_ENV_FILE: join(work, 'none.env') },
    });
    const viaCli = cli('hook', 'host-error', '-m');
    expect(viaCli.stderr).toContain('the first word is not base64');
    expect(viaCli.status).toBe(2);
    expect(cli('hook', 'host-error', '--help').stdout).toContain('Usage: oneha hook host-error');
    expect(cli('hook', 'resumed').stderr).toContain('oneha hook takes one event: host-error');
  });

  it('puts the hook script where both hook templates\' relative COMMAND resolves (hook_base_path + COMMAND)', () => {
    for (const hook of ['host_error.hook', 'probe.hook']) {
      const template = readFileSync(join(root, 'usr/share/oneha', hook), 'utf8');
      expect(template).toBe(readFileSync(join(REPO, 'deploy/onehook', hook), 'utf8'));
      const command = /^COMMAND\s*=\s*"([^"]+)"/m.exec(template)![1];
      const script = join(root, 'var/lib/one/remotes/hooks', command);
      expect(readFileSync(script, 'utf8'), hook).toBe(readFileSync(join(REPO, 'deploy/onehook/onehook.sh'), 'utf8'));
      expect(mode(script)).toBe('755');
    }
    // The probe hook is an API hook on one.hook.update with $API on stdin (runner/hookProbe.ts).
    expect(readFileSync(join(root, 'usr/share/oneha/probe.hook'), 'utf8')).toMatch(/^NAME += "oneha_probe"\nTYPE += "api"\nCALL += "one.hook.update"\n[^]*ARGUMENTS += "\$API"\nARGUMENTS_STDIN = "yes"/m);
    expect(mode(join(root, 'var/lib/one/remotes/hooks/oneha/host_error.sh'))).toBe('755');
  });

  it('creates the secrets private (0600), a random hex token, and a hook.env that matches it', () => {
    const etc = join(root, 'etc/oneha');
    for (const f of ['token', 'hook.env', 'secrets.json']) expect(mode(join(etc, f)), f).toBe('600');
    expect(mode(etc)).toBe('750');
    expect(mode(join(root, 'var/lib/oneha'))).toBe('750');
    const token = readFileSync(join(etc, 'token'), 'utf8');
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(etc, 'hook.env'), 'utf8')).toBe(`ONEHA_URL=http://127.0.0.1:2720\nONEHA_TOKEN=${token}\n`);
    expect(JSON.parse(readFileSync(join(etc, 'secrets.json'), 'utf8'))).toEqual({});
    // another install gets another token
    const other = join(work, 'other');
    install(other);
    expect(readFileSync(join(other, 'etc/oneha/token'), 'utf8')).not.toBe(token);
  });

  it('keeps the token, secrets and edited configuration on a re-run, and repairs a stale hook.env', () => {
    const etc = join(root, 'etc/oneha');
    const token = readFileSync(join(etc, 'token'), 'utf8');
    writeFileSync(join(etc, 'secrets.json'), '{"default":{"username":"admin","password":"s3cret"}}\n');
    writeFileSync(join(etc, 'oneha.json'), '{"listen":"127.0.0.1:2999"}\n');
    writeFileSync(join(etc, 'hook.env'), 'ONEHA_URL=http://10.0.0.5:2720\nONEHA_TOKEN=old\n');
    install(root);
    expect(readFileSync(join(etc, 'token'), 'utf8')).toBe(token);
    expect(readFileSync(join(etc, 'secrets.json'), 'utf8')).toContain('s3cret');
    expect(readFileSync(join(etc, 'oneha.json'), 'utf8')).toBe('{"listen":"127.0.0.1:2999"}\n');
    // the operator's URL stays, the token is brought back in line with the runner's
    expect(readFileSync(join(etc, 'hook.env'), 'utf8')).toBe(`ONEHA_URL=http://10.0.0.5:2720\nONEHA_TOKEN=${token}\n`);
    for (const f of ['token', 'hook.env', 'secrets.json']) expect(mode(join(etc, f)), f).toBe('600');
  });

  it('points hook.env at ONEHA_LISTEN from an existing oneha.env', () => {
    const r2 = join(work, 'listen');
    mkdirSync(join(r2, 'etc/oneha'), { recursive: true });
    writeFileSync(join(r2, 'etc/oneha/oneha.env'), 'ONEHA_LISTEN=0.0.0.0:2799\n');
    install(r2);
    expect(readFileSync(join(r2, 'etc/oneha/hook.env'), 'utf8')).toMatch(/^ONEHA_URL=http:\/\/127\.0\.0\.1:2799\n/);
  });

  it('refuses to install without a bundle, and --activate into a prefix', () => {
    const noBundle = spawnSync(INSTALL, ['--prefix', join(work, 'nb'), '--no-chown', '--bundle', join(work, 'nope.mjs')], { encoding: 'utf8' });
    expect(noBundle.status).not.toBe(0);
    expect(noBundle.stderr).toContain('npm run build');
    const activate = spawnSync(INSTALL, ['--prefix', join(work, 'act'), '--no-chown', '--activate'], { encoding: 'utf8', env: { ...process.env, ONEHA_BUNDLE: bundle } });
    expect(activate.status).not.toBe(0);
    expect(activate.stderr).toContain('--activate only with --prefix /');
    expect(existsSync(join(work, 'act'))).toBe(false);
  });

  it('--uninstall removes the program files and keeps secrets, edited configuration and the journal', () => {
    const r3 = join(work, 'un');
    install(r3);
    writeFileSync(join(r3, 'var/lib/oneha/journal.log'), 'x');
    writeFileSync(join(r3, 'etc/oneha/oneha.json'), '{"concurrency":{"vms":4}}\n'); // edited: kept
    // oneha.env left as installed: removed
    const token = readFileSync(join(r3, 'etc/oneha/token'), 'utf8');
    install(r3, '--uninstall');
    const left = Object.keys(tree(r3)).filter((p) => !p.endsWith('/')).sort();
    expect(left).toEqual(['etc/oneha/hook.env', 'etc/oneha/oneha.json', 'etc/oneha/secrets.json', 'etc/oneha/token', 'var/lib/oneha/journal.log']);
    expect(readFileSync(join(r3, 'etc/oneha/token'), 'utf8')).toBe(token);
    // program directories are gone, not just emptied
    for (const d of ['usr/lib/oneha', 'usr/share/oneha', 'usr/share/doc/oneha', 'var/lib/one/remotes/hooks/oneha']) {
      expect(existsSync(join(r3, d)), d).toBe(false);
    }
    // a re-install after uninstall keeps the old token
    install(r3);
    expect(readFileSync(join(r3, 'etc/oneha/token'), 'utf8')).toBe(token);
  });

  it('--uninstall --purge removes every file it installed', () => {
    const r4 = join(work, 'purge');
    install(r4);
    install(r4, '--uninstall', '--purge');
    expect(Object.keys(tree(r4)).filter((p) => !p.endsWith('/'))).toEqual([]);
    expect(existsSync(join(r4, 'etc/oneha'))).toBe(false);
    expect(existsSync(join(r4, 'var/lib/oneha'))).toBe(false);
  });

  describe('on a front-end that already has a host-error hook', () => {
    /** A stand-in `onehook` answering `list -x` with this pool (hook_pool.xsd shape) and logging every call. */
    const withOnehook = (hooks: Array<{ id: number; name: string; type: string; resource: string; state?: string; command: string }>) => {
      const bin = join(work, `bin-${hooks.map((h) => h.id).join('-')}`);
      mkdirSync(bin, { recursive: true });
      // Run as root, install.sh asks oneadmin (su) to list the hooks: let that user reach the stand-in.
      chmodSync(work, 0o755);
      chmodSync(bin, 0o777);
      const pool = `<HOOK_POOL>${hooks.map((h) => `<HOOK><ID>${h.id}</ID><NAME>${h.name}</NAME><TYPE>${h.type}</TYPE><TEMPLATE>` +
        `<ARGUMENTS><![CDATA[$TEMPLATE -m -p 5]]></ARGUMENTS><COMMAND><![CDATA[${h.command}]]></COMMAND><RESOURCE><![CDATA[${h.resource}]]></RESOURCE>` +
        `${h.state ? `<STATE><![CDATA[${h.state}]]></STATE>` : ''}</TEMPLATE></HOOK>`).join('')}</HOOK_POOL>`;
      writeFileSync(join(bin, 'onehook'), `#!/bin/sh\necho "$*" >> '${bin}/calls'\n[ "$1 $2" = "list -x" ] && printf '%s' '${pool}'\nexit 0\n`, { mode: 0o755 });
      return { path: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, calls: () => (existsSync(join(bin, 'calls')) ? readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n') : []) };
    };

    it('finds the stock host_error hook and prints the onehook update that switches its COMMAND, never a second onehook create', () => {
      const fake = withOnehook([
        { id: 0, name: 'host_error', type: 'state', resource: 'HOST', state: 'ERROR', command: 'ft/host_error.rb' },
        { id: 4, name: 'vm_audit', type: 'state', resource: 'VM', state: 'ACTIVE', command: 'audit.sh' },
        { id: 5, name: 'daily', type: 'api', resource: 'HOST', command: 'x.sh' },
      ]);
      const r = installWithPath(fake.path, join(work, 'existing-hook'));
      expect(r.stdout).toContain('found hook 0 (host_error, COMMAND ft/host_error.rb) acting on host ERROR: oneha takes it over instead of adding a second hook');
      expect(r.stdout).toContain("printf '%s\\n' 'COMMAND = \"oneha/onehook.sh\"' 'TIMEOUT = \"60\"' > /tmp/oneha-hook-update.txt");
      expect(r.stdout).toContain("su oneadmin -s /bin/sh -c 'onehook update 0 /tmp/oneha-hook-update.txt -a'");
      expect(r.stdout).not.toContain('onehook update 4');
      expect(r.stdout).not.toContain('onehook create /usr/share/oneha/host_error.hook');
      // the probe hook is not a host-error hook: it comes with the takeover too
      expect(r.stdout).toContain("su oneadmin -s /bin/sh -c 'onehook show oneha_probe >/dev/null 2>&1 || onehook create /usr/share/oneha/probe.hook'");
      // only read: nothing is changed without --activate
      expect(fake.calls()).toEqual(['list -x']);
    });

    it('without one, it prints the onehook create of its own hook', () => {
      const fake = withOnehook([{ id: 4, name: 'vm_audit', type: 'state', resource: 'VM', state: 'ACTIVE', command: 'audit.sh' }]);
      const r = installWithPath(fake.path, join(work, 'no-existing-hook'));
      expect(r.stdout).toContain('onehook create /usr/share/oneha/host_error.hook');
      expect(r.stdout).not.toContain('onehook update');
    });

    it('--uninstall does not tell the operator to disable a unit it has just removed', () => {
      const r4 = join(work, 'un-hint');
      install(r4);
      const r = install(r4, '--uninstall');
      expect(r.stdout).not.toContain('systemctl disable');
      expect(r.stdout).toContain('onehook delete oneha_host_error; onehook delete oneha_probe');
      expect(existsSync(join(r4, 'usr/share/oneha/probe.hook'))).toBe(false);
    });
  });
});

// Every shell script under deploy/ passes shellcheck. shellcheck is required:
// without it this test fails (it is never skipped).
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './hookHarness';

/** Files under deploy/ named *.sh or starting with a #!/bin/sh-style line. */
function shellScripts(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...shellScripts(p));
    else if (name.endsWith('.sh') || /^#!\s*\/(usr\/)?bin\/(env\s+)?(ba|da)?sh\b/.test(readFileSync(p, 'utf8').slice(0, 40))) out.push(p);
  }
  return out.sort();
}

const SCRIPTS = shellScripts(join(REPO, 'deploy'));

function shellcheck(args: string[], input?: string) {
  return spawnSync('shellcheck', args, { input, encoding: 'utf8' });
}

describe('shell scripts', () => {
  it('shellcheck is installed (apt-get install shellcheck)', () => {
    const r = shellcheck(['--version']);
    expect(r.error, 'shellcheck is not installed: apt-get install shellcheck').toBeUndefined();
    expect(r.status).toBe(0);
  });

  it('finds the deploy scripts', () => {
    const rel = SCRIPTS.map((p) => relative(REPO, p));
    expect(rel).toEqual(expect.arrayContaining([
      'deploy/bin/oneha', 'deploy/install.sh', 'deploy/onehook/host_error_foreground.sh', 'deploy/onehook/onehook.sh',
    ]));
  });

  it('shellcheck catches a real mistake (the check below is not a no-op)', () => {
    const r = shellcheck(['-s', 'sh', '-'], '#!/bin/sh\nrm -rf $1/*\n');
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain('SC2086');
  });

  it.each(SCRIPTS.map((p) => [relative(REPO, p), p]))('%s passes shellcheck as POSIX sh and is executable', (_rel, path) => {
    expect(readFileSync(path, 'utf8').startsWith('#!/bin/sh\n'), 'POSIX sh shebang').toBe(true);
    const r = shellcheck(['--shell=sh', '--severity=style', '--external-sources', path]);
    expect(r.error).toBeUndefined();
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
    execFileSync('test', ['-x', path]);
  });
});

// fence_ipmilan (and its copies fence_ilo3/4/5, fence_idrac, fence_imm, ...)
// reads the password from stdin but then runs `ipmitool ... -P <password>`:
// for the first milliseconds of every ipmitool run, until ipmitool masks its
// own argv, any local user can read the password in /proc/<pid>/cmdline
// (measured: a poller catches it on most runs). So for these agents oneha
// sends no password at all (the agent then passes `-P ''`), puts it in the
// environment as IPMI_PASSWORD (/proc/<pid>/environ is private to its owner)
// and points the agent's ipmitool_path at this wrapper, which drops `-P x`
// and runs ipmitool with -E (password from the environment).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REAL_IPMITOOL = '/usr/bin/ipmitool';

const WRAPPER = `#!/bin/sh
# oneha: run ipmitool with the password from IPMI_PASSWORD (-E), never from argv.
skip=0
for a do
  shift
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  if [ "$a" = "-P" ]; then skip=1; continue; fi
  set -- "$@" "$a"
done
exec "\${ONEHA_IPMITOOL:-${REAL_IPMITOOL}}" -E "$@"
`;

let wrapperPath: string | undefined;

/**
 * Writes the wrapper into a private (0700) temp dir, removed at exit; written
 * again if a temp cleaner removed it while the runner ran.
 */
export function ipmitoolWrapper(): string {
  if (wrapperPath && existsSync(wrapperPath)) return wrapperPath;
  const dir = mkdtempSync(join(tmpdir(), 'oneha-fence-'));
  const path = join(dir, 'ipmitool-env');
  writeFileSync(path, WRAPPER, { mode: 0o700 });
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  wrapperPath = path;
  return path;
}

// Agents whose metadata is not readable still get the treatment when their
// name says they are ipmitool-based.
const KNOWN = /^fence_(ipmilan|ipmilanplus|ipmi\w*|ilo[345](_\w+)?|idrac|imm)$/;
const cache = new Map<string, Promise<boolean>>();

/** True when the agent has an ipmitool_path parameter (read from `-o metadata`, once per agent). */
export function usesIpmitool(agentPath: string, agentName: string): Promise<boolean> {
  let p = cache.get(agentPath);
  if (!p) {
    p = new Promise<boolean>((resolve) => {
      let out = '';
      const child = spawn(agentPath, ['-o', 'metadata'], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', PYTHONWARNINGS: 'ignore' }, stdio: ['ignore', 'pipe', 'ignore'] });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.on('error', () => { clearTimeout(timer); resolve(KNOWN.test(agentName)); });
      child.on('close', () => { clearTimeout(timer); resolve(out.includes('name="ipmitool_path"') || KNOWN.test(agentName)); });
    });
    cache.set(agentPath, p);
  }
  return p;
}

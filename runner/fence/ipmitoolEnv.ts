// fence_ipmilan (and its copies fence_ilo3/4/5, fence_idrac, fence_imm, ...)
// reads the password from stdin but then runs `ipmitool ... -P <password>`:
// for the first milliseconds of every ipmitool run, until ipmitool masks its
// own argv, any local user can read the password in /proc/<pid>/cmdline
// (measured: a poller catches it on most runs). So for these agents oneha
// sends no password at all (the agent then passes `-P ''`), puts it in the
// environment as IPMI_PASSWORD (/proc/<pid>/environ is private to its owner)
// and points the agent's ipmitool_path at this wrapper, which drops `-P x`
// and runs ipmitool with -E (password from the environment).
import { existsSync, lstatSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentMetadata } from './agentMetadata';

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
 * One private dir per user (0700, owned by us, not a symlink), reused across
 * processes so no temp dir piles up after a kill; the wrapper is written
 * afresh (atomically) by each process, and again if a temp cleaner removed
 * it. A dir that fails the checks is not used: a private mkdtemp one is.
 */
function privateDir(): string {
  const uid = process.getuid?.() ?? 0;
  const dir = join(tmpdir(), `oneha-fence-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return mkdtempSync(join(tmpdir(), 'oneha-fence-'));
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return mkdtempSync(join(tmpdir(), 'oneha-fence-'));
  return dir;
}

export function ipmitoolWrapper(): string {
  if (wrapperPath && existsSync(wrapperPath)) return wrapperPath;
  const dir = privateDir();
  const path = join(dir, 'ipmitool-env');
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, WRAPPER, { mode: 0o700 });
  renameSync(tmp, path);
  wrapperPath = path;
  return path;
}

// Agents whose metadata is not readable still get the treatment when their
// name says they are ipmitool-based.
const KNOWN = /^fence_(ipmilan|ipmilanplus|ipmi\w*|ilo[345](_\w+)?|idrac|imm)$/;

/** True when the agent has an ipmitool_path parameter (from its metadata, read once per agent). */
export async function usesIpmitool(agentPath: string, agentName: string): Promise<boolean> {
  const r = await agentMetadata(agentPath, agentName);
  return (r.ok && r.metadata.parameters.some((p) => p.name === 'ipmitool_path')) || KNOWN.test(agentName);
}

// deploy/systemd/oneha.service: valid for systemd, hardened, and not so
// hardened that node or the fence agents cannot work.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from './hookHarness';

const UNIT = join(REPO, 'deploy/systemd/oneha.service');
const text = readFileSync(UNIT, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'oneha-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Directive -> values (a directive may repeat). */
function directives(unit: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const d = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (d) m.set(d[1], [...(m.get(d[1]) ?? []), d[2]]);
  }
  return m;
}
const D = directives(text);
const one = (k: string) => {
  const v = D.get(k);
  expect(v, `${k}= set once`).toHaveLength(1);
  return v![0];
};

/** systemd-analyze verify on a copy whose ExecStart points at a binary that exists here. */
function verify(unitText: string, name = 'oneha.service') {
  const path = join(dir, name);
  writeFileSync(path, unitText);
  return spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
}
const runnable = (t: string) => t.replace(/^ExecStart=.*$/m, 'ExecStart=/bin/true serve');

describe('deploy/systemd/oneha.service', () => {
  it('systemd-analyze is installed (package systemd)', () => {
    const r = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    expect(r.error, 'systemd-analyze is missing: apt-get install systemd').toBeUndefined();
    expect(r.status).toBe(0);
  });

  it('passes systemd-analyze verify without a single warning', () => {
    const r = verify(runnable(text));
    expect(r.stderr + r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('verify does flag mistakes (so the clean result above means something)', () => {
    const typo = verify(runnable(text).replace('ProtectSystem=strict', 'ProtectSytem=strict'), 'typo.service');
    expect(typo.stderr).toContain("Unknown key 'ProtectSytem'");
    const missing = verify(text.replace(/^ExecStart=.*$/m, 'ExecStart=/nonexistent/node serve'), 'missing.service');
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('/nonexistent/node');
  });

  it('runs the bundle as oneadmin with the env file, restarts on failure, logs to the journal', () => {
    expect(one('ExecStart')).toBe('/usr/bin/node /usr/lib/oneha/oneha.mjs serve');
    expect(one('User')).toBe('oneadmin');
    expect(one('EnvironmentFile')).toBe('-/etc/oneha/oneha.env');
    expect(one('Restart')).toBe('on-failure');
    expect(one('StandardOutput')).toBe('journal');
    expect(one('StandardError')).toBe('journal');
    expect(one('WantedBy')).toBe('multi-user.target');
  });

  it('is hardened', () => {
    for (const k of ['NoNewPrivileges', 'PrivateTmp', 'ProtectKernelTunables', 'ProtectKernelModules', 'ProtectKernelLogs',
      'ProtectControlGroups', 'LockPersonality', 'RestrictSUIDSGID', 'RestrictRealtime', 'RestrictNamespaces']) {
      expect(one(k), k).toBe('yes');
    }
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ProtectHome')).toBe('read-only'); // oneadmin's one_auth must stay readable
    expect(one('ReadWritePaths')).toBe('/var/lib/oneha /etc/oneha');
    expect(one('CapabilityBoundingSet')).toBe('');
    const copy = join(dir, 'oneha.service');
    writeFileSync(copy, runnable(text));
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', copy], { encoding: 'utf8' });
    const exposure = /Overall exposure level for oneha\.service: ([\d.]+)/.exec(r.stdout);
    expect(exposure, r.stdout + r.stderr).not.toBeNull();
    expect(Number(exposure![1])).toBeLessThanOrEqual(2.5); // systemd rates <= 2.x "OK"
  });

  it('leaves what node and the fence agents need', () => {
    const families = one('RestrictAddressFamilies').split(/\s+/);
    // UDP/TCP to BMCs (IPMI 623/udp, Redfish https), ssh for fence_virsh, syslog/journal
    expect(families.sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_UNIX']);
    // node's JIT needs W+X memory; the agents spawn ipmitool, python, ssh
    for (const k of ['MemoryDenyWriteExecute', 'PrivateNetwork', 'IPAddressDeny', 'NoExecPaths', 'ExecPaths', 'PrivateUsers']) {
      expect(D.has(k), `${k} would break node or the fence agents`).toBe(false);
    }
    expect(one('SystemCallFilter')).toBe('@system-service');
    expect(one('SystemCallErrorNumber')).toBe('EPERM'); // a missed syscall fails, it does not kill the runner
  });
});

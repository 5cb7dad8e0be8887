// Host template -> fence levels, option parsing, and the validators the
// console uses.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fenceMethodsForHost, HostPolicyError, isValidFenceIp, readFenceOptions, writeFenceOptions } from '../../model/hostPolicy';
import { listInstalledAgents } from '../../runner/fence/installedAgents';

const parseFenceOptions = (text: string) => {
  const r = readFenceOptions(text);
  if (!r.ok) throw new HostPolicyError(r.problem);
  return r.options;
};
const formatFenceOptions = (o: Record<string, string>) => {
  const r = writeFenceOptions(o);
  if (!r.ok) throw new HostPolicyError(r.problem);
  return r.text;
};
import { testHost } from '../helpers/bmc/fenceRig';
import { requireTool, TOOLS } from '../helpers/bmc/tools';

describe('readFenceOptions / writeFenceOptions', () => {
  it('reads key=value separated by spaces or commas; a bare key is 1; dashes become underscores', () => {
    expect(parseFenceOptions('lanplus=1 cipher=3,ipport=6230  ,ssl-insecure')).toEqual({ lanplus: '1', cipher: '3', ipport: '6230', ssl_insecure: '1' });
    expect(parseFenceOptions('  ')).toEqual({});
  });
  it('round-trips', () => {
    const o = { lanplus: '1', cipher: '3', ipport: '6230' };
    expect(parseFenceOptions(formatFenceOptions(o))).toEqual(o);
    expect(formatFenceOptions(o)).toBe('lanplus=1 cipher=3 ipport=6230');
  });
  it.each([
    ['password=hunter2', /carries a secret/],
    ['passwd=x', /carries a secret/],
    ['password_script=/bin/cat', /carries a secret/],
    ['snmp_priv_passwd=x', /carries a secret/],
    ['hexadecimal_kg=abcd', /carries a secret/],
    ['action=reboot', /chosen by oneha/],
    ['username=root', /secret store/],
    ['ip=10.0.0.1', /comes from FENCE_IP/],
    ['ipmitool_path=/tmp/x', /run programs/],
    ['lanplus=1 lanplus=0', /given twice/],
    ['ipport=', /has no value/],
    ['Cipher=3'.replace('C', '$'), /not an option name/],
    ['plug="a"', /quotes/],
  ])('refuses %s', (text, re) => {
    const r = readFenceOptions(text);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.problem).toMatch(re);
  });
  it('refuses to format what it would not parse (so no write can store a secret)', () => {
    expect(() => formatFenceOptions({ password: 'x' })).toThrow(/carries a secret/);
    expect(() => formatFenceOptions({ plug: 'a b' })).toThrow(/whitespace/);
  });
});

describe('fenceMethodsForHost', () => {
  it('is empty when nothing is configured (FENCE_IP alone is not a method)', () => {
    expect(fenceMethodsForHost(testHost(1, { FENCE_IP: '10.0.0.1' }), {})).toEqual([]);
  });
  it('builds level 1 from the template, FENCE_IP as ip, defaults under the host options', () => {
    const h = testHost(1, { FENCE_IP: '10.0.0.1', ONEHA_FENCE_AGENT: 'fence_ipmilan', ONEHA_FENCE_OPTIONS: 'cipher=17 ipport=6230' });
    expect(fenceMethodsForHost(h, { options: { lanplus: '1', cipher: '3' } })).toEqual([
      { kind: 'agent', agent: 'fence_ipmilan', options: { lanplus: '1', cipher: '17', ipport: '6230', ip: '10.0.0.1' } },
    ]);
  });
  it('uses the default agent, and leaves ip out when the host has no FENCE_IP (the fence step then fails it)', () => {
    expect(fenceMethodsForHost(testHost(1, {}), { agent: 'fence_redfish' })).toEqual([{ kind: 'agent', agent: 'fence_redfish', options: {} }]);
  });
  it('builds level 2, secret refs and the command, in that order', () => {
    const h = testHost(1, {
      FENCE_IP: 'bmc1.example.org', ONEHA_FENCE_AGENT: 'fence_redfish', ONEHA_FENCE_SECRET_REF: 'bmcs',
      ONEHA_FENCE_AGENT_2: 'fence_apc_snmp', ONEHA_FENCE_OPTIONS_2: 'plug=7', FENCE_IP_2: '10.0.9.9', ONEHA_FENCE_SECRET_REF_2: 'pdu-a',
      ONEHA_FENCE_COMMAND: '/var/lib/one/remotes/hooks/ft/fence_host.sh',
    });
    expect(fenceMethodsForHost(h, { command: '/ignored', allowedCommands: ['/var/lib/one/remotes/hooks/ft/fence_host.sh'] })).toEqual([
      { kind: 'agent', agent: 'fence_redfish', options: { ip: 'bmc1.example.org' }, secretRef: 'bmcs' },
      { kind: 'agent', agent: 'fence_apc_snmp', options: { plug: '7', ip: '10.0.9.9' }, secretRef: 'pdu-a' },
      { kind: 'command', command: '/var/lib/one/remotes/hooks/ft/fence_host.sh' },
    ]);
  });
  it('uses the default command when the host sets none', () => {
    expect(fenceMethodsForHost(testHost(1, {}), { command: '/usr/local/bin/fence.sh' })).toEqual([{ kind: 'command', command: '/usr/local/bin/fence.sh' }]);
  });
  it.each([
    [{ ONEHA_FENCE_AGENT: 'ipmilan' }, /ONEHA_FENCE_AGENT on host node1 \(1\).*not a fence agent name/],
    [{ ONEHA_FENCE_AGENT: 'fence_ipmilan', FENCE_IP: 'not an ip!' }, /FENCE_IP on host node1 \(1\).*not an IP address or host name/],
    [{ ONEHA_FENCE_AGENT: 'fence_ipmilan', ONEHA_FENCE_OPTIONS: 'password=x' }, /ONEHA_FENCE_OPTIONS on host node1 \(1\): "password" carries a secret/],
    [{ ONEHA_FENCE_OPTIONS: 'lanplus=1' }, /ONEHA_FENCE_OPTIONS .* no ONEHA_FENCE_AGENT/],
    [{ ONEHA_FENCE_AGENT_2: 'fence_apc' }, /needs FENCE_IP_2/],
    [{ FENCE_IP_2: '10.0.0.2' }, /FENCE_IP_2 .* ONEHA_FENCE_AGENT_2 is not/],
    [{ ONEHA_FENCE_AGENT: 'fence_ipmilan', ONEHA_FENCE_SECRET_REF: 'a b' }, /ONEHA_FENCE_SECRET_REF .* not a secret ref/],
  ])('refuses a bad setting loudly: %o', (template, re) => {
    expect(() => fenceMethodsForHost(testHost(1, template), {})).toThrow(re);
  });
  it('names every attribute a problem involves, so a form can point at the field', () => {
    try {
      fenceMethodsForHost(testHost(1, { ONEHA_FENCE_OPTIONS: 'lanplus=1' }), {});
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(HostPolicyError);
      expect((e as HostPolicyError).attrs).toEqual(['ONEHA_FENCE_OPTIONS', 'ONEHA_FENCE_AGENT']);
    }
  });
  it("refuses a secret in the runner's default options", () => {
    expect(() => fenceMethodsForHost(testHost(1, {}), { agent: 'fence_ipmilan', options: { password: 'x' } })).toThrow(/default fence options.*secret/);
  });
});

describe('isValidFenceIp', () => {
  it.each(['10.0.0.1', '::1', 'fe80::1', '2001:db8::42', 'bmc1', 'bmc-1.rack2.example.org', 'a.b'])('accepts %s', (s) => {
    expect(isValidFenceIp(s)).toBe(true);
  });
  it.each(['', '999.1.1.1', '10.0.0', '-bmc', 'bmc-', 'bmc_1', 'a..b', 'has space', 'x'.repeat(64), '10.0.0.1:623', 'http://x'])('refuses %j', (s) => {
    expect(isValidFenceIp(s)).toBe(false);
  });
});

describe('listInstalledAgents', () => {
  it('lists the executable fence_* programs of a dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oneha-agents-'));
    try {
      writeFileSync(join(dir, 'fence_b'), '', { mode: 0o755 });
      writeFileSync(join(dir, 'fence_a'), '', { mode: 0o755 });
      writeFileSync(join(dir, 'fence_noexec'), '', { mode: 0o644 });
      writeFileSync(join(dir, 'fence_Bad'), '', { mode: 0o755 });
      writeFileSync(join(dir, 'other'), '', { mode: 0o755 });
      expect(await listInstalledAgents(dir)).toEqual(['fence_a', 'fence_b']);
      expect(await listInstalledAgents(join(dir, 'missing'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('finds the real agents in /usr/sbin', async () => {
    requireTool(TOOLS.fenceIpmilan);
    const agents = await listInstalledAgents();
    expect(agents).toEqual(expect.arrayContaining(['fence_ipmilan', 'fence_redfish']));
  });
});

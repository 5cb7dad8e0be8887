// Per-host fence settings, read from the host template (the single source:
// `onehost show` tells the truth) and completed by the runner's defaults.
//
// Host template attributes:
//   FENCE_IP                   OpenNebula's own: address of the host's BMC (level 1)
//   ONEHA_FENCE_AGENT          fence agent for level 1, e.g. fence_ipmilan, fence_redfish
//   ONEHA_FENCE_OPTIONS        its non-secret options, `key=value` separated by spaces or
//                              commas, e.g. "lanplus=1 cipher=3 ipport=6230" (a bare key means key=1)
//   ONEHA_FENCE_SECRET_REF     optional: which secret-store entry holds the credentials
//                              (default: "host:<id>", then "default")
//   ONEHA_FENCE_AGENT_2        optional second level, e.g. fence_apc_snmp for a PDU
//   ONEHA_FENCE_OPTIONS_2      its options (e.g. "plug=7")
//   FENCE_IP_2                 its address (required with ONEHA_FENCE_AGENT_2)
//   ONEHA_FENCE_SECRET_REF_2   its credentials' ref (a PDU rarely shares the BMC's)
//   ONEHA_FENCE_COMMAND        a fence_host.sh-style command (base64 host XML on stdin,
//                              exit 0 = fenced), tried after the agent levels
// Levels are tried in that order: agent 1, agent 2, command. Passwords never
// go on the template: a secret-carrying option is refused with a clear error.
import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Host } from '../../functions/domain';
import type { FenceMethod } from '../../functions/fenceTypes';
import { AgentMethodSchema } from '../../functions/fenceTypes';
import { fenceIpProblem } from '../../model/fenceIp';
import { optionKeyProblem, optionValueProblem } from './optionRules';
import { SecretRefSchema } from './secrets';

export const FENCE_ATTR = {
  ip: 'FENCE_IP',
  agent: 'ONEHA_FENCE_AGENT',
  options: 'ONEHA_FENCE_OPTIONS',
  secretRef: 'ONEHA_FENCE_SECRET_REF',
  ip2: 'FENCE_IP_2',
  agent2: 'ONEHA_FENCE_AGENT_2',
  options2: 'ONEHA_FENCE_OPTIONS_2',
  secretRef2: 'ONEHA_FENCE_SECRET_REF_2',
  command: 'ONEHA_FENCE_COMMAND',
} as const;

export interface FenceDefaults {
  /** A fence_host.sh-style command used when the host sets none. */
  command?: string;
  /** The agent used when the host sets no ONEHA_FENCE_AGENT. */
  agent?: string;
  /** Options merged under level 1's own (the host's win). */
  options?: Record<string, string>;
  /** The only values ONEHA_FENCE_COMMAND may take (config fence.allowedCommands). */
  allowedCommands?: readonly string[];
  /** Loopback, link-local and unspecified FENCE_IPs are accepted (config fence.allowLoopback). */
  allowLoopback?: boolean;
}

/** The runner config's part of every host's fence settings. */
export function fenceDefaults(config: { fence: { command?: string; agent?: string; options: Record<string, string>; allowedCommands: string[]; allowLoopback: boolean } }): FenceDefaults {
  const f = config.fence;
  return { command: f.command, agent: f.agent, options: f.options, allowedCommands: f.allowedCommands, allowLoopback: f.allowLoopback };
}

export class FenceSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FenceSettingsError';
  }
}

const AGENT_NAME = /^fence_[a-z0-9_]+$/;

/**
 * "lanplus=1 cipher=3,ipport=6230" -> { lanplus: '1', cipher: '3', ipport: '6230' }.
 * `source` names where the text came from, for the error message.
 */
export function parseFenceOptions(text: string, source = 'fence options'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const token of text.split(/[\s,]+/).filter(Boolean)) {
    const eq = token.indexOf('=');
    // Agents name options with _ on stdin; accept the --long-option spelling too.
    const key = (eq < 0 ? token : token.slice(0, eq)).replace(/-/g, '_').toLowerCase();
    const value = eq < 0 ? '1' : token.slice(eq + 1);
    const problem = optionKeyProblem(key, 'template') ?? optionValueProblem(key, value);
    if (problem) throw new FenceSettingsError(`${source}: ${problem}`);
    if (value === '') throw new FenceSettingsError(`${source}: "${key}=" has no value`);
    if (Object.hasOwn(out, key)) throw new FenceSettingsError(`${source}: "${key}" is given twice`);
    out[key] = value;
  }
  return out;
}

/** The inverse of parseFenceOptions, refusing what it would refuse (so a write cannot store a secret). */
export function formatFenceOptions(obj: Record<string, string>, source = 'fence options'): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const problem = optionKeyProblem(key, 'template') ?? optionValueProblem(key, value) ?? (value === '' ? `"${key}" has no value` : undefined);
    if (problem) throw new FenceSettingsError(`${source}: ${problem}`);
    parts.push(`${key}=${value}`);
  }
  return parts.join(' ');
}

/** IPv4, IPv6 or an RFC 1123 host name (the form only; whether it may be local depends on the config). */
export function isValidFenceIp(s: string): boolean {
  return fenceIpProblem(s, { allowLoopback: true }) === undefined;
}

/** Executable fence_* programs in `dir`, sorted. */
export async function listInstalledAgents(dir = '/usr/sbin'): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const ok = await Promise.all(
    names.filter((n) => AGENT_NAME.test(n)).map(async (n) => {
      try {
        await access(join(dir, n), constants.X_OK);
        return n;
      } catch {
        return undefined;
      }
    }),
  );
  return ok.filter((n): n is string => !!n).sort();
}

function attr(host: Host, name: string): string | undefined {
  const v = host.template[name]?.trim();
  return v ? v : undefined;
}

function hostLabel(host: Host): string {
  return `host ${host.name} (${host.id})`;
}

function agentLevel(host: Host, a: { agent?: string; options?: string; ip?: string; secretRef?: string }, names: { agent: string; options: string; ip: string; secretRef: string }, base: Record<string, string> = {}): FenceMethod {
  const where = (n: string) => `${n} on ${hostLabel(host)}`;
  if (!a.agent || !AGENT_NAME.test(a.agent)) throw new FenceSettingsError(`${where(names.agent)}: "${a.agent ?? ''}" is not a fence agent name such as fence_ipmilan`);
  if (a.secretRef !== undefined && !SecretRefSchema.safeParse(a.secretRef).success) {
    throw new FenceSettingsError(`${where(names.secretRef)}: "${a.secretRef}" is not a secret ref ("default", "host:<id>" or a simple name)`);
  }
  const options = { ...base, ...(a.options ? parseFenceOptions(a.options, where(names.options)) : {}) };
  if (a.ip) options.ip = a.ip;
  return AgentMethodSchema.parse({ kind: 'agent', agent: a.agent, options, ...(a.secretRef ? { secretRef: a.secretRef } : {}) });
}

/**
 * The host's fence levels in order; empty means no fencing is configured.
 * Throws FenceSettingsError (naming the attribute) for a setting it cannot
 * use: a wrong setting must stop fencing loudly, not be skipped quietly.
 */
export function fenceMethodsForHost(host: Host, defaults: FenceDefaults): FenceMethod[] {
  const methods: FenceMethod[] = [];
  // Checked whatever fences the host: a fence_host.sh-style command reads FENCE_IP from the host XML too.
  for (const name of [FENCE_ATTR.ip, FENCE_ATTR.ip2]) {
    const ip = attr(host, name);
    const problem = ip === undefined ? undefined : fenceIpProblem(ip, { allowLoopback: !!defaults.allowLoopback });
    if (problem) throw new FenceSettingsError(`${name} on ${hostLabel(host)}: "${ip}" ${problem}`);
  }
  const agent1 = attr(host, FENCE_ATTR.agent) ?? defaults.agent?.trim();
  const options1 = attr(host, FENCE_ATTR.options);
  if (agent1) {
    const base = defaults.options ? parseFenceOptions(formatFenceOptions(defaults.options, "the runner's default fence options"), "the runner's default fence options") : {};
    methods.push(agentLevel(host, { agent: agent1, options: options1, ip: attr(host, FENCE_ATTR.ip), secretRef: attr(host, FENCE_ATTR.secretRef) },
      { agent: FENCE_ATTR.agent, options: FENCE_ATTR.options, ip: FENCE_ATTR.ip, secretRef: FENCE_ATTR.secretRef }, base));
  } else if (options1) {
    throw new FenceSettingsError(`${FENCE_ATTR.options} on ${hostLabel(host)} is set but no ${FENCE_ATTR.agent} (nor a default agent) says which agent it is for`);
  }

  const agent2 = attr(host, FENCE_ATTR.agent2);
  const options2 = attr(host, FENCE_ATTR.options2);
  const ip2 = attr(host, FENCE_ATTR.ip2);
  if (agent2) {
    // No fallback to FENCE_IP: a second level is a different device (a PDU).
    if (!ip2) throw new FenceSettingsError(`${FENCE_ATTR.agent2} on ${hostLabel(host)} needs ${FENCE_ATTR.ip2} (the second device's address)`);
    methods.push(agentLevel(host, { agent: agent2, options: options2, ip: ip2, secretRef: attr(host, FENCE_ATTR.secretRef2) },
      { agent: FENCE_ATTR.agent2, options: FENCE_ATTR.options2, ip: FENCE_ATTR.ip2, secretRef: FENCE_ATTR.secretRef2 }));
  } else if (options2 || ip2) {
    throw new FenceSettingsError(`${options2 ? FENCE_ATTR.options2 : FENCE_ATTR.ip2} on ${hostLabel(host)} is set but ${FENCE_ATTR.agent2} is not`);
  }

  const own = attr(host, FENCE_ATTR.command);
  if (own !== undefined && !defaults.allowedCommands?.includes(own)) {
    // Anyone oned lets MANAGE the host can write its template: it may only pick a command the runner's admin listed.
    const allowed = defaults.allowedCommands?.length ? `one of ${defaults.allowedCommands.join(', ')}` : 'none (the list is empty)';
    throw new FenceSettingsError(`${FENCE_ATTR.command} on ${hostLabel(host)} is not a command the runner's config allows (fence.allowedCommands: ${allowed}); a host may only name one of those paths exactly, never a command line`);
  }
  const command = own ?? defaults.command?.trim();
  if (command) methods.push({ kind: 'command', command });
  return methods;
}

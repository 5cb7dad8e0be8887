// A host's fence levels, derived from the policy table: agent 1 (FENCE_IP,
// ONEHA_FENCE_AGENT, _OPTIONS, _SECRET_REF), agent 2 (the same with _2, e.g.
// a PDU), then a fence_host.sh-style command. A setting that cannot be used
// stops fencing loudly (HostPolicyError naming the attribute), never skipped.
import { AgentMethodSchema, type FenceMethod } from '../fence';
import type { Host } from '../one';
import { FIELDS, readField, templateText, type FieldName } from './fields';
import { fenceIpProblem } from './fenceIp';
import { readFenceOptions, writeFenceOptions } from './fenceOptions';
import { HostPolicyError } from './problem';

/** What the runner's config supplies where a host sets nothing. */
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

const LEVELS = [
  { agent: 'fenceAgent', options: 'fenceOptions', ip: 'fenceIp', secretRef: 'fenceSecretRef' },
  { agent: 'fenceAgent2', options: 'fenceOptions2', ip: 'fenceIp2', secretRef: 'fenceSecretRef2' },
] as const satisfies ReadonlyArray<Record<string, FieldName>>;
type Level = (typeof LEVELS)[number];

const hostLabel = (host: Pick<Host, 'id' | 'name'>) => `host ${host.name} (${host.id})`;

function agentLevel(host: Host, level: Level, agentText: string | undefined, base: Record<string, string>): FenceMethod {
  const fail = (field: FieldName, problem: string): never => {
    throw new HostPolicyError(`${FIELDS[field].attr} on ${hostLabel(host)}: ${problem}`, [FIELDS[field].attr]);
  };
  const check = <K extends FieldName>(field: K, text?: string) => {
    const r = text === undefined ? readField(host.template, field) : FIELDS[field].read(text);
    if (r && !r.ok) fail(field, r.problem);
    return r?.ok ? (r.value as string) : undefined;
  };
  const agent = check(level.agent, agentText ?? '');
  const ip = check(level.ip);
  const secretRef = check(level.secretRef);
  const own = readField(host.template, level.options);
  if (own && !own.ok) fail(level.options, own.problem);
  const options: Record<string, string> = { ...base, ...(own?.ok ? own.value : {}) };
  if (ip) options.ip = ip;
  return AgentMethodSchema.parse({ kind: 'agent', agent, options, ...(secretRef ? { secretRef } : {}) });
}

/** The runner's default options pass the same rules as a host's. */
function defaultOptions(options: Record<string, string> | undefined): Record<string, string> {
  if (!options) return {};
  const written = writeFenceOptions(options);
  const read = written.ok ? readFenceOptions(written.text) : undefined;
  if (!read?.ok) throw new HostPolicyError(`the runner's default fence options: ${written.ok ? (read as { problem: string }).problem : written.problem}`);
  return read.options;
}

/** The host's fence levels in order; empty means no fencing is configured. */
export function fenceMethodsForHost(host: Host, defaults: FenceDefaults): FenceMethod[] {
  const t = host.template;
  const methods: FenceMethod[] = [];
  const [one, two] = LEVELS;
  // Checked whatever fences the host: a fence_host.sh-style command reads FENCE_IP from the host XML too.
  for (const field of [one.ip, two.ip]) {
    const ip = templateText(t, field);
    const problem = ip === undefined ? undefined : fenceIpProblem(ip, { allowLoopback: !!defaults.allowLoopback });
    if (problem) throw new HostPolicyError(`${FIELDS[field].attr} on ${hostLabel(host)}: "${ip}" ${problem}`, [FIELDS[field].attr]);
  }
  const agent1 = templateText(t, one.agent) ?? (defaults.agent?.trim() || undefined);
  if (agent1) {
    methods.push(agentLevel(host, one, agent1, defaultOptions(defaults.options)));
  } else if (templateText(t, one.options)) {
    throw new HostPolicyError(`${FIELDS.fenceOptions.attr} on ${hostLabel(host)} is set but no ${FIELDS.fenceAgent.attr} (nor a default agent) says which agent it is for`,
      [FIELDS.fenceOptions.attr, FIELDS.fenceAgent.attr]);
  }

  const agent2 = templateText(t, two.agent);
  const options2 = templateText(t, two.options);
  const ip2 = templateText(t, two.ip);
  if (agent2) {
    // No fallback to FENCE_IP: a second level is a different device (a PDU).
    if (!ip2) throw new HostPolicyError(`${FIELDS.fenceAgent2.attr} on ${hostLabel(host)} needs ${FIELDS.fenceIp2.attr} (the second device's address)`, [FIELDS.fenceIp2.attr, FIELDS.fenceAgent2.attr]);
    methods.push(agentLevel(host, two, agent2, {}));
  } else if (options2 || ip2) {
    const set = options2 ? FIELDS.fenceOptions2.attr : FIELDS.fenceIp2.attr;
    throw new HostPolicyError(`${set} on ${hostLabel(host)} is set but ${FIELDS.fenceAgent2.attr} is not`, [set, FIELDS.fenceAgent2.attr]);
  }

  const own = templateText(t, 'fenceCommand');
  if (own !== undefined && !defaults.allowedCommands?.includes(own)) {
    // Anyone oned lets MANAGE the host can write its template: it may only pick a command the runner's admin listed.
    const allowed = defaults.allowedCommands?.length ? `one of ${defaults.allowedCommands.join(', ')}` : 'none (the list is empty)';
    throw new HostPolicyError(`${FIELDS.fenceCommand.attr} on ${hostLabel(host)} is not a command the runner's config allows (fence.allowedCommands: ${allowed}); a host may only name one of those paths exactly, never a command line`, [FIELDS.fenceCommand.attr]);
  }
  const command = own ?? (defaults.command?.trim() || undefined);
  if (command) methods.push({ kind: 'command', command });
  return methods;
}

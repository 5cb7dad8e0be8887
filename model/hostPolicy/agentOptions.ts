// Which fence-agent options a host may set, decided per agent from the
// agent's own parameter list (`fence_<agent> -o metadata`) by an allowlist:
// only plain connection, protocol and timing settings pass. Agents have many
// options that run or read things (ssh_options takes -oProxyCommand=..., the
// *_path options name programs, *_script ones run scripts, identity_file and
// debug_file name files, sudo runs as root), and a denylist always misses the
// next one. Pure: the runner, the flow's last check before an agent runs, the
// API and the browser page all apply this with the metadata the runner read.
import { optionKeyProblem, optionValueProblem } from './fenceOptions';

export type AgentParameterType = 'string' | 'boolean' | 'integer' | 'second' | 'select';

export interface AgentParameter {
  name: string;
  type: AgentParameterType;
  /** The choices of a `select` parameter. */
  choices?: string[];
  description?: string;
}

export interface AgentMetadata {
  agent: string;
  parameters: AgentParameter[];
}

/** Connection and protocol settings that only shape how the agent talks to its device. */
const PLAIN = new Set([
  'ipport', 'lanplus', 'cipher', 'privlvl', 'auth', 'method', 'target',
  'plug', 'port', 'switch', 'port_as_ip', 'missing_as_off',
  'ssl', 'ssl_secure', 'ssl_insecure', 'notls', 'inet4_only', 'inet6_only', 'secure', 'ssh', 'telnet',
  'systems_uri', 'redfish_uri', 'api_version', 'ribcl_version',
  'snmp_version', 'snmp_auth_prot', 'snmp_priv_prot', 'snmp_sec_level',
  'retry_on', 'delay', 'quiet',
]);

/** Why an option that names or runs something is refused, by what it is. */
function dangerOf(key: string): string | undefined {
  if (/_path$/.test(key)) return 'names a program the agent runs';
  if (/_script$/.test(key)) return 'names a script the agent runs';
  if (/^ssh_|^ssl_options|_options$/.test(key)) return 'passes options to ssh or ssl, which can run programs (ProxyCommand) or read files';
  if (/(^|_)file$|_dir$/.test(key)) return 'names a file the agent reads or writes';
  if (/sudo/.test(key)) return 'makes the agent run commands through sudo';
  if (/^(debug|verbose|verbose_level)$/.test(key)) return 'makes the agent write its whole dialogue, credentials included, to a file or the log';
  if (/^(help|version|metadata)$/.test(key)) return 'makes the agent print text and exit instead of fencing';
  if (/prompt$/.test(key)) return 'is a pattern matched against the device\'s shell, not a connection setting';
  return undefined;
}

/** Plain connection settings and every timing setting (type "second": power_wait, login_timeout, ...). */
export function isPlainOption(p: AgentParameter): boolean {
  return !dangerOf(p.name) && (PLAIN.has(p.name) || p.type === 'second');
}

/** The options a host may set for this agent, as the page offers them. */
export function allowedOptions(meta: AgentMetadata): AgentParameter[] {
  return meta.parameters.filter((p) => isPlainOption(p) && optionKeyProblem(p.name, 'template') === undefined);
}

/** Characters a free-text option (a plug name, a Redfish URI) may hold: none a shell or a URL could turn into more. */
const PLAIN_TEXT = /^[A-Za-z0-9._:/@%+-]{1,256}$/;

function valueProblem(p: AgentParameter, value: string): string | undefined {
  const bad = (what: string) => `the value of "${p.name}" must be ${what}, got "${value.slice(0, 40)}"`;
  switch (p.type) {
    case 'boolean': return /^(0|1|on|off|true|false|yes|no)$/i.test(value) ? undefined : bad('1 or 0 (on/off, yes/no, true/false)');
    case 'integer': return /^\d{1,9}$/.test(value) ? undefined : bad('a whole number');
    case 'second': return /^\d{1,6}(\.\d{1,3})?$/.test(value) ? undefined : bad('a number of seconds');
    case 'select': return p.choices?.includes(value) ? undefined : bad(`one of ${(p.choices ?? []).join(', ')}`);
    default: return PLAIN_TEXT.test(value) ? undefined : bad('letters, digits and . _ : / @ % + - only');
  }
}

/**
 * Why `key=value` may not be given to this agent, or undefined. `where` as in
 * optionKeyProblem: the template (FENCE_IP supplies ip) or a method oneha built.
 */
export function agentOptionProblem(meta: AgentMetadata, key: string, value: string, where: 'template' | 'method' = 'template'): string | undefined {
  const basic = optionKeyProblem(key, where) ?? optionValueProblem(key, value);
  if (basic) return basic;
  if (where === 'method' && key === 'ip') return undefined; // checked as FENCE_IP
  const p = meta.parameters.find((x) => x.name === key);
  if (!p) return `${meta.agent} has no option "${key}" (see ${meta.agent} -o metadata)`;
  const danger = dangerOf(key);
  if (danger) return `"${key}" ${danger}; oneha never passes it to a fence agent`;
  if (!isPlainOption(p)) {
    return `"${key}" is not one of the plain connection and timing settings oneha passes to ${meta.agent} (${allowedOptions(meta).map((x) => x.name).join(', ')})`;
  }
  return valueProblem(p, value);
}

/** The first problem among a set of options, naming the option. */
export function agentOptionsProblem(meta: AgentMetadata, options: Record<string, string>, where: 'template' | 'method' = 'template'): string | undefined {
  for (const [k, v] of Object.entries(options)) {
    const problem = agentOptionProblem(meta, k, v, where);
    if (problem) return problem;
  }
  return undefined;
}

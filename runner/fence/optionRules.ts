// Which fence-agent options oneha lets through. Options reach the agent as
// `key=value` lines on stdin, so a key or value carrying a newline would
// smuggle in another option (a second `action=`, say); several agents also
// splice values into a command line (fence_ipmilan -> ipmitool), so a space
// would smuggle in an argument. And the host template is readable by anyone
// who can see the host, so it must never carry a secret.

export const OPTION_KEY = /^[a-z][a-z0-9_]*$/;
/** No whitespace, quotes or control characters: see the header. */
export const OPTION_VALUE = /^[^\s"'`\\\x00-\x1f\x7f]*$/;

/** Keys that carry credentials (password, passwd, password_script, snmp_priv_passwd, community, hexadecimal_kg, ...). */
export function isSecretKey(key: string): boolean {
  return /pass|secret|token|community|(^|_)key$|(^|_)kg$/.test(key);
}

/**
 * Why `key` may not be given as an agent option, or undefined when it may.
 * `where` says who sets it: the host template (where `ip` has its own
 * attribute) or a method built by oneha (where `ip` is how a level names its
 * device).
 */
export function optionKeyProblem(key: string, where: 'template' | 'method'): string | undefined {
  if (!OPTION_KEY.test(key)) return `"${key}" is not an option name (lower-case letters, digits and _)`;
  if (isSecretKey(key)) {
    return `"${key}" carries a secret; credentials belong in oneha's secret store (per host "host:<id>" or "default"), never in options or on the host template`;
  }
  if (key === 'action' || key === 'o' || key === 'option') return `"${key}" is chosen by oneha (status, off) for each call`;
  if (key === 'username' || key === 'login' || key === 'l') return `"${key}" comes from oneha's secret store together with the password`;
  if (key.endsWith('_path') || key === 'use_sudo' || key === 'sudo' || key === 'debug_file' || key === 'debug' || key === 'identity_file') {
    return `"${key}" would let whoever edits the option run programs or read and write files as the oneha runner`;
  }
  if (where === 'template' && (key === 'ip' || key === 'ipaddr' || key === 'a')) return `"${key}" comes from FENCE_IP (or FENCE_IP_2 for the second level)`;
  return undefined;
}

export function optionValueProblem(key: string, value: string): string | undefined {
  if (!OPTION_VALUE.test(value)) return `the value of "${key}" contains whitespace, quotes, a backslash or a control character`;
  return undefined;
}

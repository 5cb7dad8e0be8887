// Which fence-agent options oneha lets through, and their text form on the
// host template ("lanplus=1 cipher=3,ipport=6230"; a bare key means key=1).
// Options reach the agent as `key=value` lines on stdin, so a key or value
// carrying a newline would smuggle in another option (a second `action=`,
// say); several agents also splice values into a command line (fence_ipmilan
// -> ipmitool), so a space would smuggle in an argument. And the host
// template is readable by anyone who can see the host, so it must never
// carry a secret. No zod here: the admin console bundles this file as is.

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

/** Why a template option may not be stored or used as given, or undefined. */
export function templateOptionProblem(key: string, value: string): string | undefined {
  return optionKeyProblem(key, 'template') ?? optionValueProblem(key, value) ?? (value === '' ? `"${key}=" has no value` : undefined);
}

export type OptionsRead = { ok: true; options: Record<string, string> } | { ok: false; problem: string; options: Record<string, string> };

/** Template text -> options, or the first problem (`options` then holds what was read before it). */
export function readFenceOptions(text: string): OptionsRead {
  const options: Record<string, string> = {};
  for (const token of text.split(/[\s,]+/).filter(Boolean)) {
    const eq = token.indexOf('=');
    // Agents name options with _ on stdin; accept the --long-option spelling too.
    const key = (eq < 0 ? token : token.slice(0, eq)).replace(/-/g, '_').toLowerCase();
    const value = eq < 0 ? '1' : token.slice(eq + 1);
    const problem = templateOptionProblem(key, value) ?? (Object.hasOwn(options, key) ? `"${key}" is given twice` : undefined);
    if (problem) return { ok: false, problem, options };
    options[key] = value;
  }
  return { ok: true, options };
}

/** Options -> template text, or the first problem: what readFenceOptions would refuse is never written. */
export function writeFenceOptions(options: Record<string, string>): { ok: true; text: string } | { ok: false; problem: string } {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    const problem = templateOptionProblem(key, value);
    if (problem) return { ok: false, problem };
    parts.push(`${key}=${value}`);
  }
  return { ok: true, text: parts.join(' ') };
}

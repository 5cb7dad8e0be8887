// Names, colours and times as Sunstone shows them.
import { outcomeVerdict, recoveryVerdict, type Verdict } from '../../model/recoveryDisplay';
import { h } from './dom';

export const HOST_STATES = [
  'INIT', 'MONITORING_MONITORED', 'MONITORED', 'ERROR', 'DISABLED',
  'MONITORING_ERROR', 'MONITORING_INIT', 'MONITORING_DISABLED', 'OFFLINE',
] as const;

export type ChipKind = Verdict;

/** Sunstone's HOST_STATES colours (ConstantsModule). */
export function hostStateKind(state: number): ChipKind {
  const name = HOST_STATES[state];
  if (name === 'MONITORED') return 'success';
  if (name === 'ERROR' || name === 'MONITORING_ERROR') return 'error';
  if (name === 'DISABLED' || name === 'OFFLINE' || name === 'MONITORING_MONITORED' || name === 'MONITORING_DISABLED') return 'info';
  return 'default';
}

export function recoveryKind(status: string): ChipKind {
  return recoveryVerdict({ status }).kind;
}

export function outcomeKind(outcome: string): ChipKind {
  return outcomeVerdict(outcome);
}

export function chip(text: string, kind: ChipKind, title?: string): HTMLSpanElement {
  return h('span', { class: `chip chip-${kind}`, title }, text);
}

export const hostStateChip = (state: number, name?: string) => {
  const text = name ?? HOST_STATES[state] ?? String(state);
  return chip(text, hostStateKind(state), text);
};
export const verdictChip = (v: { text: string; kind: ChipKind }) => chip(v.text, v.kind);
export const recoveryChip = (status: string) => verdictChip(recoveryVerdict({ status }));

export { ago, duration, fullTime, when } from '../../model/timeFormat';

export function formatOptions(o: Record<string, string> | null | undefined): string {
  return o ? Object.entries(o).map(([k, v]) => `${k}=${v}`).join(' ') : '';
}

/** IPv4, IPv6 or an RFC 1123 host name: the runner's isValidFenceIp, in the browser. */
export function isValidFenceIp(s: string): boolean {
  if (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s)) return true;
  if (s.includes(':')) {
    if (!/^[0-9A-Fa-f:.]+$/.test(s)) return false;
    try {
      return new URL(`http://[${s}]/`).hostname.length > 2;
    } catch {
      return false;
    }
  }
  if (s.length === 0 || s.length > 253 || /^[\d.]+$/.test(s)) return false;
  return s.split('.').every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

/** Mirrors the runner's option rules closely enough to catch mistakes before a round trip. */
export function parseOptionsText(text: string): { options: Record<string, string>; error?: string } {
  const options: Record<string, string> = {};
  for (const token of text.split(/[\s,]+/).filter(Boolean)) {
    const eq = token.indexOf('=');
    const key = (eq < 0 ? token : token.slice(0, eq)).replace(/-/g, '_').toLowerCase();
    const value = eq < 0 ? '1' : token.slice(eq + 1);
    if (!/^[a-z][a-z0-9_]*$/.test(key)) return { options, error: `"${key}" is not an option name (lower-case letters, digits and _)` };
    if (/pass|secret|token|community|(^|_)key$|(^|_)kg$/.test(key)) return { options, error: `"${key}" carries a secret: set credentials in the form below, never in options` };
    if (key === 'ip' || key === 'ipaddr' || key === 'a') return { options, error: `"${key}" comes from the FENCE_IP field` };
    if (key === 'username' || key === 'login' || key === 'l') return { options, error: `"${key}" comes from the credentials below` };
    if (key === 'action' || key === 'o' || key === 'option') return { options, error: `"${key}" is chosen by oneha for each call` };
    if (value === '') return { options, error: `"${key}=" has no value` };
    if (/["'`\\]/.test(value)) return { options, error: `the value of "${key}" contains a quote or a backslash` };
    if (Object.hasOwn(options, key)) return { options, error: `"${key}" is given twice` };
    options[key] = value;
  }
  return { options };
}

/** Fence agents report a wrong password and an unreachable BMC the same way: say what to check. */
export function fenceErrorAdvice(error: string): string {
  const e = error.toLowerCase();
  if (e.includes('no fencing configured')) return 'Choose a fence agent and set FENCE_IP in the HA settings tab, then set the BMC credentials.';
  if (e.includes('cannot be tested')) return 'This host fences with a command. A command cannot report power state, so it cannot be tested without fencing the host. Configure a fence agent to test the BMC.';
  if (e.includes('ipmitool not found')) return 'fence_ipmilan needs ipmitool on the oneha front-end: apt-get install ipmitool.';
  if (e.includes('not installed') || e.includes('enoent')) return 'The fence agent is not installed on the oneha front-end (package fence-agents).';
  if (e.includes('timed out') || e.includes('timeout')) return 'Nothing answered in time: check FENCE_IP, the port option (ipport) and that the BMC network is reachable from the oneha front-end.';
  if (e.includes('unable to obtain') || e.includes('plug status') || e.includes('authentication') || e.includes('password')) {
    return 'The BMC did not answer, or refused the user name and password (fence agents report both the same way). Check FENCE_IP and the port, then replace the credentials.';
  }
  if (e.includes('credentials') || e.includes('secret')) return 'No BMC credentials were found for this host: set them in the HA settings tab.';
  return 'Check FENCE_IP, the agent options and the BMC credentials in the HA settings tab, then test again.';
}

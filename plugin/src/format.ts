// Names, colours and times as Sunstone shows them.
import { outcomeVerdict, recoveryVerdict, type Verdict } from '../../model/recoveryDisplay';
import { readFenceOptions } from '../../model/hostPolicy/fenceOptions';
import { h } from './dom';

export { HOST_STATE_NAMES as HOST_STATES } from '../../model/states';
import { HOST_STATE_NAMES as HOST_STATES } from '../../model/states';
import { fenceIpProblem, type FenceIpRules } from '../../model/hostPolicy/fenceIp';
import { agentOptionsProblem, type AgentMetadata } from '../../model/hostPolicy/agentOptions';

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

/** The runner's own rules (model/hostPolicy), so the form says what the server would. */
/** Why a typed FENCE_IP would be refused, as a sentence, or undefined (the runner's rule, with its allowLoopback). */
export function fenceIpMessage(value: string, rules: FenceIpRules | undefined): string | undefined {
  const problem = fenceIpProblem(value, rules ?? { allowLoopback: false });
  return problem && `"${value}" ${problem}.`;
}

/** Why typed options would be refused for this agent (its own metadata, the runner's allowlist), or undefined. */
export function agentOptionsMessage(meta: AgentMetadata | undefined, options: Record<string, string>): string | undefined {
  const problem = meta && agentOptionsProblem(meta, options, 'template');
  return problem && `${problem}.`;
}

export function parseOptionsText(text: string): { options: Record<string, string>; error?: string } {
  const r = readFenceOptions(text);
  return r.ok ? { options: r.options } : { options: r.options, error: r.problem };
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

// A FENCE_IP that is a host name: what it resolves to now. The form check
// (model/hostPolicy/fenceIp.ts) refuses loopback, link-local and unspecified
// addresses written as such; a name can still point there ("bmc-07" in
// /etc/hosts as 127.0.0.1, a DNS record for 169.254.169.254), so the runner
// resolves it when settings are checked and again right before an agent runs.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { fenceIpProblem, type FenceIpRules } from '../../model/hostPolicy/fenceIp';

/** Every address a name resolves to (as the agent's own resolver would: getaddrinfo, /etc/hosts first). */
export type ResolveName = (name: string) => Promise<string[]>;

export const systemResolve: ResolveName = async (name) => (await lookup(name, { all: true, verbatim: true })).map((a) => a.address);

/** How long a check waits for the resolver: an unanswered lookup is no finding (the agent will report its own error). */
const RESOLVE_TIMEOUT_MS = 5000;

/**
 * Why the BMC at host name `ip` cannot be fenced through, as a phrase
 * following the value ("resolves to 127.0.0.1, which is a loopback address,
 * ..."), or undefined: an address (checked by its form), a name that resolves
 * only to plausible BMC addresses, one that does not resolve, or
 * fence.allowLoopback set.
 */
export async function resolvedFenceIpProblem(ip: string, rules: FenceIpRules, resolve: ResolveName = systemResolve): Promise<string | undefined> {
  if (rules.allowLoopback || isIP(ip) !== 0) return undefined;
  let timer: NodeJS.Timeout | undefined;
  let addresses: string[];
  try {
    addresses = await Promise.race([
      resolve(ip),
      new Promise<string[]>((res) => (timer = setTimeout(() => res([]), RESOLVE_TIMEOUT_MS))),
    ]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
  for (const a of addresses) {
    const problem = fenceIpProblem(a, rules);
    if (problem) return `resolves to ${a}, which ${problem}`;
  }
  return undefined;
}

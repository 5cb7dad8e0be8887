// What a FENCE_IP (or FENCE_IP_2) may be: the address of a BMC or PDU on the
// management network. Pure (no node:*), so the runner, the flow and the
// browser page all check it the same way.
//
// Refused unless the runner's config sets fence.allowLoopback (the simulator,
// the tests and the demo run their BMCs on 127.0.0.1): loopback, link-local
// (169.254.169.254 is a cloud metadata service) and unspecified addresses, and
// the names that mean this machine. A fence agent pointed there talks to
// services on the front-end itself instead of a BMC.

export interface FenceIpRules {
  allowLoopback: boolean;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const LOCAL_NAMES = /^(localhost|localhost\.localdomain|ip6-localhost|ip6-loopback)$|\.localhost$/i;

function ipv4Octets(s: string): number[] | undefined {
  return IPV4.test(s) ? s.split('.').map(Number) : undefined;
}

/** The canonical form of an IPv6 literal (URL parsing is the same in Node and browsers), or undefined. */
function ipv6(s: string): string | undefined {
  if (!s.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(s)) return undefined;
  try {
    return new URL(`http://[${s}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

function ipv4Kind(o: number[]): string | undefined {
  if (o[0] === 127) return 'a loopback address';
  if (o[0] === 169 && o[1] === 254) return 'a link-local address';
  if (o[0] === 0) return 'an unspecified address';
  return undefined;
}

function ipv6Kind(canon: string): string | undefined {
  if (canon === '::1') return 'a loopback address';
  if (canon === '::') return 'an unspecified address';
  if (/^fe[89ab][0-9a-f]?:/i.test(canon)) return 'a link-local address';
  // IPv4-mapped (::ffff:127.0.0.1, written by URL as ::ffff:7f00:1).
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(canon);
  if (mapped) {
    const hi = parseInt(mapped[1], 16);
    const lo = parseInt(mapped[2], 16);
    return ipv4Kind([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  }
  return undefined;
}

/** Why `s` cannot be a FENCE_IP, as a phrase following the value, or undefined when it can. */
export function fenceIpProblem(s: string, rules: FenceIpRules): string | undefined {
  let local: string | undefined;
  const v4 = ipv4Octets(s);
  const v6 = v4 ? undefined : ipv6(s);
  if (v4) local = ipv4Kind(v4);
  else if (v6 !== undefined) local = ipv6Kind(v6);
  else {
    const labels = s.split('.');
    // A last label of digits (127.1, 2130706433) or hex (0x7f.1) is an address in disguise: resolvers read it as IPv4.
    if (s.length === 0 || s.length > 253 || !labels.every((l) => LABEL.test(l)) || /^(\d+|0x[0-9a-f]*)$/i.test(labels[labels.length - 1])) {
      return 'is not an IP address or host name';
    }
    if (LOCAL_NAMES.test(s)) local = 'a name for this machine';
  }
  if (local && !rules.allowLoopback) return `is ${local}, not a BMC on the management network (set fence.allowLoopback in the runner's config only for simulated BMCs)`;
  return undefined;
}

/** IPv4, IPv6 or an RFC 1123 host name: the form only (whether it may be local depends on the config). */
export function isValidFenceIp(s: string): boolean {
  return fenceIpProblem(s, { allowLoopback: true }) === undefined;
}

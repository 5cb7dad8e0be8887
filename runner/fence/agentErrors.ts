// Fence agents speak in their library's words ("Unable to obtain correct plug
// status or plug is not available"); operators reading a recovery timeline
// need to know what to check. And nothing an agent prints may carry the
// password out, so every text is scrubbed before it goes anywhere.

/** Replaces the secret (and the forms a library might print it in) with "***". */
export function scrubSecret(text: string, secret: string | undefined, username = ''): string {
  if (!secret) return text;
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    Buffer.from(`${username}:${secret}`).toString('base64'), // HTTP Basic auth header
    JSON.stringify(secret).slice(1, -1),
  ]);
  let out = text;
  for (const f of [...forms].filter((f) => f.length > 0).sort((a, b) => b.length - a.length)) out = out.split(f).join('***');
  return out;
}

const PLAIN: Array<[RegExp, string]> = [
  [/Unable to obtain correct plug status|plug is not available/i, 'BMC unreachable or credentials refused'],
  [/Timed out waiting to power OFF/i, 'BMC did not power the host off'],
  [/Timed out waiting to power ON/i, 'BMC did not power the host on'],
  [/Unable to connect\/login to fencing device/i, 'could not log in to the fencing device (unreachable or credentials refused)'],
  [/You have to set login password/i, 'no password: set credentials for this host in the secret store'],
  [/does not have the correct privileges/i, 'the BMC user lacks the privilege to change power'],
  [/Ipmitool not found/i, 'ipmitool is not installed on the runner'],
  [/CERTIFICATE_VERIFY_FAILED|certificate verify failed/i, "the BMC's TLS certificate is not trusted (add ssl_insecure=1 for a self-signed one)"],
  [/Connection refused/i, 'BMC refused the connection (wrong address or port?)'],
  [/Name or service not known|nodename nor servname|getaddrinfo/i, 'the fence address does not resolve'],
  [/No route to host|Network is unreachable/i, 'no network route to the BMC'],
  [/Connection timed out|timed out/i, 'BMC did not answer (connection timed out)'],
  [/Connection lost|Connection aborted|Connection reset/i, 'connection to the BMC was lost'],
  [/Failed: Unable to get PowerState|Couldn't get power information/i, 'the BMC answered without a power state'],
  [/Error sending power command/i, 'the BMC refused the power command'],
  [/Failed to parse|Parse error|Please use '-h' for usage/i, 'the agent rejected its options'],
];

/** The last "ERROR:"-ish line, without the timestamp the fencing library prefixes. */
function lastErrorLine(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ /, '').trim()).filter(Boolean);
  const errors = lines.filter((l) => /^(ERROR|CRITICAL)\b/.test(l) && !/Please use '-h' for usage/.test(l));
  const line = errors[errors.length - 1] ?? lines[lines.length - 1];
  return line?.replace(/^(ERROR|CRITICAL):\s*/, '').slice(0, 300);
}

/**
 * Plain words for a failed agent run, matched on the raw stderr (a scrubbed
 * "***" could break the words matched). Only text quoted from stderr goes
 * through `scrub`: the fixed words are oneha's own.
 */
export function explainAgentFailure(agent: string, stderr: string, exitCode: number | null, scrub: (s: string) => string = (s) => s): string {
  for (const [re, words] of PLAIN) if (re.test(stderr)) return words;
  const detail = lastErrorLine(stderr);
  if (detail) return `${agent} failed: ${scrub(detail)}`;
  // fence_redfish exits 1 silently when the BMC's answer has no Systems link, which is what a 401 looks like.
  if (agent === 'fence_redfish') return 'BMC refused the request or the credentials (fence_redfish gave no message)';
  return `${agent} failed with exit code ${exitCode ?? 'none'} and no message`;
}

// The CLI's side of the runner API: where the runner is, its token, and one
// error per way a call can go wrong, each naming what to fix.
import { shortIds } from '../../model/shortId';
import { existsSync, readFileSync } from 'node:fs';
import { loadConfig, parseListen } from '../config';
import { CliError, EXIT, exitForStatus } from './exitCodes';

export function runnerUrl(env = process.env): string {
  if (env.ONEHA_URL) return env.ONEHA_URL.replace(/\/$/, '');
  const { hostname, port } = parseListen(loadConfig(env).listen);
  return `http://${hostname === '0.0.0.0' ? '127.0.0.1' : hostname}:${port}`;
}

function token(env = process.env): string {
  const file = env.ONEHA_TOKEN_FILE ?? loadConfig(env).tokenFile;
  if (!file) throw new CliError(EXIT.badInput, 'no runner token: set ONEHA_TOKEN_FILE to the runner\'s token file (tokenFile in oneha.json)');
  if (!existsSync(file)) throw new CliError(EXIT.badInput, `the token file ${file} does not exist: set ONEHA_TOKEN_FILE to the runner's token file`);
  return readFileSync(file, 'utf8').split('\n')[0].trim();
}

export async function callRunner<T = unknown>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const url = runnerUrl() + path;
  const auth = token();
  let res: Response;
  try {
    res = await fetch(url, {
      method, headers: { authorization: `Bearer ${auth}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(EXIT.runner, `cannot reach the runner at ${runnerUrl()} (${cause?.code ?? cause?.message ?? (e as Error).message}): start it (systemctl start oneha) or set ONEHA_URL`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch { /* not JSON */ }
  if (res.status === 401) throw new CliError(EXIT.runner, `the runner at ${runnerUrl()} refused the token: ONEHA_TOKEN_FILE must name the runner's own token file`);
  if (!res.ok) {
    const err = (json as { error?: { message?: string } } | undefined)?.error;
    throw new CliError(exitForStatus(res.status), err?.message ?? `the runner answered ${res.status}: ${text.slice(0, 200)}`);
  }
  return json as T;
}

export interface HostRef { id: number; name: string }

/** A host given by id or by name, as onehost takes it; unknown hosts are refused here. */
export async function resolveHost(arg: string): Promise<HostRef> {
  if (/^\d+$/.test(arg)) {
    try {
      const h = await callRunner<HostRef>('GET', `/v1/hosts/${arg}`);
      return { id: h.id, name: h.name };
    } catch (e) {
      if (e instanceof CliError && e.exit === EXIT.badInput) throw new CliError(EXIT.badInput, `there is no host ${arg} in OpenNebula (onehost list shows the hosts)`);
      throw e;
    }
  }
  const { hosts } = await callRunner<{ hosts: HostRef[] }>('GET', '/v1/hosts');
  const h = hosts.find((x) => x.name === arg);
  if (!h) throw new CliError(EXIT.badInput, `there is no host named "${arg}" in OpenNebula (onehost list shows the hosts)`);
  return { id: h.id, name: h.name };
}

/** The fewest characters of an id a command takes (git's minimum too). */
const MIN_ID_START = 4;

/** The recoveries an id start is looked up among (the newest 5,000): a short id is unique among them. */
async function knownRecoveryIds(): Promise<string[]> {
  return (await callRunner<{ recoveries: Array<{ id: string }> }>('GET', '/v1/recoveries?limit=5000')).recoveries.map((r) => r.id);
}

/** How tables print recovery ids: their shortest unique start, which resolveRecovery takes back. */
export async function recoveryShortIds(): Promise<(id: string) => string> {
  return shortIds(await knownRecoveryIds());
}

/** A recovery by its id or a unique start of it. */
export async function resolveRecovery(arg: string): Promise<string> {
  const known = await knownRecoveryIds();
  if (known.includes(arg)) return arg;
  // As git: a start this short would name "the only recovery" by accident, and release or confirm-down act on it.
  if (arg.length < MIN_ID_START) throw new CliError(EXIT.badInput, `"${arg}" is too short for a recovery id: give at least ${MIN_ID_START} characters of it (oneha recoveries lists them)`);
  const matches = known.filter((id) => id.startsWith(arg));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) throw new CliError(EXIT.badInput, `"${arg}" matches ${matches.length} recoveries: give more of the id (oneha recoveries lists them)`);
  throw new CliError(EXIT.badInput, `there is no recovery "${arg}" (oneha recoveries lists them)`);
}

// The oneha runner, reached with single sign-on: the page asks oned (through
// FireEdge, as the signed-in user) for a short-lived login token and signs in
// to the runner with it; the runner checks it with one.user.info as that user,
// exactly as it checks a password. The runner never sees FireEdge's secrets
// nor the user's password, and oned stays the only judge of who is who. The
// runner's session id travels in the X-OneHA-Session header (not a cookie:
// no CSRF), and only to the runner URL written at install time.
import { url as entryUrl } from 'oneha:entry';
import { makeRequest, runnerApi, type RunnerApi, type Session } from '../src/api';
import { fireedge } from './fireedge';

/** How long the oned token behind a runner session lives; the runner's own session outlives it. */
const TOKEN_SECONDS = 300;

export interface RunnerLink {
  api: RunnerApi;
  session: Session;
  url: string;
}

let link: Promise<RunnerLink> | undefined;

async function runnerUrl(): Promise<string> {
  const r = await fetch(new URL('config.json', entryUrl).toString(), { cache: 'no-store' });
  if (!r.ok) throw new Error(`the plugin's config.json is missing (HTTP ${r.status}): reinstall oneha's Sunstone plugin`);
  const { runner } = (await r.json()) as { runner?: string };
  if (!runner) throw new Error('config.json names no runner URL: reinstall oneha\'s Sunstone plugin');
  return runner.replace(/\/+$/, '');
}

async function connect(): Promise<RunnerLink> {
  const url = await runnerUrl();
  let session: Session | undefined;
  const request = makeRequest({
    url: (path) => `${url}/${path}`,
    headers: (method): Record<string, string> => (session?.session ? { 'x-oneha-session': session.session, ...(method !== 'GET' ? { 'x-csrf-token': session.csrf } : {}) } : {}),
    credentials: 'omit',
    onUnauthorized: () => (link = undefined),
  });
  const api = runnerApi(request);
  const me = await fireedge.me();
  const token = await fireedge.loginToken(me.NAME, TOKEN_SECONDS);
  session = await api.signIn(me.NAME, token);
  if (!session.session) throw new Error(`the runner at ${url} does not accept this Sunstone: add ${location.origin} to its config plugin.origins`);
  return { api, session, url };
}

/** The runner link, made once and shared by the pages; a failure is retried on the next call. */
export function runner(): Promise<RunnerLink> {
  if (!link) {
    link = connect();
    link.catch(() => (link = undefined));
  }
  return link;
}

/** What to tell the operator when the runner cannot be reached. */
export function unreachableAdvice(e: unknown): string {
  const why = e instanceof Error ? e.message : String(e);
  return `The oneha runner is unreachable (${why}). Host settings below come from OpenNebula; recoveries, fence tests and credentials need the runner: check it on the front-end with "systemctl status oneha" and its log ("journalctl -u oneha").`;
}

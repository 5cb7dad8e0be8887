// The runner's API as the page uses it. Every URL is relative to the page
// (served at <prefix>/plugin/), so a reverse proxy may mount the runner
// under any prefix. Writes carry the session's CSRF token.
import type { FenceTestResult } from '../../runner/fence/fenceTest';

export interface Session {
  user: { id: number; name: string };
  admin: boolean;
  csrf: string;
  expiresAt: number;
  /** Given to the Sunstone plugin only: the id it sends as X-OneHA-Session. */
  session?: string;
}

// The server's own types (type-only imports: nothing of the runner reaches the page's bundle).
export type { Setting, Source, FenceMethodView } from '../../model/hostPolicy/view';
export type { HostView } from '../../runner/http/hostsRoutes';
export type { VmOutcome } from '../../functions/carryOut';
export type { FenceAttempt } from '../../functions/fence';
export type { HostSettings as HostSettingsChange } from '../../model/hostPolicy/settingsBody';
import type { HostView } from '../../runner/http/hostsRoutes';
import type { HostSettings as HostSettingsChange } from '../../model/hostPolicy/settingsBody';
import type { recoveryDetail, recoverySummary } from '../../runner/recoveryView';
import type { RecoveryLike } from '../../model/recoveryDisplay';
import type { Config } from '../../runner/config';
import type { AgentMetadata } from '../../model/hostPolicy/agentOptions';
import type { FenceIpRules } from '../../model/hostPolicy/fenceIp';
export type { ReadinessAnswer, HostReadinessAnswer } from '../../runner/http/readinessRoutes';
export type { RehearsalReport } from '../../runner/rehearsal';
import type { RehearsalReport } from '../../runner/rehearsal';
import type { ReadinessAnswer, HostReadinessAnswer } from '../../runner/http/readinessRoutes';

export type Creds = HostView['credentials']['default'];

/** What the runner's status-only fence test answers. */
export type FenceTest = FenceTestResult;

export interface HostList {
  total: number;
  defaults: Config['defaults'];
  fenceIpRules: FenceIpRules;
  credentials: { default: Creds };
  hosts: HostView[];
}

export type RecoverySummary = ReturnType<typeof recoverySummary>;
/** The route adds the VMs down with the host while a recovery waits for an operator. */
export type RecoveryDetail = ReturnType<typeof recoveryDetail> & { downVms?: RecoveryLike['downVms'] };
export type StepView = RecoveryDetail['steps'][number];

export interface FieldIssue { path: Array<string | number>; message: string }

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: FieldIssue[]) {
    super(message);
  }
}

/** Relative to the page (served at <prefix>/plugin/); computed per call so importing this module has no side effects. */
export const apiUrl = (path: string) => new URL(path, new URL('../', location.href)).toString();

let session: Session | undefined;
let onUnauthorized: (() => void) | undefined;
export const currentSession = () => session;
export const setSession = (s: Session | undefined) => (session = s);
export const whenUnauthorized = (fn: () => void) => (onUnauthorized = fn);

export type Request = <T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) => Promise<T>;

/**
 * A caller of the runner's API. The runner's own page: relative URLs, the
 * session cookie and its CSRF header. The Sunstone plugin (another origin):
 * the runner's URL and the X-OneHA-Session header, no cookie.
 */
export function makeRequest(o: { url: (path: string) => string; headers: (method: string) => Record<string, string>; credentials: RequestCredentials; onUnauthorized?: (path: string) => void }): Request {
  return async <T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { accept: 'application/json', ...o.headers(method) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(o.url(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: o.credentials });
    } catch {
      throw new ApiError(0, 'network', 'The oneha runner does not answer. Check that it is running, then try again.');
    }
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!res.ok) {
      const err = (data as { error?: { code?: string; message?: string; details?: FieldIssue[] } } | undefined)?.error;
      const e = new ApiError(res.status, err?.code ?? 'http', err?.message ?? `The runner answered HTTP ${res.status}.`, Array.isArray(err?.details) ? err.details : undefined);
      if (res.status === 401) o.onUnauthorized?.(path);
      throw e;
    }
    return data as T;
  };
}

export const request: Request = makeRequest({
  url: apiUrl,
  headers: (method): Record<string, string> => (method !== 'GET' && session ? { 'x-csrf-token': session.csrf } : {}),
  credentials: 'same-origin',
  onUnauthorized: (path) => {
    if (path !== 'v1/session' && session) onUnauthorized?.();
  },
});

/** The runner's routes, typed, over either caller. */
export function runnerApi(request: Request) {
  return {
    session: () => request<Session>('GET', 'v1/session'),
    /** At page load: undefined when nobody is signed in (no 401 in the browser's console). */
    sessionIfAny: () => request<Session | undefined>('GET', 'v1/session?optional=1'),
    signIn: (username: string, password: string) => request<Session>('POST', 'v1/session', { username, password }),
    signOut: () => request<{ ok: true }>('DELETE', 'v1/session'),
    hosts: () => request<HostList>('GET', 'v1/hosts'),
    host: (id: number) => request<HostView>('GET', `v1/hosts/${id}`),
    agents: () => request<{ agentDir: string; agents: string[] }>('GET', 'v1/fence/agents'),
    agentParameters: (agent: string) => request<AgentMetadata & { allowed: string[] }>('GET', `v1/fence/agents/${encodeURIComponent(agent)}`),
    saveSettings: (id: number, change: HostSettingsChange) => request<HostView>('PUT', `v1/hosts/${id}/settings`, change),
    checkSettings: (id: number, change: HostSettingsChange) => request<{ attributes: Record<string, string>; template: string }>('POST', `v1/hosts/${id}/settings/check`, change),
    setCredentials: (id: number, username: string, password: string) => request<{ usernameSet: boolean; passwordSet: boolean }>('PUT', `v1/hosts/${id}/credentials`, { username, password }),
    deleteCredentials: (id: number) => request<{ usernameSet: boolean; passwordSet: boolean }>('DELETE', `v1/hosts/${id}/credentials`),
    fenceTest: (id: number) => request<FenceTest>('POST', `v1/hosts/${id}/fence-test`),
    /**
     * Every host's readiness and each cluster's reserve: one request for the whole list. The runner answers its last
     * computation (made in the background) with its age; `fresh` waits for a new one (pool reads: on an operator's ask only).
     */
    readiness: (fresh = false) => request<ReadinessAnswer>('GET', `v1/readiness${fresh ? '?refresh=1' : ''}`),
    hostReadiness: (id: number, fresh = false) => request<HostReadinessAnswer>('GET', `v1/hosts/${id}/readiness${fresh ? '?refresh=1' : ''}`),
    /** "What if it died now": the whole chain as a dry run, touching nothing (admins). */
    rehearse: (id: number) => request<RehearsalReport>('POST', `v1/hosts/${id}/rehearse`),
    /** The host's last rehearsal; undefined when it was never rehearsed. */
    lastRehearsal: (id: number) => request<RehearsalReport>('GET', `v1/hosts/${id}/rehearsal`).catch((e: ApiError) => {
      if (e.status === 404) return undefined;
      throw e;
    }),
    recoveries: (host?: number) => request<{ total: number; recoveries: RecoverySummary[] }>('GET', `v1/recoveries?limit=200${host === undefined ? '' : `&host=${host}`}`),
    recovery: (id: string) => request<RecoveryDetail>('GET', `v1/recoveries/${encodeURIComponent(id)}`),
    release: (id: string) => request<RecoverySummary>('POST', `v1/recoveries/${encodeURIComponent(id)}/release`),
    /** A dead BMC: the operator confirms the host is off (journaled with who and why); the recovery goes on. */
    confirmDown: (id: string, reason: string) => request<RecoverySummary>('POST', `v1/recoveries/${encodeURIComponent(id)}/confirm-down`, { reason }),
    demo: () => request<{ enabled: boolean; simUrl?: string }>('GET', 'v1/demo').catch((e: ApiError) => {
      if (e.status === 404) return { enabled: false };
      throw e;
    }),
    demoAction: (id: number, action: 'fail' | 'restore') => request<{ ok: true }>('POST', `v1/demo/hosts/${id}/${action}`),
  };
}
export type RunnerApi = ReturnType<typeof runnerApi>;

export const api = runnerApi(request);

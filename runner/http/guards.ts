// Door checks that hold for every route: where a request comes from (for
// throttling and the audit log), whether a browser write comes from a page of
// ours (Origin), and the headers every answer carries.
import type { Context, MiddlewareHandler } from 'hono';
import type { RunnerContext } from '../context';
import type { JsonLogger } from '../log';
import { principalName, type AuthEnv } from './auth';
import { errorJson } from './errorJson';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const isWrite = (c: Context) => !SAFE_METHODS.has(c.req.method);

type NodeBindings = { incoming?: { socket?: { remoteAddress?: string } } };

/**
 * The client's address: the socket's peer, or, when that peer is a proxy the
 * config trusts, the address that proxy appended to X-Forwarded-For (the last
 * entry: earlier ones are whatever the client claimed).
 */
export function clientAddress(c: Context, trustedProxies: readonly string[]): string {
  const env = c.env as (NodeBindings & { server?: NodeBindings }) | undefined;
  const peer = (env?.server ?? env)?.incoming?.socket?.remoteAddress?.replace(/^::ffff:/, '') ?? 'unknown';
  if (!trustedProxies.includes(peer)) return peer;
  const forwarded = c.req.header('x-forwarded-for')?.split(',').map((s) => s.trim()).filter(Boolean);
  return forwarded?.length ? forwarded[forwarded.length - 1] : peer;
}

/** Every answer: no MIME sniffing (a JSON body can never be run as a script or page). */
export const nosniff: MiddlewareHandler = async (c, next) => {
  await next();
  c.res.headers.set('X-Content-Type-Options', 'nosniff');
};

/**
 * Why this request's Origin may not write, or undefined. A browser sends
 * Origin on every cross-origin and every non-GET fetch; a page elsewhere that
 * got hold of a CSRF token still cannot make its writes look same-origin.
 * The runner's own origin is the Host the request was sent to.
 */
export function originProblem(c: Context, allowed: readonly string[]): string | undefined {
  const origin = c.req.header('origin');
  if (origin === undefined) {
    // No Origin: not a browser fetch, or an old one; Fetch Metadata still says cross-site.
    const site = c.req.header('sec-fetch-site');
    return site === 'cross-site' || site === 'same-site' ? `a ${site} request may not write` : undefined;
  }
  if (allowed.includes(origin)) return undefined;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return `the Origin "${origin.slice(0, 80)}" is not an origin`;
  }
  const own = c.req.header('host');
  return own && host.toLowerCase() === own.toLowerCase() ? undefined : `writes from ${origin.slice(0, 80)} are not allowed (configure plugin.allowedOrigins to allow another origin)`;
}

/** Browser writes (no bearer token) must come from our own origin or a configured one. */
export function checkOrigin(allowed: () => readonly string[]): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    if (isWrite(c) && !c.req.header('authorization')) {
      const problem = originProblem(c, allowed());
      if (problem) return errorJson(c, 403, 'bad-origin', `Refused: ${problem}.`);
    }
    await next();
  };
}

export type AuditEvent = 'sign-in' | 'sign-out' | 'refused' | 'settings' | 'credentials' | 'disarm' | 'arm' | OperatorAction;

/**
 * Operator actions on a recovery or a host: each gets its audit line from the
 * request and its answer (settings, credentials, disarm and arm are recorded
 * by their routes, with what changed).
 */
const OPERATOR_ACTIONS = [
  { path: /^\/v1\/recoveries\/([^/]+)\/release$/, event: 'release', on: 'recoveryId' },
  { path: /^\/v1\/recoveries\/([^/]+)\/confirm-down$/, event: 'confirm-down', on: 'recoveryId' },
  { path: /^\/v1\/recoveries\/([^/]+)\/replay$/, event: 'replay', on: 'recoveryId' },
  { path: /^\/v1\/hosts\/([^/]+)\/fence-test$/, event: 'fence-test', on: 'hostId' },
  { path: /^\/v1\/hosts\/([^/]+)\/power-on$/, event: 'power-on', on: 'hostId' },
] as const;
type OperatorAction = (typeof OPERATOR_ACTIONS)[number]['event'];

/**
 * One structured line per security-relevant event: who, what, from where and
 * the outcome. Never a secret: callers pass names and attribute names, and the
 * logger scrubs known secret values as a last guard.
 */
export class AuditLog {
  constructor(private readonly log: JsonLogger, private readonly trustedProxies: () => readonly string[]) {}

  record(c: Context, event: AuditEvent, outcome: 'ok' | 'refused' | 'throttled' | 'failed', fields: Record<string, unknown> = {}, user?: string): void {
    const who = user ?? principalName((c as Context<AuthEnv>).get('principal'));
    const source = clientAddress(c, this.trustedProxies());
    this.log.info(`audit: ${event} ${outcome} for ${who} from ${source}`, { audit: event, outcome, user: who, source, method: c.req.method, path: c.req.path, ...fields });
  }

  /** After every request: a refused write (401/403) gets its line, whichever check refused it. */
  refusals(): MiddlewareHandler<AuthEnv> {
    return async (c, next) => {
      await next();
      const status = c.res.status;
      const signIn = c.req.method === 'POST' && c.req.path === '/v1/session'; // has its own line
      if ((status === 401 || status === 403) && isWrite(c) && !signIn) {
        let code: string | undefined;
        try {
          code = ((await c.res.clone().json()) as { error?: { code?: string } }).error?.code;
        } catch { /* not our JSON error */ }
        this.record(c, 'refused', 'refused', { status, code });
      }
    };
  }

  /**
   * After every request: an operator action (release, confirm-down, replay,
   * fence-test, power-on) gets its line, with the recovery or host it acted
   * on and its result: ok, refused (4xx, with the error code) or failed (5xx,
   * or a BMC that did not do it). 401/403 are left to refusals().
   */
  operatorActions(): MiddlewareHandler<AuthEnv> {
    return async (c, next) => {
      await next();
      const action = c.req.method === 'POST' ? OPERATOR_ACTIONS.find((a) => a.path.test(c.req.path)) : undefined;
      const status = c.res.status;
      if (!action || status === 401 || status === 403) return;
      let body: { status?: string; ok?: boolean; reachable?: boolean; error?: string | { code?: string; message?: string } } = {};
      try {
        body = await c.res.clone().json();
      } catch { /* not JSON: the status says enough */ }
      const didNotWork = body.ok === false || body.reachable === false;
      const outcome = status >= 500 || (status < 300 && didNotWork) ? 'failed' : status >= 400 ? 'refused' : 'ok';
      const target = decodeURIComponent(action.path.exec(c.req.path)![1]);
      const error = typeof body.error === 'string' ? body.error : body.error?.message;
      this.record(c, action.event, outcome, {
        [action.on]: action.on === 'hostId' && /^\d+$/.test(target) ? Number(target) : target,
        status, result: body.status, code: typeof body.error === 'object' ? body.error.code : undefined, error,
      });
    };
  }
}

const audits = new WeakMap<RunnerContext, AuditLog>();
/** The runner's one audit log (routes built in different places share it). */
export function auditFor(ctx: RunnerContext): AuditLog {
  let a = audits.get(ctx);
  if (!a) audits.set(ctx, (a = new AuditLog(ctx.log.child({ component: 'audit' }), () => ctx.config.plugin.trustedProxies)));
  return a;
}

// Admin-console sign-in. The credentials are checked against oned exactly the
// way FireEdge does it (one.user.info(-1) as that user); the password is
// used for that one call and never kept. A session is a random id in an
// httpOnly, SameSite=Strict cookie, mapped in memory to the user, whether
// they are an administrator (group 0) and a CSRF token the page sends back
// on every write. A runner restart signs everybody out (as FireEdge does).
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import * as z from 'zod';
import { describeError, OneError, OneErrorCode } from '../../model/errors';
import type { RunnerContext } from '../context';
import type { AuthEnv, Principal, SessionVerifier } from './auth';
import { routesFor } from './defineRoute';
import { errorJson } from './errorJson';
import { auditFor, clientAddress } from './guards';
import { Ok } from './views';
import { SignInThrottle } from './signInThrottle';
import { pluginOrigin, SESSION_HEADER } from './pluginOrigins';

export const SESSION_COOKIE = 'oneha_session';

export interface SessionRecord {
  userId: number;
  name: string;
  admin: boolean;
  csrf: string;
  expiresAt: number;
  /** See Principal.oneSession. */
  oneSession?: string;
}

export class SessionStore implements SessionVerifier {
  private readonly sessions = new Map<string, SessionRecord>();
  private lastSweep = 0;

  constructor(
    readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
    /** Oldest sessions are dropped beyond this many (a flood of sign-ins cannot exhaust memory). */
    private readonly maxSessions = 10_000,
  ) {}

  create(user: { id: number; name: string; admin: boolean; oneSession?: string }): { id: string; record: SessionRecord } {
    this.sweep();
    while (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    const record: SessionRecord = {
      userId: user.id, name: user.name, admin: user.admin, oneSession: user.oneSession,
      csrf: randomBytes(24).toString('base64url'),
      expiresAt: this.now() + this.ttlSeconds * 1000,
    };
    this.sessions.set(id, record);
    return { id, record };
  }

  get(id: string | undefined): SessionRecord | undefined {
    if (!id) return undefined;
    const r = this.sessions.get(id);
    if (!r) return undefined;
    if (r.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return r;
  }

  delete(id: string | undefined): boolean {
    return !!id && this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Drops expired sessions, at most once a minute. */
  private sweep(): void {
    const now = this.now();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [id, r] of this.sessions) if (r.expiresAt <= now) this.sessions.delete(id);
  }

  async verify(c: Context): Promise<Principal | undefined> {
    const r = this.get(c.req.header(SESSION_HEADER) ?? getCookie(c, SESSION_COOKIE));
    return r ? { kind: 'user', id: r.userId, name: r.name, admin: r.admin, csrf: r.csrf, oneSession: r.oneSession } : undefined;
  }
}

export const SignInBody = z.object({
  // oned's session string is "user:password": a ':' in the name would shift it.
  username: z.string().trim().min(1, 'enter a user name').max(128).regex(/^[^:\s]+$/, 'a user name has no ":" and no spaces'),
  password: z.string().min(1, 'enter a password').max(1024),
}).strict();

export const SessionView = z.object({
  user: z.object({ id: z.number(), name: z.string() }),
  admin: z.boolean(),
  csrf: z.string(),
  expiresAt: z.number(),
  /** Only for the Sunstone plugin (a configured FireEdge origin): the session id it sends as X-OneHA-Session. */
  session: z.string().optional(),
});

function view(r: SessionRecord) {
  return { user: { id: r.userId, name: r.name }, admin: r.admin, csrf: r.csrf, expiresAt: r.expiresAt };
}

/** Behind a TLS-terminating proxy the runner sees http: trust X-Forwarded-Proto for the Secure flag only. */
function isHttps(c: Context): boolean {
  const fwd = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  if (fwd === 'https') return true;
  try {
    return new URL(c.req.url).protocol === 'https:';
  } catch {
    return false;
  }
}

export function sessionRoutes(ctx: RunnerContext, store: SessionStore) {
  const audit = auditFor(ctx);
  const throttle = new SignInThrottle(ctx.config.plugin.signIn);

  return routesFor(ctx)
    .define({
      method: 'post', path: '/v1/session', operationId: 'signIn', tags: ['session'], auth: 'none', body: SignInBody,
      summary: 'Admin-console sign-in with OpenNebula credentials (checked with one.user.info as that user). Sets the oneha_session cookie; returns the user, whether they administer (group 0) and the CSRF token for writes.',
      responses: {
        200: { description: 'signed in', schema: SessionView }, 401: 'wrong user name or password',
        429: 'too many failed sign-ins for this user name or from this address (Retry-After says when to try again)', 502: 'oned cannot be reached',
      },
    }, async (c) => {
      const { username, password } = c.req.valid('json');
      const keys = SignInThrottle.keys(username, clientAddress(c, ctx.config.plugin.trustedProxies));
      const wait = throttle.begin(keys);
      if (wait > 0) {
        audit.record(c, 'sign-in', 'throttled', { retryAfterSeconds: wait }, username);
        c.header('retry-after', String(wait));
        return errorJson(c, 429, 'too-many-attempts', `Too many failed sign-ins for this user or from this address: try again in ${wait} s.`);
      }
      let user;
      try {
        user = await ctx.one.as(`${username}:${password}`).userInfo(-1);
      } catch (e) {
        if (e instanceof OneError && (e.code === OneErrorCode.AUTHENTICATION || e.code === OneErrorCode.AUTHORIZATION)) {
          throttle.failed(keys);
          audit.record(c, 'sign-in', 'refused', {}, username);
          return errorJson(c, 401, 'bad-credentials', 'Wrong user name or password.');
        }
        throttle.abandoned(keys);
        ctx.log.warn(`admin console: cannot check the sign-in of "${username}": ${describeError(e)}`);
        return errorJson(c, 502, 'oned-unreachable', `OpenNebula (oned at ${ctx.one.endpoint}) could not check the sign-in: ${describeError(e)}. Try again when oned answers.`);
      }
      throttle.succeeded(keys);
      const admin = user.gid === 0 || user.groups.includes(0);
      // Non-administrators read hosts and recoveries through oned as themselves (a login token, as
      // FireEdge does), so oned's ACLs decide what they see; the password itself is not kept.
      let oneSession: string | undefined;
      if (!admin) {
        try {
          oneSession = `${user.name}:${await ctx.one.as(`${username}:${password}`).userLogin(user.name, '', store.ttlSeconds)}`;
        } catch (e) {
          ctx.log.warn(`admin console: cannot open an OpenNebula session for "${user.name}": ${describeError(e)}`);
          return errorJson(c, 502, 'oned-unreachable', `OpenNebula could not open a session for ${user.name} (one.user.login): ${describeError(e)}.`);
        }
      }
      store.delete(getCookie(c, SESSION_COOKIE)); // a new id on every sign-in (no session fixation)
      const { id, record } = store.create({ id: user.id, name: user.name, admin, oneSession });
      setCookie(c, SESSION_COOKIE, id, {
        httpOnly: true, sameSite: 'Strict', path: '/', maxAge: store.ttlSeconds, secure: isHttps(c),
      });
      c.header('cache-control', 'no-store');
      const fromSunstone = pluginOrigin(c, ctx.config.plugin.allowedOrigins);
      audit.record(c, 'sign-in', 'ok', { admin, ...(fromSunstone ? { sunstone: fromSunstone } : {}) }, user.name);
      // The cookie stays httpOnly for the runner's own page; the plugin, on another origin, cannot use it and gets the id.
      return c.json(fromSunstone ? { ...view(record), session: id } : view(record));
    })
    .define({
      method: 'get', path: '/v1/session', operationId: 'getSession', tags: ['session'], auth: 'none',
      query: z.object({ optional: z.string().optional().describe('1: answer 204 rather than 401 when nobody is signed in') }),
      summary: 'The signed-in user (and the CSRF token), or 401 (204 with ?optional=1).',
      responses: { 200: { description: 'signed in', schema: SessionView }, 204: 'no session (?optional=1)', 401: 'no session' },
    }, (c) => {
      const r = store.get(c.req.header(SESSION_HEADER) ?? getCookie(c, SESSION_COOKIE));
      c.header('cache-control', 'no-store');
      // ?optional=1 (the page at load): "not signed in" is an answer, not an error a browser logs.
      if (!r) return c.req.valid('query').optional === '1' ? c.body(null, 204) : errorJson(c, 401, 'no-session', 'not signed in');
      return c.json(view(r));
    })
    .define({
      method: 'delete', path: '/v1/session', operationId: 'signOut', tags: ['session'], auth: 'none',
      summary: 'Sign out: forgets the session and clears the cookie. Needs the session\'s X-CSRF-Token (a page elsewhere cannot sign a user out).',
      responses: { 200: { description: 'signed out (or was not signed in)', schema: Ok }, 403: 'missing or wrong X-CSRF-Token' },
    }, (c) => {
      const id = c.req.header(SESSION_HEADER) ?? getCookie(c, SESSION_COOKIE);
      const r = store.get(id);
      if (r && c.req.header('x-csrf-token') !== r.csrf) return errorJson(c, 403, 'csrf', 'Signing out needs the session\'s X-CSRF-Token header.');
      store.delete(id);
      deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: isHttps(c) });
      if (r) audit.record(c, 'sign-out', 'ok', {}, r.name);
      // The user's oned login token ends with the session (best effort: it expires anyway).
      if (r?.oneSession) void ctx.one.as(r.oneSession).userLogin(r.name, r.oneSession.slice(r.name.length + 1), 0).catch(() => undefined);
      return c.json({ ok: true as const });
    })
    .app;
}

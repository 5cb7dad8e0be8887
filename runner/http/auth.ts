// Who is calling: the hook/operator bearer token, or a signed-in admin-console
// user. Token comparison is constant-time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { errorJson } from './errorJson';

export type Principal =
  | { kind: 'token' }
  | {
    kind: 'user'; id: number; name: string; admin: boolean; csrf: string;
    /** "name:token" from one.user.login: reads go to oned as this user, so oned decides what they see. Never shown or logged. */
    oneSession?: string;
  };

/** Implemented by the admin-console session module. */
export interface SessionVerifier {
  verify(c: Context): Promise<Principal | undefined>;
}

export type AuthEnv = { Variables: { principal: Principal | undefined } };

const digest = (s: string) => createHash('sha256').update(s).digest();

export function tokenMatches(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, so timingSafeEqual never throws or leaks the length.
  return expected.length > 0 && timingSafeEqual(digest(given), digest(expected));
}

export function bearerOf(c: Context): string | undefined {
  const h = c.req.header('authorization');
  const m = h ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m ? m[1] : undefined;
}

export function authenticate(token: () => string, sessions: SessionVerifier | undefined): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const bearer = bearerOf(c);
    let p: Principal | undefined;
    if (bearer !== undefined) {
      if (!tokenMatches(bearer, token())) return errorJson(c, 401, 'bad-token', 'wrong bearer token');
      p = { kind: 'token' };
    } else if (sessions) {
      p = await sessions.verify(c);
    }
    c.set('principal', p);
    await next();
  };
}

/** The hook endpoint: the bearer token only (no session), before the body is read. */
export function requireHookToken(token: () => string): MiddlewareHandler {
  return async (c, next) => {
    const bearer = bearerOf(c);
    if (bearer === undefined) return errorJson(c, 401, 'missing-token', 'Authorization: Bearer <token> is required');
    if (!tokenMatches(bearer, token())) return errorJson(c, 401, 'bad-token', 'wrong bearer token');
    await next();
  };
}

export const requireRead: MiddlewareHandler<AuthEnv> = async (c, next) => {
  if (!c.get('principal')) return errorJson(c, 401, 'unauthenticated', 'sign in, or send the bearer token');
  await next();
};

/** Writes: the token, or an admin user with the CSRF header matching the session. */
export const requireAdmin: MiddlewareHandler<AuthEnv> = async (c, next) => {
  const p = c.get('principal');
  if (!p) return errorJson(c, 401, 'unauthenticated', 'sign in, or send the bearer token');
  if (p.kind === 'user') {
    if (!p.admin) return errorJson(c, 403, 'forbidden', `${p.name} is not in the oneadmin group: read-only`);
    if (c.req.header('x-csrf-token') !== p.csrf) return errorJson(c, 403, 'csrf', 'missing or wrong X-CSRF-Token header');
  }
  await next();
};

export function principalName(p: Principal | undefined): string {
  return !p ? 'anonymous' : p.kind === 'token' ? 'token' : p.name;
}

/**
 * Whether this caller may see fence settings (FENCE_IP, options, commands,
 * secret refs) and what carries them (hook payloads, step inputs): the token,
 * administrators, or everyone when the config says so.
 */
export function seesFenceSettings(p: Principal | undefined, visibleTo: 'admins' | 'all'): boolean {
  return visibleTo === 'all' || p?.kind === 'token' || (p?.kind === 'user' && p.admin);
}

/** The oned session a read should use for this caller: the user's own, or undefined for the runner's (the token, administrators). */
export function readsAs(p: Principal | undefined): string | undefined {
  return p?.kind === 'user' && !p.admin ? p.oneSession : undefined;
}

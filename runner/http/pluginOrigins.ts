// The Sunstone plugin runs on FireEdge's origin and calls the runner across
// origins. It authenticates with a header (X-OneHA-Session: the session id
// its single sign-on got), never with a cookie, so no other site can make a
// browser send it (no CSRF). Only the FireEdge origins in config
// `plugin.origins` get CORS answers, so a page from anywhere else cannot send
// that header nor read a reply; a header session arriving with another
// Origin is refused outright.
import type { Context, MiddlewareHandler } from 'hono';
import { errorJson } from './errorJson';

export const SESSION_HEADER = 'x-oneha-session';

/** The request's Origin when it is one of the configured FireEdge origins. */
export function pluginOrigin(c: Context, origins: readonly string[]): string | undefined {
  const o = c.req.header('origin');
  return o && origins.includes(o) ? o : undefined;
}

export function pluginCors(origins: () => readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    const listed = origins();
    const allowed = pluginOrigin(c, listed);
    const origin = c.req.header('origin');
    if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method')) {
      if (!allowed) return c.body(null, 403);
      return c.body(null, 204, {
        'access-control-allow-origin': allowed,
        'access-control-allow-methods': 'GET, POST, PUT, DELETE',
        'access-control-allow-headers': `content-type, x-csrf-token, ${SESSION_HEADER}`,
        'access-control-max-age': '600',
        vary: 'Origin',
      });
    }
    if (c.req.header(SESSION_HEADER) !== undefined && origin !== undefined && !allowed) {
      return errorJson(c, 403, 'origin', `requests from ${origin} are not accepted: add it to config plugin.origins if it is your FireEdge`);
    }
    await next();
    if (allowed) {
      c.res.headers.set('access-control-allow-origin', allowed);
      c.res.headers.append('vary', 'Origin');
    }
  };
}

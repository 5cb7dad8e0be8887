// The runner's HTTP API, composed explicitly: the hook endpoint (its own
// token check), then authentication for everything else, then each group of
// routes. Extra route groups (the admin console's sign-in and page, the demo)
// plug in the same way.
import { Hono } from 'hono';
import { describeError } from '../../model/errors';
import type { RunnerContext } from '../context';
import { authenticate, type AuthEnv, type SessionVerifier } from './auth';
import { readinessRoutes } from './readinessRoutes';
import { functionsRoutes } from './functionsRoutes';
import { auditFor, checkOrigin, nosniff } from './guards';
import { hookRoutes } from './hookRoute';
import { hostsRoutes } from './hostsRoutes';
import { errorJson } from './errorJson';
import { pluginCors } from './pluginOrigins';
import { recoveriesRoutes } from './recoveriesRoutes';
import { metricsRoutes, systemRoutes } from './systemRoutes';

export interface AppExtensions {
  sessions?: SessionVerifier;
  /** Route groups mounted after authentication (admin console, demo controls). */
  routes?: Hono<AuthEnv>[];
}

export function createApp(ctx: RunnerContext, ext: AppExtensions = {}) {
  const app = new Hono<AuthEnv>();
  app.onError((e, c) => {
    ctx.log.error(`HTTP ${c.req.method} ${c.req.path} failed: ${describeError(e)}`);
    return errorJson(c, 500, 'internal', 'internal error; see the runner log');
  });
  app.notFound((c) => errorJson(c, 404, 'not-found', `no route ${c.req.method} ${c.req.path}`));
  app.use('*', nosniff, auditFor(ctx).refusals(), auditFor(ctx).operatorActions());
  // Before the origin check: a FireEdge origin's preflight gets its CORS answer.
  app.use('*', pluginCors(() => ctx.config.plugin.allowedOrigins));
  app.route('/', hookRoutes(ctx));
  app.route('/', metricsRoutes(ctx));
  app.use('*', checkOrigin(() => ctx.config.plugin.allowedOrigins), authenticate(ctx.token, ext.sessions));
  app.route('/', systemRoutes(ctx));
  app.route('/', recoveriesRoutes(ctx));
  app.route('/', functionsRoutes(ctx));
  app.route('/', hostsRoutes(ctx));
  app.route('/', readinessRoutes(ctx));
  for (const r of ext.routes ?? []) app.route('/', r);
  return app;
}

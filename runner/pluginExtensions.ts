// The admin console's pieces of the runner: sign-in sessions (the
// SessionVerifier the authentication middleware asks) and the page's static
// files. The hosts API behind its forms is part of the runner's API (app.ts).
import type { RunnerContext } from './context';
import type { AppExtensions } from './http/app';
import { pluginStatic } from './http/pluginStatic';
import { SessionStore, sessionRoutes } from './http/sessionRoutes';

export function pluginExtensions(ctx: RunnerContext): AppExtensions {
  const sessions = new SessionStore(ctx.config.plugin.sessionTtlSeconds, () => Date.now());
  return {
    sessions,
    routes: [sessionRoutes(ctx, sessions), pluginStatic(ctx)],
  };
}

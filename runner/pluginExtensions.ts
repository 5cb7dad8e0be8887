// The admin console's pieces of the runner: sign-in sessions (the
// SessionVerifier the authentication middleware asks), the hosts API behind
// its forms, and the page's static files.
import type { RunnerContext } from './context';
import type { AppExtensions } from './http/app';
import { hostsRoutes } from './http/hostsRoutes';
import { pluginStatic } from './http/pluginStatic';
import { SessionStore, sessionRoutes } from './http/sessionRoutes';

export function pluginExtensions(ctx: RunnerContext): AppExtensions {
  const sessions = new SessionStore(ctx.config.plugin.sessionTtlSeconds, () => Date.now());
  return {
    sessions,
    routes: [sessionRoutes(ctx, sessions), hostsRoutes(ctx), pluginStatic(ctx)],
  };
}

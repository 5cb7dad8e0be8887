// The admin console's pieces of the runner (sign-in sessions, host settings,
// static page). Replaced by the plugin's own module as it lands.
import type { RunnerContext } from './context';
import type { AppExtensions } from './http/app';

export function pluginExtensions(_ctx: RunnerContext): AppExtensions {
  return {};
}

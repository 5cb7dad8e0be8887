// Real ports for a function bundle, from the same environment and config as
// the runner (ONE_XMLRPC, ONE_AUTH, ONEHA_CONFIG, ONEHA_SECRETS_FILE, ...),
// built by the composition root: only the ports the function asks for.
import type { Ports } from '../model/ports';
import { composeBasics, portsFor } from './compose';
import { loadConfig } from './config';
import { stderrSink } from './log';

export async function portsFromEnvironment(names: readonly (keyof Ports)[]): Promise<Ports> {
  return portsFor(composeBasics(loadConfig(), { logSink: stderrSink }), names);
}

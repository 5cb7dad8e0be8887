// Real ports for a function bundle, from the same environment and config as
// the runner (ONE_XMLRPC, ONE_AUTH, ONEHA_CONFIG, ONEHA_SECRETS_FILE, ...).
import { realClock, type Ports } from '../model/ports';
import { loadConfig } from './config';
import { createFencePort } from './fence/agentPort';
import { createSecretStore } from './fence/secrets';
import { JsonLogger, stderrSink } from './log';
import { OneClient } from './one/client';
import { resolveEndpoint, resolveSession } from './one/credentials';

export async function portsFromEnvironment(names: readonly (keyof Ports)[]): Promise<Ports> {
  const log = new JsonLogger(stderrSink);
  const ports = { clock: realClock, log, progress: { emit() {} } } as unknown as Ports;
  if (names.includes('one') || names.includes('fence')) {
    const config = loadConfig();
    if (names.includes('one')) {
      ports.one = new OneClient({ endpoint: resolveEndpoint(config.one.endpoint).value, session: resolveSession(config.one.authFile).value, timeoutMs: config.one.timeoutMs });
    }
    if (names.includes('fence')) {
      ports.fence = createFencePort({ secrets: createSecretStore({ file: config.fence.secretsFile }), agentDir: config.fence.agentDir, timeoutMs: config.fence.timeoutMs, retries: config.fence.retries, retryDelayMs: config.fence.retryDelayMs, log, allowLoopback: config.fence.allowLoopback });
    }
  }
  return ports;
}

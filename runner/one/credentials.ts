// Endpoint and session lookup exactly as OpenNebula's own clients do it
// (as OpenNebula's own CLI does): explicit value, then ONE_XMLRPC / ONE_AUTH, then the files.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_ENDPOINT = 'http://localhost:2633/RPC2';

export interface ResolvedValue {
  value: string;
  /** Where it came from, for logs (never the secret itself). */
  source: string;
}

const firstLine = (path: string) => readFileSync(path, 'utf8').split('\n')[0].trim();

export function resolveEndpoint(explicit?: string, env: NodeJS.ProcessEnv = process.env, home = homedir()): ResolvedValue {
  if (explicit) return { value: explicit, source: 'config' };
  if (env.ONE_XMLRPC) return { value: env.ONE_XMLRPC, source: 'ONE_XMLRPC' };
  for (const f of [join(home, '.one', 'one_endpoint'), '/var/lib/one/.one/one_endpoint']) {
    if (existsSync(f)) return { value: firstLine(f), source: f };
  }
  return { value: DEFAULT_ENDPOINT, source: 'default' };
}

export class CredentialsError extends Error {
  /** classify(): the operator's input (configuration, environment) is wrong. */
  readonly kind = 'invalid-input' as const;
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsError';
  }
}

/** The "user:password" session string. ONE_AUTH is a path, not the secret. */
export function resolveSession(explicitFile?: string, env: NodeJS.ProcessEnv = process.env, home = homedir()): ResolvedValue {
  const candidates = explicitFile
    ? [[explicitFile, 'config']]
    : [
        ...(env.ONE_AUTH ? [[env.ONE_AUTH, 'ONE_AUTH']] : []),
        [join(home, '.one', 'one_auth'), join(home, '.one', 'one_auth')],
        ['/var/lib/one/.one/one_auth', '/var/lib/one/.one/one_auth'],
      ];
  for (const [path, source] of candidates) {
    if (!existsSync(path)) {
      if (source !== path) throw new CredentialsError(`${source} names ${path}, which does not exist`);
      continue;
    }
    const line = firstLine(path);
    if (!/^[^:\s]+:.+$/.test(line)) throw new CredentialsError(`${path} must hold one line "user:password"`);
    return { value: line, source };
  }
  throw new CredentialsError('no OpenNebula credentials: set ONE_AUTH to a file holding "user:password", or create ~/.one/one_auth');
}

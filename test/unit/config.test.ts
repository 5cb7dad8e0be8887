import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, readMonitordInterval } from '../../runner/config';
import { resolveEndpoint, resolveSession } from '../../runner/one/credentials';

const dir = mkdtempSync(join(tmpdir(), 'oneha-config-'));

describe('config', () => {
  it('works from the environment alone, with defaults', () => {
    const c = loadConfig({ ONEHA_LISTEN: '0.0.0.0:9000', ONEHA_DATA_DIR: '/tmp/x', ONEHA_FENCE_COMMAND: '/bin/fence', ONE_XMLRPC: 'http://one:2633/RPC2', ONEHA_TOKEN_FILE: '/t' });
    expect(c).toMatchObject({ listen: '0.0.0.0:9000', dataDir: '/tmp/x', tokenFile: '/t', fence: { command: '/bin/fence', retries: 5, retryDelayMs: 1000 }, one: { endpoint: 'http://one:2633/RPC2' }, concurrency: { vms: 8 }, brakes: { massFailure: { share: 0.5 } } });
  });

  it('a wrong value stops with the key named', () => {
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify({ concurrency: { vms: 0 }, defaults: { mode: 'reboot' } }));
    expect(() => loadConfig({ ONEHA_CONFIG: f })).toThrow(/config key concurrency\.vms:[\s\S]*config key defaults\.mode:/);
    expect(() => loadConfig({ ONEHA_LISTEN: 'nonsense' })).toThrow(/config key listen \(ONEHA_LISTEN\)/);
    writeFileSync(f, JSON.stringify({ concurency: {} }));
    expect(() => loadConfig({ ONEHA_CONFIG: f })).toThrow(/concurency/);
    writeFileSync(f, '{ not json');
    expect(() => loadConfig({ ONEHA_CONFIG: f })).toThrow(/not valid JSON/);
    expect(() => loadConfig({ ONEHA_CONFIG: join(dir, 'missing.json') })).toThrow(/does not exist/);
  });

  it('reads MONITORING_INTERVAL_HOST from monitord.conf', () => {
    const f = join(dir, 'monitord.conf');
    writeFileSync(f, 'LOG = [ SYSTEM = "file" ]\nMONITORING_INTERVAL_HOST = 180\n');
    expect(readMonitordInterval(f)).toBe(180);
    expect(readMonitordInterval(join(dir, 'none.conf'))).toBeUndefined();
  });
});

describe('OpenNebula credentials lookup (as the official clients do it)', () => {
  it('endpoint: explicit, ONE_XMLRPC, ~/.one/one_endpoint, default', () => {
    expect(resolveEndpoint('http://a/RPC2', { ONE_XMLRPC: 'http://b/RPC2' }, dir).value).toBe('http://a/RPC2');
    expect(resolveEndpoint(undefined, { ONE_XMLRPC: 'http://b/RPC2' }, dir)).toEqual({ value: 'http://b/RPC2', source: 'ONE_XMLRPC' });
    expect(resolveEndpoint(undefined, {}, dir).value).toBe('http://localhost:2633/RPC2');
  });
  it('session: ONE_AUTH is a file path; its one line is user:password; errors are specific', () => {
    const f = join(dir, 'one_auth');
    writeFileSync(f, 'oneadmin:secret\n');
    expect(resolveSession(undefined, { ONE_AUTH: f }, dir)).toEqual({ value: 'oneadmin:secret', source: 'ONE_AUTH' });
    expect(() => resolveSession(undefined, { ONE_AUTH: join(dir, 'nope') }, dir)).toThrow(/ONE_AUTH names .* which does not exist/);
    writeFileSync(f, 'just-a-word\n');
    expect(() => resolveSession(undefined, { ONE_AUTH: f }, dir)).toThrow(/must hold one line "user:password"/);
  });
});

// The fence secret store: a 0600 JSON file plus the environment's default,
// write-only from the outside.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSecretStore, SecretStoreError } from '../../runner/fence/secrets';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oneha-secrets-'));
  file = join(dir, 'sub', 'fence-secrets.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('secret store', () => {
  it('sets, gets, has and deletes; writes the file with mode 0600', () => {
    const s = createSecretStore({ file, env: {} });
    expect(s.has('default')).toBe(false);
    s.set('default', { username: 'admin', password: 'pw1' });
    s.set('host:7', { password: 'pw7' });
    expect(s.get('default')).toEqual({ username: 'admin', password: 'pw1' });
    expect(s.get('host:7')).toEqual({ username: '', password: 'pw7' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'sub')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ default: { username: 'admin', password: 'pw1' }, 'host:7': { username: '', password: 'pw7' } });
    expect(s.delete('host:7')).toBe(true);
    expect(s.delete('host:7')).toBe(false);
    expect(s.has('host:7')).toBe(false);
  });

  it('describes refs without values', () => {
    const s = createSecretStore({ file, env: {} });
    s.set('pdu-a', { username: '', password: 'x' });
    s.set('default', { username: 'admin', password: 'topsecret' });
    const d = s.describe();
    expect(d).toEqual([
      { ref: 'default', usernameSet: true, passwordSet: true, source: 'file' },
      { ref: 'pdu-a', usernameSet: false, passwordSet: true, source: 'file' },
    ]);
    expect(JSON.stringify(d)).not.toMatch(/topsecret|admin/);
  });

  it('resolves a host: method secretRef, then host:<id>, then default', () => {
    const s = createSecretStore({ file, env: {} });
    s.set('default', { username: 'd', password: 'pd' });
    s.set('host:3', { username: 'h', password: 'ph' });
    s.set('pdu', { username: 'p', password: 'pp' });
    expect(s.forHost(3, 'pdu')).toEqual({ ref: 'pdu', credentials: { username: 'p', password: 'pp' } });
    expect(s.forHost(3, 'missing')?.ref).toBe('host:3');
    expect(s.forHost(3)?.ref).toBe('host:3');
    expect(s.forHost(4)?.ref).toBe('default');
    expect(s.refsForHost(4, 'pdu')).toEqual(['pdu', 'host:4', 'default']);
    expect(createSecretStore({ env: {} }).forHost(4)).toBeUndefined();
  });

  it('takes ONEHA_FENCE_USERNAME / ONEHA_FENCE_PASSWORD as default when the file has none', () => {
    const env = { ONEHA_FENCE_USERNAME: 'envuser', ONEHA_FENCE_PASSWORD: 'envpw' };
    const s = createSecretStore({ file, env });
    expect(s.get('default')).toEqual({ username: 'envuser', password: 'envpw' });
    expect(s.forHost(1)?.ref).toBe('default');
    expect(s.describe()).toEqual([{ ref: 'default', usernameSet: true, passwordSet: true, source: 'env' }]);
    s.set('default', { username: 'fileuser', password: 'filepw' });
    expect(s.get('default')?.username).toBe('fileuser');
    expect(s.delete('default')).toBe(true);
    expect(s.get('default')?.username).toBe('envuser'); // the environment's cannot be deleted
  });

  it('lists every password it would hand out (for the log scrub), and reads a file changed behind its back anew', () => {
    const s = createSecretStore({ file, env: { ONEHA_FENCE_PASSWORD: 'envpw' } });
    expect(s.passwords()).toEqual(['envpw']);
    s.set('host:7', { password: 'pw7' });
    expect(s.passwords().sort()).toEqual(['envpw', 'pw7']);
    s.set('default', { password: 'filepw' }); // the file's default hides the environment's
    expect(s.passwords().sort()).toEqual(['filepw', 'pw7']);
    // Another process rewrites it in place (same size, same mode): the store does not answer from what it read before.
    writeFileSync(file, JSON.stringify({ default: { username: '', password: 'filepx' }, 'host:7': { username: '', password: 'pw8' } }), { mode: 0o600 });
    expect(s.passwords().sort()).toEqual(['filepx', 'pw8']);
    expect(s.get('host:7')).toEqual({ username: '', password: 'pw8' });
    chmodSync(file, 0o644);
    expect(() => s.passwords()).toThrow(SecretStoreError);
  });

  it('refuses to read a file open to group or others, saying how to fix it', () => {
    const s = createSecretStore({ file, env: {} });
    s.set('default', { username: 'a', password: 'b' });
    chmodSync(file, 0o644);
    expect(() => s.get('default')).toThrow(SecretStoreError);
    expect(() => s.get('default')).toThrow(`mode 0644); run: chmod 600 ${file}`);
    chmodSync(file, 0o640);
    expect(() => s.forHost(1)).toThrow(/open to group or others/);
  });

  it('never quotes the file in its errors (it holds passwords)', () => {
    writeFileSync(file.replace('/sub', ''), '{"default": {"username": "a", "password": "leaky-pw"', { mode: 0o600 });
    const s = createSecretStore({ file: file.replace('/sub', ''), env: {} });
    expect(() => s.get('default')).toThrow(/is not valid JSON$/);
    try { s.get('default'); } catch (e) { expect(String(e)).not.toContain('leaky-pw'); }
    writeFileSync(file.replace('/sub', ''), '{"default": {"username": "a", "password": 42}}', { mode: 0o600 });
    expect(() => s.get('default')).toThrow(/bad entry at default.password/);
  });

  it('validates refs and credentials on write, and needs a file to write', () => {
    const s = createSecretStore({ file, env: {} });
    expect(() => s.set('host:x', { password: 'a' })).toThrow(/bad secret ref/);
    expect(() => s.set('a b', { password: 'a' })).toThrow(/bad secret ref/);
    expect(() => s.set('ok', { username: 'a' } as never)).toThrow(/need a password/);
    expect(() => createSecretStore({ env: {} }).set('default', { password: 'a' })).toThrow(/no fence secret file is configured/);
  });
});

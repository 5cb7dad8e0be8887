// The page's static files: served under /plugin/ with a strict CSP, no
// path traversal, ETag revalidation; / redirects there (relative, so a
// reverse proxy's prefix is kept).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pluginDir } from '../../runner/http/pluginStatic';
import { startHarness, type Harness } from './harness';

let t: Harness;
let dir: string;
const before = process.env.ONEHA_PLUGIN_DIR;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oneha-plugin-static-'));
  mkdirSync(join(dir, 'plugin'));
  writeFileSync(join(dir, 'plugin', 'index.html'), '<!doctype html><title>oneha</title><script type="module" src="app.js"></script>');
  writeFileSync(join(dir, 'plugin', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'plugin', 'style.css'), 'body{}');
  writeFileSync(join(dir, 'secret.txt'), 'outside');
  process.env.ONEHA_PLUGIN_DIR = join(dir, 'plugin');
  t = await startHarness();
});
afterAll(async () => {
  if (before === undefined) delete process.env.ONEHA_PLUGIN_DIR;
  else process.env.ONEHA_PLUGIN_DIR = before;
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('static page', () => {
  it('/ and /plugin redirect (relatively) to /plugin/', async () => {
    const root = await t.req('GET', '/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('plugin/');
    expect((await t.req('GET', '/plugin')).headers.get('location')).toBe('plugin/');
  });

  it('serves index.html without a session, with a strict CSP and no-cache', async () => {
    const r = await t.req('GET', '/plugin/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.text).toContain('<title>oneha</title>');
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toMatch(/frame-ancestors 'self'/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('cache-control')).toBe('no-cache');
  });

  it('serves assets with their types and answers 304 to a matching ETag', async () => {
    const js = await t.req('GET', '/plugin/app.js');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    const etag = js.headers.get('etag')!;
    expect(etag).toMatch(/^"/);
    expect((await t.req('GET', '/plugin/app.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await t.req('GET', '/plugin/style.css')).headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('never leaves the plugin directory', async () => {
    for (const p of ['/plugin/../secret.txt', '/plugin/%2e%2e/secret.txt', '/plugin/..%2fsecret.txt', '/plugin/.hidden', '/plugin/nope.js']) {
      const r = await t.req('GET', p);
      expect(r.status, p).toBe(404);
      expect(r.text).not.toContain('outside');
    }
  });

  it('finds dist/plugin next to the bundle or from the source tree', () => {
    expect(pluginDir({ ONEHA_PLUGIN_DIR: '/x/y' })).toBe('/x/y');
    expect(pluginDir({})).toMatch(/dist\/plugin$/);
  });

  it('the OpenAPI document lists the admin-console routes', async () => {
    const doc = (await t.req('GET', '/v1/openapi.json')).json;
    for (const p of ['/v1/session', '/v1/hosts', '/v1/hosts/{id}/settings', '/v1/hosts/{id}/credentials', '/v1/fence/agents', '/plugin/{file}']) expect(Object.keys(doc.paths)).toContain(p);
    expect(doc.paths['/v1/hosts/{id}/settings'].put.requestBody.content['application/json'].schema.properties).toHaveProperty('fenceIp');
  });
});

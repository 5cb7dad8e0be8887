// The admin-console page's static files (dist/plugin, built by build.mjs),
// served under /plugin/ with a strict Content-Security-Policy. Every URL the
// page uses is relative, so the same files work behind a reverse proxy that
// mounts the runner under a prefix (e.g. /oneha/ on FireEdge's origin).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';
import * as z from 'zod';
import type { RunnerContext } from '../context';
import type { AuthEnv } from './auth';
import { routesFor } from './defineRoute';
import { errorJson } from './errorJson';
import { TextBody } from './views';

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

/**
 * dist/plugin next to the running code: dist/oneha.mjs -> dist/plugin; under
 * tsx, runner/http/pluginStatic.ts -> ../../dist/plugin. ONEHA_PLUGIN_DIR overrides.
 */
export function pluginDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ONEHA_PLUGIN_DIR) return resolve(env.ONEHA_PLUGIN_DIR);
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'plugin'), join(here, '..', 'dist', 'plugin'), join(here, '..', '..', 'dist', 'plugin')];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[0];
}

interface Cached { body: Uint8Array; etag: string; mtimeMs: number; size: number }

export function pluginStatic(ctx: RunnerContext, dir = pluginDir()) {
  const root = resolve(dir);
  const cache = new Map<string, Cached>();

  const load = (file: string): Cached | undefined => {
    let st;
    try {
      st = statSync(file);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
    const body = new Uint8Array(readFileSync(file));
    const entry = { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"`, mtimeMs: st.mtimeMs, size: st.size };
    cache.set(file, entry);
    return entry;
  };

  const send = (c: Context<AuthEnv>, rel: string) => {
    const file = normalize(join(root, rel));
    if (file !== root && !file.startsWith(root + sep)) return errorJson(c, 404, 'not-found', 'no such file');
    const f = load(file);
    if (!f) {
      if (rel === 'index.html') return errorJson(c, 404, 'not-built', `the admin console is not built (${file} is missing): run npm run build`);
      return errorJson(c, 404, 'not-found', `no file ${rel}`);
    }
    const headers: Record<string, string> = {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'SAMEORIGIN',
      // File names carry no content hash: always revalidate (cheap, ETag answers 304).
      'cache-control': 'no-cache',
      etag: f.etag,
    };
    if (c.req.header('if-none-match') === f.etag) return c.body(null, 304, headers);
    return c.body(f.body as unknown as ArrayBuffer, 200, headers);
  };

  // The page's files are documented as one operation; the page itself (/plugin/) and the redirects are plumbing.
  return routesFor(ctx).define({
    method: 'get', path: '/plugin/:file{.+}', operationId: 'getConsoleFile', tags: ['console'], auth: 'none',
    params: z.object({ file: z.string().describe('a file of the admin console; index.html is the page (also served at /plugin/)') }),
    summary: 'The admin-console page and its files (sign-in inside).',
    responses: { 200: { description: 'the file', schema: TextBody, contentType: 'text/html' }, 304: 'not modified (If-None-Match)', 404: 'no such file, or the console is not built' },
  }, (c) => {
    let rel: string;
    try {
      rel = decodeURIComponent(c.req.path.slice('/plugin/'.length));
    } catch {
      return errorJson(c, 404, 'not-found', 'bad path');
    }
    if (rel.includes('\0') || rel.split('/').some((p) => p === '..' || p.startsWith('.'))) return errorJson(c, 404, 'not-found', 'no such file');
    return send(c, rel);
  }).app
    // Relative redirects keep a reverse proxy's prefix.
    .get('/', (c) => c.redirect('plugin/', 302))
    .get('/plugin', (c) => c.redirect('plugin/', 301))
    .get('/plugin/', (c) => send(c, 'index.html'));
}

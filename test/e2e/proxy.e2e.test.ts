// The reverse-proxy setup documented in docs/admin-console.md, verified: the
// two `nginx` blocks are taken from the document itself (only the upstream
// address is replaced), nginx runs them next to a stand-in FireEdge, and
// Chromium uses the console under /oneha/ on that origin, live events
// included. Needs nginx (.ci/run installs nginx-light): a missing nginx fails the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath, freePort, requireBuilt, ROOT, startDemo, tempDir, type Demo } from './helpers';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));


/** The ```nginx blocks of the admin-console document, in order. */
function documentedNginx(): { httpLevel: string; serverLevel: string } {
  const doc = readFileSync(join(ROOT, 'docs', 'admin-console.md'), 'utf8');
  const blocks = [...doc.matchAll(/```nginx\n([\s\S]*?)```/g)].map((m) => m[1]);
  if (blocks.length !== 2) throw new Error(`docs/admin-console.md should have 2 nginx blocks, has ${blocks.length}`);
  return { httpLevel: blocks[0], serverLevel: blocks[1] };
}

describe('docs/admin-console.md reverse proxy (nginx)', () => {
  it('nginx is installed (apt-get install nginx-light)', () => expect(NGINX).toBeTruthy());
  let demo: Demo;
  let browser: Browser;
  let nginx: ChildProcess | undefined;
  let fireedge: http.Server;
  let base: string;
  let errLog: string;

  beforeAll(async () => {
    requireBuilt();
    const executablePath = chromiumPath();
    fireedge = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`FireEdge stand-in: ${req.url}`));
    await new Promise<void>((r) => fireedge.listen(0, '127.0.0.1', () => r()));
    const fePort = (fireedge.address() as { port: number }).port;
    [demo, browser] = await Promise.all([startDemo(), chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS })]);
    const runner = new URL(demo.runnerUrl).host;
    const { httpLevel, serverLevel } = documentedNginx();
    expect(httpLevel).toContain('127.0.0.1:2720');
    const port = await freePort();
    const dir = tempDir('oneha-nginx-');
    for (const d of ['body', 'proxy']) mkdirSync(join(dir, d));
    errLog = join(dir, 'error.log');
    writeFileSync(join(dir, 'nginx.conf'), `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${errLog} warn;
events { worker_connections 128; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  ${httpLevel.replace('127.0.0.1:2720', runner)}
  server {
    listen 127.0.0.1:${port};
    location /fireedge { proxy_pass http://127.0.0.1:${fePort}; }
    ${serverLevel}
  }
}
`);
    nginx = spawn(NGINX!, ['-e', errLog, '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    nginx.stderr!.on('data', (d) => (stderr += d));
    base = `http://127.0.0.1:${port}`;
    const end = Date.now() + 10_000;
    for (;;) {
      if (nginx.exitCode !== null) throw new Error(`nginx exited: ${stderr}${existsSync(errLog) ? readFileSync(errLog, 'utf8') : ''}`);
      try {
        await fetch(`${base}/fireedge/`);
        break;
      } catch {
        if (Date.now() > end) throw new Error(`nginx did not answer: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    if (nginx && nginx.exitCode === null) {
      const gone = new Promise((r) => nginx!.once('exit', r));
      nginx.kill('SIGTERM');
      await gone;
    }
    await demo?.stop();
    await new Promise((r) => fireedge?.close(r));
  }, 20_000);

  it('keeps FireEdge reachable and hides the hook endpoint and metrics', async () => {
    expect(await (await fetch(`${base}/fireedge/sunstone`)).text()).toBe('FireEdge stand-in: /fireedge/sunstone');
    const hook = await fetch(`${base}/oneha/v1/hooks/host-error`, { method: 'POST', headers: { authorization: `Bearer ${demo.token}` }, body: 'x' });
    expect(hook.status).toBe(404);
    expect((await fetch(`${base}/oneha/metrics`)).status).toBe(404);
    const bare = await fetch(`${base}/oneha`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toMatch(/\/oneha\/plugin\/$/);
    const page = await fetch(`${base}/oneha/plugin/`);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
  });

  it('the console works under /oneha/: sign-in, cookie scoped to /oneha/, hosts, a live recovery, sign-out', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    try {
      const page = await ctx.newPage();
      page.setDefaultTimeout(45_000);
      await page.goto(`${base}/oneha/`);
      expect(new URL(page.url()).pathname).toBe('/oneha/plugin/');
      await page.fill('#username', 'oneadmin');
      await page.fill('#password', 'oneadmin');
      await page.click('form.signin button[type=submit]');
      await page.waitForSelector('#host-count:has-text("4 of 4 hosts")');
      const cookie = (await ctx.cookies()).find((c) => c.name === 'oneha_session');
      expect(cookie).toMatchObject({ path: '/oneha/', httpOnly: true, sameSite: 'Strict' });
      await page.waitForSelector('.live-live');
      await page.click('a.nav-link[href="#/demo"]');
      await page.waitForSelector('#demo-host option[value="2"]', { state: 'attached' });
      await page.selectOption('#demo-host', '2');
      await page.click('#demo-fail');
      await page.click('a.nav-link[href="#/recoveries"]');
      await page.waitForSelector('#recoveries-table tr[data-id]', { timeout: 20_000 });
      await page.click('#recoveries-table tr[data-id] a');
      await page.waitForSelector('#rec-status:has-text("COMPLETED")', { timeout: 150_000 });
      await page.click('#sign-out');
      await page.waitForSelector('form.signin');
      expect((await ctx.cookies()).find((c) => c.name === 'oneha_session')).toBeUndefined();
    } finally {
      await ctx.close();
    }
  }, 240_000);
});

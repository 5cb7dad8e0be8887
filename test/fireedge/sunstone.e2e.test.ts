// The real FireEdge Sunstone (shared/fireedge) against the simulated oned,
// in headless Chromium: the simulator signs FireEdge in (server_cipher
// sessions, zone endpoint, groups) and serves its host pages.
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath, requireBuilt, startDemo, type Demo } from '../e2e/helpers';
import { signIn, startFireEdge, type FireEdge } from '../helpers/fireedge';

let demo: Demo;
let fe: FireEdge;
let browser: Browser;

beforeAll(async () => {
  requireBuilt();
  demo = await startDemo();
  [fe, browser] = await Promise.all([
    startFireEdge({ onedUrl: demo.simUrl }),
    chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS }),
  ]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await fe?.stop();
  await demo?.stop();
});

async function page(): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const p = await ctx.newPage();
  p.setDefaultTimeout(60_000);
  return p;
}

describe('FireEdge on the simulated oned', () => {
  it('signs oneadmin in and lists the simulated hosts on its own Hosts page', async () => {
    const p = await page();
    await signIn(p, fe, 'oneadmin', 'oneadmin');
    await p.goto(`${fe.sunstone}/host`);
    await expect.poll(() => p.locator('text=kvm-node-04').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await p.context().close();
  });

  it('refuses a wrong password with FireEdge\'s own message', async () => {
    const r = await fetch(`${fe.origin}/fireedge/api/auth`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'oneadmin', token: 'wrong' }),
    });
    expect(r.status).toBe(401);
  });
});

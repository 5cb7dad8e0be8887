// `npm run screenshots`: the pictures in docs/screenshots/, written only by
// this script (never by a test run). The Sunstone HA pages in FireEdge's
// light and dark schemes (shared/fireedge against the simulator, the plugin
// installed by deploy/sunstone/plugin.sh, a recovery run by the runner), and
// the runner's own page. Everything is started here and stopped at the end.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startSimulator } from '../sim/server';
import type { Scenario } from '../sim/scenario';
import { CHROMIUM_ARGS, chromiumPath, requireBuilt, rpc } from '../test/e2e/helpers';
import { goTo, pluginScript, signIn, startFireEdge } from '../test/helpers/fireedge';
import { freePort, killAll, ROOT } from '../test/helpers/processes';
import { startRunner } from '../test/helpers/runnerProcess';

const OUT = join(ROOT, 'docs', 'screenshots');
const VIEWPORT = { width: 1440, height: 900 };
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 300_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await wait(500)) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function main() {
  requireBuilt();
  mkdirSync(OUT, { recursive: true });
  const scenario = JSON.parse(readFileSync(join(ROOT, 'sim', 'scenarios', 'demo.json'), 'utf8')) as Scenario;
  // FireEdge follows the browser's scheme when the user's setting is "system": one user, both schemes.
  scenario.users = (scenario.users ?? []).map((u) => (u.name === 'oneadmin' ? { ...u, fireedge: { SCHEME: 'system' } } : u));
  const sim = await startSimulator({ scenario });
  const port = await freePort();
  const runner = await startRunner(sim.url, { plugin: { allowedOrigins: [`http://127.0.0.1:${port}`] }, reconcile: { intervalSeconds: 1 } });
  const fe = await startFireEdge({ onedUrl: sim.url, port, beforeStart: (f) => pluginScript(f, 'install', runner.url).then(() => undefined) });
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
  try {
    const recovery = async (host: number, done: (s: string) => boolean) => until(`a recovery of host ${host}`, async () => {
      const r = (await runner.api('GET', `/v1/recoveries?host=${host}`)).json.recoveries[0] as { id: string; status: string } | undefined;
      return r && done(r.status) ? r : undefined;
    });
    // A completed recovery (host 1), and one whose fencing failed (host 0: fence options an admin broke).
    sim.cloud.failHost(1);
    const completed = await recovery(1, (s) => s === 'completed' || s === 'degraded');
    await rpc(sim.url, 'one.host.update', [0, 'ONEHA_FENCE_AGENT = "fence_ipmilan"\nONEHA_FENCE_OPTIONS = "lanplus=1 passwd=oops"', 1]);
    sim.cloud.failHost(0);
    const failed = await recovery(0, (s) => s === 'fence-failed' || s === 'held');

    for (const scheme of ['light', 'dark'] as const) {
      const page = await (await browser.newContext({ viewport: VIEWPORT, colorScheme: scheme, reducedMotion: 'reduce' })).newPage();
      page.setDefaultTimeout(180_000);
      await signIn(page, fe, 'oneadmin', 'oneadmin');
      await goTo(page, fe, '/ha?host=3');
      await page.locator('[data-cy=oneha-hosts][data-runner=yes] [data-cy=oneha-host-settings]').waitFor();
      await shot(page, `sunstone-ha-hosts-${scheme}.png`);
      await goTo(page, fe, '/dashboard');
      await goTo(page, fe, `/ha/recoveries?recovery=${completed.id}`);
      await page.locator(`[data-cy=oneha-recovery-detail][data-id="${completed.id}"]`).waitFor();
      await shot(page, `sunstone-ha-recoveries-${scheme}.png`);
      await page.context().close();
    }

    // The runner's own page (the embedded default without FireEdge).
    const page = await (await browser.newContext({ viewport: VIEWPORT, colorScheme: 'light', reducedMotion: 'reduce' })).newPage();
    await page.goto(`${runner.url}/plugin/`);
    await page.fill('#username', 'oneadmin');
    await page.fill('#password', 'oneadmin');
    await page.click('form.signin button[type=submit]');
    await page.waitForSelector('#current-user');
    await page.goto(`${runner.url}/plugin/#/hosts`);
    await page.waitForSelector('tr[data-key="3"]');
    await shot(page, 'hosts.png');
    await page.goto(`${runner.url}/plugin/#/hosts/2/settings`);
    await page.waitForSelector('#ha-switch');
    await shot(page, 'host-settings.png', true);
    // A host's readiness with a rehearsal under it (what if it died now).
    await runner.api('POST', '/v1/hosts/3/rehearse');
    await page.goto(`${runner.url}/plugin/#/hosts/3/readiness`);
    await page.waitForSelector('#readiness-parts tbody tr');
    await page.waitForSelector('[data-testid=rehearsal-report]');
    await shot(page, 'host-readiness.png', true);
    await page.goto(`${runner.url}/plugin/#/recoveries/${completed.id}`);
    await page.waitForSelector('#vm-outcomes tbody tr');
    await shot(page, 'recovery.png');
    await page.goto(`${runner.url}/plugin/#/recoveries/${failed.id}`);
    await page.waitForSelector('.operator');
    await shot(page, 'recovery-fence-failed.png', true);
  } finally {
    await browser.close();
    await fe.stop();
    await sim.close();
    killAll();
  }
}

/** Settled page (no toasts, no spinner), from the top. */
async function shot(page: Page, name: string, fullPage = false) {
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await wait(1500);
  await page.evaluate(() => {
    document.getElementById('toasts')?.replaceChildren();
    window.scrollTo(0, 0);
  });
  await page.screenshot({ path: join(OUT, name), fullPage });
  process.stdout.write(`wrote docs/screenshots/${name}\n`);
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});

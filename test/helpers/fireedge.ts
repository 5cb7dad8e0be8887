// A real FireEdge Sunstone for tests, from the prebuilt package in
// shared/fireedge (its setup.sh / configure.sh / run.sh / stop.sh): set up in a
// temporary folder (node_modules hard-linked from its cache, so a warm run
// takes about a second), pointed at an XML-RPC endpoint (the simulator), on a
// free port. Missing package = a failure, never a skip.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { killRunFrom } from '../../demo/demoFireEdge';
import { freePort, ROOT, tempDir } from './processes';

const run = promisify(execFile);

/** shared/fireedge next to the checkout, or $ONEHA_FIREEDGE_DIR. */
export const FIREEDGE_DIR = process.env.ONEHA_FIREEDGE_DIR ?? join(ROOT, '..', 'shared', 'fireedge');

export interface FireEdge {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** The Sunstone app: origin + /fireedge/sunstone */
  sunstone: string;
  /** Where setup.sh put FireEdge (its dist/modules is the modules directory). */
  dest: string;
  /** The ONE_LOCATION tree (etc/fireedge/sunstone holds remotes-config.yaml, tabs/, views/). */
  oneLocation: string;
  /** Seconds spent in setup.sh, configure.sh and run.sh. */
  timings: { setup: number; configure: number; start: number };
  stop(): Promise<void>;
}

async function step(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const t0 = performance.now();
  try {
    await run(join(FIREEDGE_DIR, script), args, { env: { ...process.env, ...env }, maxBuffer: 16 << 20 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${script} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
  return (performance.now() - t0) / 1000;
}

/**
 * Sets up, configures and starts FireEdge against `onedUrl`. `beforeStart`
 * runs after configure.sh (which rewrites etc/fireedge/sunstone), e.g. to
 * install a plugin or change a view.
 */
export async function startFireEdge(opts: { onedUrl: string; port?: number; beforeStart?: (fe: Omit<FireEdge, 'stop' | 'timings'>) => Promise<void> | void }): Promise<FireEdge> {
  if (!existsSync(join(FIREEDGE_DIR, 'setup.sh'))) {
    throw new Error(`FireEdge package not found in ${FIREEDGE_DIR} (set ONEHA_FIREEDGE_DIR to the shared/fireedge folder)`);
  }
  const dest = tempDir('oneha-fireedge-');
  const oneLocation = tempDir('oneha-fireedge-one-');
  const port = opts.port ?? (await freePort());
  const origin = `http://127.0.0.1:${port}`;
  const base = { origin, sunstone: `${origin}/fireedge/sunstone`, dest, oneLocation };
  const stop = async () => {
    await step('stop.sh', [oneLocation]).catch(() => undefined);
    const pidFile = join(oneLocation, 'fireedge.pid');
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // FireEdge's workers (tiny-worker, run from its node_modules) outlive its main process: end every process run from its folder.
    await killRunFrom(dest);
    rmSync(dest, { recursive: true, force: true });
    rmSync(oneLocation, { recursive: true, force: true });
  };
  try {
    const setup = await step('setup.sh', [dest]);
    // Nothing listens on the subscriber port: FireEdge only connects to it (live updates).
    const configure = await step('configure.sh', [dest, oneLocation, opts.onedUrl, String(port)], { ONED_SUBSCRIBER: `tcp://127.0.0.1:${await freePort()}` });
    await opts.beforeStart?.(base);
    const start = await step('run.sh', [dest, oneLocation, String(port)]);
    return { ...base, timings: { setup, configure, start }, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Installs (or removes) oneha's Sunstone plugin with deploy/sunstone/plugin.sh, as an operator would. */
export async function pluginScript(fe: Pick<FireEdge, 'dest' | 'oneLocation'>, action: 'install' | 'uninstall', runnerUrl?: string): Promise<string> {
  const args = [action, '--modules', join(fe.dest, 'dist', 'modules'), '--sunstone', join(fe.oneLocation, 'etc', 'fireedge', 'sunstone')];
  if (runnerUrl) args.push('--runner', runnerUrl);
  const r = await run(join(ROOT, 'deploy', 'sunstone', 'plugin.sh'), args);
  return r.stdout;
}

/** Moves inside Sunstone's single-page app without a full reload (react-router listens to popstate). */
export async function goTo(page: Page, fe: Pick<FireEdge, 'sunstone'>, path: string): Promise<void> {
  await page.evaluate((url) => {
    window.history.pushState({}, '', url);
    window.dispatchEvent(new PopStateEvent('popstate', { state: {} }));
  }, `${new URL(fe.sunstone).pathname}${path}`);
}

/** Signs in through FireEdge's own login form; resolves once the app shell shows. */
export async function signIn(page: Page, fe: Pick<FireEdge, 'sunstone'>, user: string, password: string): Promise<void> {
  await page.goto(fe.sunstone, { waitUntil: 'domcontentloaded' });
  await page.locator('[data-cy=login-user]').fill(user);
  await page.locator('[data-cy=login-token]').fill(password);
  await page.locator('[data-cy=login-button]').click();
  await page.locator('[data-cy=login-user]').waitFor({ state: 'detached', timeout: 180_000 });
  await page.locator('[data-cy=main-layout]').waitFor({ timeout: 180_000 });
}

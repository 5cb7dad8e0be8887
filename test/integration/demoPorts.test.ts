// `npm start` runs `oneha demo`: it must not die on a busy port. Its default
// port (2720) taken, it listens on a free one and prints it; a port the
// operator chose that is taken is refused with exit 2 and the flag to change
// (2633, oned's own port, is never a default: the simulator takes a free one).
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../runner/cli/exitCodes';
import { BUNDLE, freePort, killAll, requireBuild, run, startProcess, tempDir, until } from '../helpers/processes';

const DEFAULT_PORT = 2720;
const REPO = join(import.meta.dirname, '..', '..');
const servers: Server[] = [];
afterAll(() => {
  killAll();
  for (const s of servers) s.close();
});

/** Listens on `port` (loopback) for the test's length; false when something else already does (it is busy either way). */
const occupy = (port: number) => new Promise<boolean>((resolve) => {
  const s = createServer();
  s.once('error', () => resolve(false));
  s.listen(port, '127.0.0.1', () => {
    servers.push(s);
    resolve(true);
  });
});

describe('npm start (oneha demo) picks its ports', () => {
  it('npm start runs the demo on its default port (no --port, no --sim-port)', () => {
    const start = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).scripts.start as string;
    expect(start).toMatch(/node dist\/oneha\.mjs demo\b/);
    expect(start).not.toMatch(/--(sim-)?port\b/);
  });

  it('its default port busy, the demo listens on a free one and prints it', async () => {
    requireBuild();
    await occupy(DEFAULT_PORT);
    const demo = await startProcess([BUNDLE, 'demo'], { ONEHA_DATA_DIR: join(tempDir('oneha-demo-ports-'), 'data') }, (l) => l.includes('"ready":true'), 60_000);
    const url = new URL(String(demo.ready.runnerUrl));
    expect(Number(url.port)).not.toBe(DEFAULT_PORT);
    // the URL printed for the operator is the one it listens on
    await until(() => demo.output().includes(`admin console  ${demo.ready.runnerUrl}/plugin/`), 30_000, 'the URLs printed');
    expect((await fetch(`${demo.ready.runnerUrl}/healthz`)).status).toBe(200);
    // the simulated oned is not on oned's own port
    expect(new URL(String(demo.ready.simUrl)).port).not.toBe('2633');
  }, 90_000);

  it.each(['--port', '--sim-port'])('a busy %s the operator chose: exit 2 naming the port and the flag to change, nothing started', async (flag) => {
    requireBuild();
    const port = await freePort();
    expect(await occupy(port)).toBe(true);
    const out = await run(process.execPath, [BUNDLE, 'demo', flag, String(port)], { env: { ...process.env, ONEHA_DATA_DIR: join(tempDir('oneha-demo-ports-'), 'data') }, timeoutMs: 60_000 });
    expect(out.code, out.stderr).toBe(EXIT.badInput);
    expect(out.stderr).toMatch(new RegExp(`^oneha: port ${port} is in use: choose another with ${flag} N`));
    expect(out.stdout).not.toContain('"ready":true');
  }, 90_000);
});

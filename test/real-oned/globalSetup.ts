// One real oned for every test file of the real-oned project: started in the
// background as the run begins (50-100 s, while other projects' tests run),
// waited for by each file (`onedReady`), stopped when the run ends.
// ONEHA_REAL_ONED_REUSE=1 (while writing tests): keep using a running one, and leave it running.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '../helpers/processes';
import { call, HOSTS, layout, startOned, stopOned } from './oned';

declare module 'vitest' {
  export interface ProvidedContext {
    realOned: { base: string; runnerPort: number; statusFile: string };
  }
}

async function reusable(): Promise<number | undefined> {
  if (!process.env.ONEHA_REAL_ONED_REUSE) return undefined;
  const env = join(layout().prefix, 'etc/oneha/oneha.env');
  const up = await call('one.system.version').then(() => true, () => false);
  const port = existsSync(env) ? /ONEHA_LISTEN=127\.0\.0\.1:(\d+)/.exec(readFileSync(env, 'utf8'))?.[1] : undefined;
  return up && port ? Number(port) : undefined;
}

export default async function setup(project: TestProject) {
  const reusePort = await reusable();
  const l = layout(undefined, reusePort ?? (await freePort()));
  mkdirSync(l.base, { recursive: true });
  rmSync(join(l.base, 'file.lock'), { recursive: true, force: true }); // one test file at a time (ready.ts); none holds it yet
  const statusFile = join(l.base, `started-${process.pid}.json`);
  rmSync(statusFile, { force: true });
  project.provide('realOned', { base: l.base, runnerPort: l.runnerPort, statusFile });
  const log: string[] = [];
  const t0 = Date.now();
  // A failed host comes back at its next system probe: every 10 s instead of start.sh's 20, so that
  // restoring a host takes less of the run. oned, its drivers and probes before the test processes,
  // and the scheduler's retry after 10 s (see startOned).
  const started = (reusePort ? Promise.resolve() : startOned(l, HOSTS, (line) => log.push(line), { SYSTEM_HOST: '10' }, { priority: true, schedulerRetrySeconds: 10 })).then(
    () => writeFileSync(statusFile, JSON.stringify({ ok: true, seconds: (Date.now() - t0) / 1000, log: log.join('\n') })),
    (e: Error) => writeFileSync(statusFile, JSON.stringify({ ok: false, error: e.message, log: log.join('\n') })),
  );
  return async () => {
    await started;
    if (!reusePort && !process.env.ONEHA_REAL_ONED_REUSE) await stopOned(l).catch((e) => console.error(`real oned: stop failed: ${e}`));
    rmSync(statusFile, { force: true });
  };
}

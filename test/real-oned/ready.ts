// Waits for the oned the real-oned project's global setup is starting, and
// gives one test file at a time the use of it. The files fail and restore the
// same hosts, update the same hooks and run their runners on the same port, so
// they must take turns; the project's `fileParallelism: false` did not make
// them (a probe file's runner was seen running through the recovery file's
// cases), so each file holds a lock from its beforeAll to its afterAll.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { until } from '../helpers/processes';
import { layout, type Layout } from './oned';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The lock: a folder made atomically, with the holder's pid; a dead holder's lock is taken over. */
function tryLock(dir: string): boolean {
  try {
    mkdirSync(dir);
  } catch {
    const holder = Number(existsSync(join(dir, 'pid')) ? readFileSync(join(dir, 'pid'), 'utf8') : NaN);
    if (Number.isFinite(holder) && alive(holder)) return false;
    if (!Number.isFinite(holder)) return false; // being written: look again
    rmSync(dir, { recursive: true, force: true });
    return false;
  }
  writeFileSync(join(dir, 'pid'), String(process.pid));
  return true;
}

let held: string | undefined;

export async function onedReady(): Promise<Layout & { startSeconds: number }> {
  const { base, runnerPort, statusFile } = inject('realOned');
  const s = await until(() => existsSync(statusFile) && JSON.parse(readFileSync(statusFile, 'utf8')), 600_000, 'the real oned to start');
  if (!s.ok) throw new Error(`the real oned did not start: ${s.error}\n${s.log}`);
  const lock = join(base, 'file.lock');
  await until(() => tryLock(lock) || undefined, 1_500_000, 'the other real-oned test files to finish');
  held = lock;
  return { ...layout(base, runnerPort), startSeconds: s.seconds };
}

/** The end of this file's turn (its afterAll, after its runner stopped). */
export function onedRelease(): void {
  if (held) rmSync(held, { recursive: true, force: true });
  held = undefined;
}

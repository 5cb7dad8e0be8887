// Waits for the oned the real-oned project's global setup is starting.
import { existsSync, readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { until } from '../helpers/processes';
import { layout, type Layout } from './oned';

export async function onedReady(): Promise<Layout & { startSeconds: number }> {
  const { base, runnerPort, statusFile } = inject('realOned');
  const s = await until(() => existsSync(statusFile) && JSON.parse(readFileSync(statusFile, 'utf8')), 600_000, 'the real oned to start');
  if (!s.ok) throw new Error(`the real oned did not start: ${s.error}\n${s.log}`);
  return { ...layout(base, runnerPort), startSeconds: s.seconds };
}

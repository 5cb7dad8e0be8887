// host_error.rb's flags, parsed the way its GetoptLong does, but strict:
// an unknown flag or two modes is an error instead of a guess.
import * as z from './zod';
import { StepError } from './errors';
import { MAX_PAUSE_CYCLES, pauseProblem } from './pause';

export { MAX_PAUSE_CYCLES, pauseProblem };

export const RecoveryModeSchema = z.enum(['migrate', 'recreate', 'delete']);
export type RecoveryMode = z.infer<typeof RecoveryModeSchema>;

export const HookOptionsSchema = z.object({
  mode: RecoveryModeSchema,
  /** -f: also SUSPENDED/POWEROFF VMs when recreating. */
  force: z.boolean(),
  /** -p N: monitoring cycles to wait for the host to come back. */
  pause: z.number().check(z.int(), z.gte(0), z.lte(MAX_PAUSE_CYCLES)),
  /** false with -u/--no-fencing. */
  fencing: z.boolean(),
});
export type HookOptions = z.infer<typeof HookOptionsSchema>;

export const DEFAULT_PAUSE = 2;

const MODE_FLAGS: Record<string, RecoveryMode> = {
  '-m': 'migrate', '--migrate': 'migrate',
  '-r': 'recreate', '--recreate': 'recreate',
  '-d': 'delete', '--delete': 'delete',
};

export function parseHookFlags(words: readonly string[]): HookOptions {
  let mode: RecoveryMode | undefined;
  let modeFlag = '';
  let force = false;
  let fencing = true;
  let pause = DEFAULT_PAUSE;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w in MODE_FLAGS) {
      const m = MODE_FLAGS[w];
      if (mode && mode !== m) throw new StepError('conflicting-modes', `conflicting modes ${modeFlag} and ${w}: give exactly one of -m, -r, -d.`);
      mode = m;
      modeFlag = w;
    } else if (w === '-f' || w === '--force') {
      force = true;
    } else if (w === '-u' || w === '--no-fencing') {
      fencing = false;
    } else if (w === '-p' || w === '--pause' || /^-p\d+$/.test(w) || w.startsWith('--pause=')) {
      const value = w === '-p' || w === '--pause' ? words[++i] : w.startsWith('-p') ? w.slice(2) : w.slice('--pause='.length);
      if (value === undefined) throw new StepError('bad-pause', `${w} needs a number of monitoring cycles.`);
      const problem = pauseProblem(value);
      if (problem) throw new StepError('bad-pause', `${w} ${problem}.`);
      pause = Number(value);
    } else {
      throw new StepError('unknown-flag', `unknown flag "${w}": host_error flags are -m, -r, -d, -f, -p N, -u.`);
    }
  }
  if (!mode) throw new StepError('missing-mode', 'no recovery mode: give one of -m (migrate), -r (recreate), -d (delete).');
  return { mode, force, pause, fencing };
}

export function formatHookFlags(o: HookOptions): string {
  const flag = { migrate: '-m', recreate: '-r', delete: '-d' }[o.mode];
  return [flag, o.force ? '-f' : '', `-p ${o.pause}`, o.fencing ? '' : '-u'].filter(Boolean).join(' ');
}

// Per-host HA settings live on the host template, so `onehost show` and the
// admin console tell the truth. Precedence: host template, then the hook's
// flags, then the runner's config.
import { z } from 'zod';
import type { Host } from '../functions/domain';
import { MAX_PAUSE_CYCLES, RecoveryModeSchema, type HookOptions } from '../functions/hookOptions';

export const HOST_ATTR = {
  ha: 'ONEHA_HA',
  mode: 'ONEHA_MODE',
  pause: 'ONEHA_PAUSE',
  fencing: 'ONEHA_FENCING',
  force: 'ONEHA_FORCE',
} as const;

const yesNo = z.string().trim().toUpperCase().pipe(z.enum(['YES', 'NO']));

export interface HostHaSettings {
  /** HA is on unless the template says ONEHA_HA = NO (installing the hook arms every host). */
  enabled: boolean;
  overrides: Partial<HookOptions>;
  /** Attributes present but unreadable: reported, never guessed. */
  problems: string[];
}

export function hostHaSettings(host: Pick<Host, 'template'>): HostHaSettings {
  const t = host.template;
  const problems: string[] = [];
  const overrides: Partial<HookOptions> = {};
  const read = <T>(attr: string, schema: z.ZodType<T>, set: (v: T) => void) => {
    const raw = t[attr];
    if (raw === undefined || raw.trim() === '') return;
    const r = schema.safeParse(raw);
    if (r.success) set(r.data);
    else problems.push(`${attr} = "${raw}" is not valid`);
  };
  let enabled = true;
  read(HOST_ATTR.ha, yesNo, (v) => (enabled = v === 'YES'));
  read(HOST_ATTR.mode, z.string().trim().toLowerCase().pipe(RecoveryModeSchema), (v) => (overrides.mode = v));
  read(HOST_ATTR.pause, z.string().trim().regex(/^\d{1,6}$/).transform(Number).pipe(z.number().max(MAX_PAUSE_CYCLES)), (v) => (overrides.pause = v));
  read(HOST_ATTR.fencing, yesNo, (v) => (overrides.fencing = v === 'YES'));
  read(HOST_ATTR.force, yesNo, (v) => (overrides.force = v === 'YES'));
  return { enabled, overrides, problems };
}

/** The options a flow uses: template over hook flags over config. */
export function effectiveOptions(defaults: HookOptions, flags: Partial<HookOptions> | undefined, host: Pick<Host, 'template'>): HookOptions {
  return { ...defaults, ...(flags ?? {}), ...hostHaSettings(host).overrides };
}

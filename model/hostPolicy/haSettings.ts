// The HA switches of a host, as the flow uses them. Precedence: host
// template, then the hook's flags, then the runner's config. A value the
// template holds but that cannot be read is reported and ignored.
import type { HookOptions } from '../hookOptions';
import type { Host } from '../one';
import { FIELDS, readField, type FieldName } from './fields';

export interface PolicyProblem {
  field: FieldName;
  attr: string;
  message: string;
}

export interface HostHaSettings {
  /** HA is on unless the template says ONEHA_HA = NO (installing the hook arms every host). */
  enabled: boolean;
  overrides: Partial<HookOptions>;
  /** The host's own converge ladder and lock setting (verify), over the runner's. */
  converge: ConvergeOverrides;
  /** Attributes present but unreadable: reported, never guessed. */
  problems: PolicyProblem[];
}

export interface ConvergeOverrides {
  retries?: number;
  recreate?: boolean;
  unlockLocked?: boolean;
}

/** The fields that override a hook option of the same name. */
const OPTION_FIELDS = ['mode', 'pause', 'fencing', 'force'] as const satisfies readonly (FieldName & keyof HookOptions)[];

export function hostHaSettings(host: Pick<Host, 'template'>): HostHaSettings {
  const problems: PolicyProblem[] = [];
  const read = <K extends FieldName>(name: K) => {
    const r = readField(host.template, name);
    if (r && !r.ok) problems.push({ field: name, attr: FIELDS[name].attr, message: r.problem });
    return r?.ok ? r.value : undefined;
  };
  const enabled = read('ha') ?? true;
  const overrides: Partial<HookOptions> = {};
  for (const name of OPTION_FIELDS) {
    const v = read(name);
    if (v !== undefined) (overrides as Record<string, unknown>)[name] = v;
  }
  const converge: ConvergeOverrides = {};
  const retries = read('verifyRetries');
  const recreate = read('verifyRecreate');
  const unlockLocked = read('unlockLocked');
  if (retries !== undefined) converge.retries = retries;
  if (recreate !== undefined) converge.recreate = recreate;
  if (unlockLocked !== undefined) converge.unlockLocked = unlockLocked;
  return { enabled, overrides, converge, problems };
}

/** The options a flow uses: template over hook flags over config. */
export function effectiveOptions(defaults: HookOptions, flags: Partial<HookOptions> | undefined, host: Pick<Host, 'template'>): HookOptions {
  return { ...defaults, ...(flags ?? {}), ...hostHaSettings(host).overrides };
}

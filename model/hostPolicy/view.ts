// A host's policy as the admin console shows it: each HA setting with where
// its value comes from, the fence settings as stored, the levels they make,
// and every problem (never the raw text of an unusable option string: it may
// carry a secret).
import type { PerModeLadder } from '../ladder';
import type { HookOptions } from '../hookOptions';
import type { FenceMethod } from '../fence';
import type { Host } from '../one';
import { FIELDS, readField, templateText } from './fields';
import { hostHaSettings } from './haSettings';
import { HostPolicyError } from './problem';

export type Source = 'host' | 'default';
export interface Setting<T> { value: T; source: Source }

export type FenceMethodView = { kind: 'agent'; agent: string; options: Record<string, string>; secretRef?: string } | { kind: 'command'; command: string };

export interface HostPolicyView {
  ha: Setting<boolean>;
  mode: Setting<HookOptions['mode']>;
  pause: Setting<number>;
  fencing: Setting<boolean>;
  force: Setting<boolean>;
  /** The converge ladder and lock setting verify uses for this host's VMs. */
  converge: { retries: Setting<number>; recreate: Setting<boolean>; unlockLocked: Setting<boolean> };
  fence: {
    ip: string | null;
    agent: string | null;
    options: Record<string, string> | null;
    /** ONEHA_FENCE_OPTIONS is set but unusable (see problems); a write replaces it. */
    optionsInvalid: boolean;
    methods: FenceMethodView[];
  };
  secretRef?: string;
  problems: string[];
}

/** The runner's converge settings (config `verify`, with `perMode`), which a host's own override. */
export interface ConvergeDefaults { retries: number; recreate: boolean; unlockLocked: boolean; perMode?: PerModeLadder }

export function hostPolicyView(host: Host, defaults: HookOptions, fenceMethods: (h: Host) => FenceMethod[], convergeDefaults: ConvergeDefaults): HostPolicyView {
  const t = host.template;
  const ha = hostHaSettings(host);
  const problems = ha.problems.map((p) => p.message);
  const involved = new Set<string>();
  let methods: FenceMethodView[] = [];
  try {
    methods = fenceMethods(host).map((m) => (m.kind === 'agent'
      ? { kind: 'agent' as const, agent: m.agent, options: m.options, ...(m.secretRef ? { secretRef: m.secretRef } : {}) }
      : { kind: 'command' as const, command: m.command }));
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
    if (e instanceof HostPolicyError) for (const a of e.attrs) involved.add(a);
  }
  const opts = readField(t, 'fenceOptions');
  if (opts && !opts.ok && !involved.has(FIELDS.fenceOptions.attr)) problems.push(`${FIELDS.fenceOptions.attr}: ${opts.problem}`);
  const setting = <K extends 'mode' | 'pause' | 'fencing' | 'force'>(k: K): Setting<HookOptions[K]> => {
    const v = ha.overrides[k];
    return v !== undefined ? { value: v as HookOptions[K], source: 'host' } : { value: defaults[k], source: 'default' };
  };
  // The runner's ladder for the mode this host's VMs are recovered with (a hook's flag may pick another at failure time).
  const mode = ha.overrides.mode ?? defaults.mode;
  const modeOwn = mode === 'delete' ? undefined : convergeDefaults.perMode?.[mode];
  const runner = { ...convergeDefaults, retries: modeOwn?.retries ?? convergeDefaults.retries, recreate: modeOwn?.recreate ?? convergeDefaults.recreate };
  const converge = <K extends 'retries' | 'recreate' | 'unlockLocked'>(k: K): Setting<ConvergeDefaults[K]> => {
    const v = ha.converge[k];
    return v !== undefined ? { value: v as ConvergeDefaults[K], source: 'host' } : { value: runner[k], source: 'default' };
  };
  const secretRef = templateText(t, 'fenceSecretRef');
  return {
    ha: { value: ha.enabled, source: templateText(t, 'ha') !== undefined ? 'host' : 'default' },
    mode: setting('mode'),
    pause: setting('pause'),
    fencing: setting('fencing'),
    force: setting('force'),
    converge: { retries: converge('retries'), recreate: converge('recreate'), unlockLocked: converge('unlockLocked') },
    fence: {
      ip: templateText(t, 'fenceIp') ?? null,
      agent: templateText(t, 'fenceAgent') ?? null,
      options: opts?.ok ? opts.value : null,
      optionsInvalid: !!opts && !opts.ok,
      methods,
    },
    ...(secretRef ? { secretRef } : {}),
    problems,
  };
}

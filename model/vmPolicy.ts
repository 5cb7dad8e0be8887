// The per-VM HA policy, on the VM's USER_TEMPLATE so `onevm show` tells the
// truth (custom attributes of a VM template land there when it is
// instantiated; `onevm update` changes them). The same codec shape as the
// host policy (hostPolicy/fields.ts): one table of field -> attribute, how
// its text reads, and a problem naming the attribute for a value that cannot
// be read (reported, then the default is used, never a guess).
//
//   ONEHA_HA            = NO                 never recovered by oneha (the plan says so)
//   ONEHA_PRIORITY      = HIGHEST|HIGH|MEDIUM|LOW|LOWEST   restart tier (default MEDIUM)
//   ONEHA_MODE          = migrate|recreate|delete          overrides the host's mode for this VM
//   ONEHA_READY         = RUNNING|GUEST      when the VM counts as up for the next tier:
//                                            RUNNING, or RUNNING and READY = YES reported by
//                                            the guest (OneGate: onegate vm update --data READY=YES)
//   ONEHA_READY_TIMEOUT = seconds            how long the next tier waits for it (default 600)
import * as z from './zod';
import { RecoveryModeSchema, type RecoveryMode } from './hookOptions';
import { fromSchema, notValid, yesNo, type PolicyField } from './hostPolicy/fields';
import type { Vm } from './one';

export const PRIORITIES = ['HIGHEST', 'HIGH', 'MEDIUM', 'LOW', 'LOWEST'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const PrioritySchema = z.enum(PRIORITIES);
export const DEFAULT_PRIORITY: Priority = 'MEDIUM';
export const DEFAULT_READY_TIMEOUT_SECONDS = 600;
/** The USER_TEMPLATE attribute a guest sets (through OneGate) to say it is ready, as OneFlow reads it. */
export const GUEST_READY_ATTR = 'READY';

export const ReadySchema = z.enum(['RUNNING', 'GUEST']);
export type Ready = z.infer<typeof ReadySchema>;

const upper = <T extends string>(attr: string, schema: z.ZodMiniType<T, string>) =>
  fromSchema(z.pipe(z.string().check(z.trim(), z.toUpperCase()), schema), notValid(attr));

export const VM_FIELDS = {
  ha: yesNo('ONEHA_HA', 'ONEHA_HA on the VM: YES / NO', false),
  priority: { attr: 'ONEHA_PRIORITY', read: upper('ONEHA_PRIORITY', PrioritySchema), write: (v) => v } satisfies PolicyField<Priority>,
  mode: {
    attr: 'ONEHA_MODE', read: fromSchema(z.pipe(z.string().check(z.trim(), z.toLowerCase()), RecoveryModeSchema), notValid('ONEHA_MODE')), write: (v) => v,
  } satisfies PolicyField<RecoveryMode>,
  ready: { attr: 'ONEHA_READY', read: upper('ONEHA_READY', ReadySchema), write: (v) => v } satisfies PolicyField<Ready>,
  readyTimeout: {
    attr: 'ONEHA_READY_TIMEOUT',
    read: fromSchema(z.pipe(z.string().check(z.trim(), z.regex(/^\d{1,6}$/)), z.transform(Number)), notValid('ONEHA_READY_TIMEOUT')),
    write: (v) => String(v),
  } satisfies PolicyField<number>,
} as const;

/** The USER_TEMPLATE attributes the OpenNebula client keeps of each VM (Vm.attrs). */
export const VM_ATTRS: readonly string[] = [...Object.values(VM_FIELDS).map((f) => f.attr), GUEST_READY_ATTR];

export interface VmHaPolicy {
  ha: boolean;
  priority: Priority;
  /** 0 HIGHEST .. 4 LOWEST */
  tier: number;
  /** Set only where the VM overrides the host's mode. */
  mode?: RecoveryMode;
  ready: Ready;
  readyTimeoutSeconds: number;
  /** Attributes present but unreadable: the default is used, and the plan says so. */
  problems: string[];
}

export function vmHaPolicy(vm: Pick<Vm, 'attrs'>): VmHaPolicy {
  const problems: string[] = [];
  const read = <T>(f: PolicyField<T>): T | undefined => {
    const text = vm.attrs?.[f.attr]?.trim();
    if (!text) return undefined;
    const r = f.read(text);
    if (!r.ok) problems.push(`${r.problem}; ignored`);
    return r.ok ? r.value : undefined;
  };
  const priority = read(VM_FIELDS.priority) ?? DEFAULT_PRIORITY;
  return {
    ha: read(VM_FIELDS.ha) ?? true,
    priority,
    tier: PRIORITIES.indexOf(priority),
    mode: read(VM_FIELDS.mode),
    ready: read(VM_FIELDS.ready) ?? 'RUNNING',
    readyTimeoutSeconds: read(VM_FIELDS.readyTimeout) ?? DEFAULT_READY_TIMEOUT_SECONDS,
    problems,
  };
}

/** The VM is up for its tier: RUNNING (the caller checks where), and READY = YES from the guest when asked. */
export function guestReady(vm: Pick<Vm, 'attrs'>): boolean {
  return (vm.attrs?.[GUEST_READY_ATTR] ?? '').trim().toUpperCase() === 'YES';
}

// THE host policy table: each per-host HA setting once, as a field name (the
// PUT body's and the console's), its host template attribute, how the
// template text reads (schema) and writes (formatter), and its PUT body
// schema if an operator may change it through the API. Everything else (the
// flow's options, the fence levels, the PUT body, the host view, the
// console's checks) is derived from this table. To add a setting, add a row.
import * as z from '../zod';
import { MAX_PAUSE_CYCLES, pauseProblem, RecoveryModeSchema } from '../hookOptions';
import { FENCE_AGENT_HINT, isFenceAgentName } from './agentName';
import { isValidFenceIp } from './fenceIp';
import { readFenceOptions, templateOptionProblem, writeFenceOptions } from './fenceOptions';
import { HostPolicyError } from './problem';
import { isSecretRef } from './secretRef';

/** The most one.vm.recover retries a VM gets (the runner's verify.retries has the same bound). */
export const MAX_VERIFY_RETRIES = 10;

export type FieldRead<T> = { ok: true; value: T } | { ok: false; problem: string };

export interface PolicyField<T> {
  /** Host template attribute (FENCE_IP is OpenNebula's own; the rest are oneha's). */
  attr: string;
  /** Template text (already trimmed, never empty) -> value, or why not. */
  read(text: string): FieldRead<T>;
  /** Value -> template text; throws HostPolicyError for what read would refuse. */
  write(value: T): string;
  /** Present when the API may change it; `clear`: null in the body clears the attribute (inherit / none). */
  body?: { schema: z.ZodMiniType<T>; clear: boolean; describe: string };
}

export function fromSchema<T>(schema: z.ZodMiniType<T, string>, problem: (text: string) => string): PolicyField<T>['read'] {
  return (text) => {
    const r = schema.safeParse(text);
    return r.success ? { ok: true, value: r.data } : { ok: false, problem: problem(text) };
  };
}
const fromCheck = (ok: (s: string) => boolean, problem: (text: string) => string): PolicyField<string>['read'] =>
  (text) => (ok(text) ? { ok: true, value: text } : { ok: false, problem: problem(text) });

/** The HA switches report an unreadable value and are then ignored, never guessed. */
export const notValid = (attr: string) => (text: string) => `${attr} = "${text}" is not valid`;
/** A YES/NO switch's template text (any case, spaces around) and its API body value: one schema each, shared by every switch. */
const YES_NO_TEXT = z.pipe(z.pipe(z.string().check(z.trim(), z.toUpperCase()), z.enum(['YES', 'NO'])), z.transform((v) => v === 'YES'));
const SWITCH_BODY = z.boolean();
export const yesNo = <C extends boolean>(attr: string, describe: string, clear: C) => ({
  attr,
  read: fromSchema(YES_NO_TEXT, notValid(attr)),
  write: (v: boolean) => (v ? 'YES' : 'NO'),
  body: { schema: SWITCH_BODY, clear, describe },
});

const agent = (attr: string): PolicyField<string> => ({
  attr, read: fromCheck(isFenceAgentName, (t) => `"${t}" is not ${FENCE_AGENT_HINT}`), write: (v) => v,
});
const fenceIp = (attr: string): PolicyField<string> => ({
  attr, read: fromCheck(isValidFenceIp, (t) => `"${t}" is not an IP address or host name`), write: (v) => v,
});
const secretRef = (attr: string): PolicyField<string> => ({
  attr, read: fromCheck(isSecretRef, (t) => `"${t}" is not a secret ref ("default", "host:<id>" or a simple name)`), write: (v) => v,
});
const fenceOptions = (attr: string): PolicyField<Record<string, string>> => ({
  attr,
  read: (text) => {
    const r = readFenceOptions(text);
    return r.ok ? { ok: true, value: r.options } : { ok: false, problem: r.problem };
  },
  write: (v) => {
    const r = writeFenceOptions(v);
    if (!r.ok) throw new HostPolicyError(`${attr}: ${r.problem}`, [attr]);
    return r.text;
  },
});

export const FIELDS = {
  ha: yesNo('ONEHA_HA', 'ONEHA_HA: YES / NO', false),
  mode: {
    attr: 'ONEHA_MODE',
    read: fromSchema(z.pipe(z.string().check(z.trim(), z.toLowerCase()), RecoveryModeSchema), notValid('ONEHA_MODE')),
    write: (v) => v,
    body: { schema: RecoveryModeSchema, clear: true as const, describe: 'ONEHA_MODE; null = inherit' },
  } satisfies PolicyField<z.infer<typeof RecoveryModeSchema>>,
  pause: {
    attr: 'ONEHA_PAUSE',
    read: (text) => (pauseProblem(text) ? { ok: false, problem: notValid('ONEHA_PAUSE')(text) } : { ok: true, value: Number(text) }),
    write: (v) => String(v),
    body: { schema: z.number().check(z.int(), z.gte(0), z.lte(MAX_PAUSE_CYCLES)), clear: true as const, describe: 'ONEHA_PAUSE (monitoring cycles); null = inherit' },
  } satisfies PolicyField<number>,
  fencing: yesNo('ONEHA_FENCING', 'ONEHA_FENCING; null = inherit', true),
  force: yesNo('ONEHA_FORCE', 'ONEHA_FORCE (host_error.rb -f: with recreate, also SUSPENDED and POWEROFF VMs); null = inherit', true),
  fenceIp: {
    ...fenceIp('FENCE_IP'),
    body: { schema: z.string().check(z.trim(), z.maxLength(253), z.refine(isValidFenceIp, 'not an IP address or host name')), clear: true as const, describe: 'FENCE_IP; null = clear' },
  },
  fenceAgent: {
    ...agent('ONEHA_FENCE_AGENT'),
    body: { schema: z.string().check(z.refine(isFenceAgentName, FENCE_AGENT_HINT)), clear: true as const, describe: 'ONEHA_FENCE_AGENT; must be installed; null = clear' },
  },
  fenceOptions: {
    ...fenceOptions('ONEHA_FENCE_OPTIONS'),
    body: {
      schema: z.record(z.string(), z.string()).check(z.superRefine((opts, rc) => {
        for (const [key, value] of Object.entries(opts)) {
          const problem = templateOptionProblem(key, value);
          if (problem) rc.addIssue({ code: 'custom', path: [key], message: problem });
        }
      })),
      clear: true as const,
      describe: 'ONEHA_FENCE_OPTIONS (non-secret agent options); null = clear',
    },
  },
  /** The converge ladder (verify): one.vm.recover(id, 2) tries for a VM found in a *_FAILURE state. */
  verifyRetries: {
    attr: 'ONEHA_VERIFY_RETRIES',
    read: fromSchema(z.pipe(z.pipe(z.string().check(z.trim(), z.regex(/^\d{1,2}$/)), z.transform(Number)), z.number().check(z.int(), z.gte(0), z.lte(MAX_VERIFY_RETRIES))), notValid('ONEHA_VERIFY_RETRIES')),
    write: (v) => String(v),
    body: { schema: z.number().check(z.int(), z.gte(0), z.lte(MAX_VERIFY_RETRIES)), clear: true as const, describe: `ONEHA_VERIFY_RETRIES (one.vm.recover retries per failed VM, 0-${MAX_VERIFY_RETRIES}); null = inherit` },
  } satisfies PolicyField<number>,
  /** Then re-create it (one.vm.recover 4): its disks' state is lost, so the operator opts in per host. */
  verifyRecreate: yesNo('ONEHA_VERIFY_RECREATE', 'ONEHA_VERIFY_RECREATE (re-create a VM the retries did not bring up; its disks\' state is lost); null = inherit', true),
  /** Locked VMs: unlock, act, lock again at the same level (journaled), or leave them with the unlock command. */
  unlockLocked: yesNo('ONEHA_UNLOCK_LOCKED', 'ONEHA_UNLOCK_LOCKED (unlock, act, lock again at the same level); null = inherit', true),
  fenceSecretRef: secretRef('ONEHA_FENCE_SECRET_REF'),
  fenceIp2: fenceIp('FENCE_IP_2'),
  fenceAgent2: agent('ONEHA_FENCE_AGENT_2'),
  fenceOptions2: fenceOptions('ONEHA_FENCE_OPTIONS_2'),
  fenceSecretRef2: secretRef('ONEHA_FENCE_SECRET_REF_2'),
  /** A fence_host.sh-style command (base64 host XML on stdin, exit 0 = fenced), tried after the agent levels. */
  fenceCommand: { attr: 'ONEHA_FENCE_COMMAND', read: (text: string) => ({ ok: true as const, value: text }), write: (v: string) => v },
} as const;

export type FieldName = keyof typeof FIELDS;
type ValueOf<F> = F extends PolicyField<infer T> ? T : never;
export type FieldValue<K extends FieldName> = ValueOf<(typeof FIELDS)[K]>;

/** Field name by template attribute. */
export const FIELD_BY_ATTR: Readonly<Record<string, FieldName>> = Object.fromEntries(
  Object.entries(FIELDS).map(([name, f]) => [f.attr, name as FieldName]),
);

/** The attribute's trimmed text, undefined when absent or blank. */
export function templateText(template: Readonly<Record<string, string>>, name: FieldName): string | undefined {
  const v = template[FIELDS[name].attr]?.trim();
  return v ? v : undefined;
}

/** Reads one field from a host template: undefined when unset. */
export function readField<K extends FieldName>(template: Readonly<Record<string, string>>, name: K): FieldRead<FieldValue<K>> | undefined {
  const text = templateText(template, name);
  return text === undefined ? undefined : ((FIELDS[name] as PolicyField<FieldValue<K>>).read(text));
}

// The converge ladder: what verify does for a VM that was moved but does not
// run (BOOT_FAILURE, another *_FAILURE state). Written once here; the
// runner's config (verify.*, verify.perMode.*), verify's input and the host
// template's overrides (ONEHA_VERIFY_RETRIES, ONEHA_VERIFY_RECREATE) derive
// from it. Precedence, most specific first: the host's own, the mode's own,
// the runner's.
import * as z from './zod';
import { MAX_VERIFY_RETRIES } from './hostPolicy/fields';

export const LadderSchema = z.object({
  /** one.vm.recover(id, 2) per VM found in a *_FAILURE state. */
  retries: z.number().check(z.int(), z.gte(0), z.lte(MAX_VERIFY_RETRIES)),
  /** Then one.vm.recover(id, 4): a new deployment, the disks' state lost. Only where the operator allows it. */
  recreate: z.boolean(),
  /** Wait before the n-th retry of a VM: backoffSeconds * 2^(n-1). */
  backoffSeconds: z.number().check(z.nonnegative()),
});
export type Ladder = z.infer<typeof LadderSchema>;

export const DEFAULT_LADDER: Ladder = { retries: 2, recreate: false, backoffSeconds: 10 };

/**
 * The modes whose VMs verify retries. A deleted VM has nothing to retry (it
 * ends DONE), so delete takes no ladder and `verify.perMode.delete` is refused.
 */
export const LADDER_MODES = ['migrate', 'recreate'] as const;
export type LadderMode = (typeof LADDER_MODES)[number];

/** Some rungs of the ladder, over a less specific one. */
export const LadderOverrideSchema = z.strictObject(z.partial(LadderSchema).shape);
export type LadderOverride = z.infer<typeof LadderOverrideSchema>;

/** verify.perMode: a ladder per recovery mode, over the runner's. */
export const PerModeLadderSchema = z.strictObject({ migrate: z.optional(LadderOverrideSchema), recreate: z.optional(LadderOverrideSchema) });
export type PerModeLadder = z.infer<typeof PerModeLadderSchema>;

/** A ladder with more specific rungs over it, least specific first: `ladderFor(runner, perMode[mode], host)`. */
export function ladderFor(runner: Ladder, ...over: Array<LadderOverride | undefined>): Ladder {
  return Object.assign({ ...runner }, ...over.map(defined));
}

/** "2 retries, recreate allowed, backoff 10 s": for log lines. */
export function describeLadder(l: Ladder): string {
  return `${l.retries} ${l.retries === 1 ? 'retry' : 'retries'}, recreate ${l.recreate ? 'allowed' : 'not allowed'}, backoff ${l.backoffSeconds} s`;
}

function defined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

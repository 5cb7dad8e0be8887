// The shape every recovery step shares: a name, zod schemas for input and
// output, and run(input, ports). Types are inferred from the schemas.
import type * as z from '../model/zod';
import type { Ports } from '../model/ports';

export interface RecoveryFunction<I extends z.core.$ZodType, O extends z.core.$ZodType, P extends keyof Ports = keyof Ports> {
  name: string;
  description: string;
  /** True when run() changes the world (power, VMs); such steps offer a dry run. */
  effectful: boolean;
  input: I;
  output: O;
  /** Only the ports named here are handed over; pure steps need none. */
  ports: readonly P[];
  run(input: z.output<I>, ports: Pick<Ports, P>): Promise<z.output<O>>;
  /**
   * The flow tries the step again on a transient oned error (busy, electing,
   * unreachable), with the runner's step backoff. False for a step that must
   * never be repeated blindly (fence retries inside, per level).
   */
  retry?: boolean;
  /** Whether a journaled output may be reused by a resumed flow (default: always). */
  reusable?(output: z.output<O>): boolean;
}

export function defineFunction<I extends z.core.$ZodType, O extends z.core.$ZodType, P extends keyof Ports = never>(
  def: RecoveryFunction<I, O, P>,
): RecoveryFunction<I, O, P> {
  return def;
}


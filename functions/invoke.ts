// The one way to run a step: validate the input with its schema, run it
// with only the ports it asks for, and validate what it returns.
import * as z from '../model/zod';
import type { RecoveryFunction } from './define';
import { InputError } from '../model/errors';
import type { Ports } from '../model/ports';
import { describeIssues } from '../model/issues';

export async function invoke<I extends z.core.$ZodType, O extends z.core.$ZodType, P extends keyof Ports>(
  fn: RecoveryFunction<I, O, P>,
  rawInput: unknown,
  ports: Pick<Ports, P>,
): Promise<z.output<O>> {
  const parsed = z.safeParse(fn.input, rawInput);
  if (!parsed.success) throw new InputError(fn.name, parsed.error.issues, `invalid input for ${fn.name}: ${describeIssues(parsed.error.issues, 'the input')}`);
  const out = await fn.run(parsed.data, ports);
  return z.parse(fn.output, out);
}

// The one way to run a step: validate the input with its schema, run it
// with only the ports it asks for, and validate what it returns.
import { z } from 'zod';
import type { RecoveryFunction } from './define';
import type { Ports } from './ports';
import { describeIssues } from '../model/issues';

export class InputError extends Error {
  constructor(readonly fn: string, readonly issues: z.core.$ZodIssue[], message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export async function invoke<I extends z.ZodType, O extends z.ZodType, P extends keyof Ports>(
  fn: RecoveryFunction<I, O, P>,
  rawInput: unknown,
  ports: Pick<Ports, P>,
): Promise<z.output<O>> {
  const parsed = fn.input.safeParse(rawInput);
  if (!parsed.success) throw new InputError(fn.name, parsed.error.issues, `invalid input for ${fn.name}: ${describeIssues(parsed.error.issues, 'the input')}`);
  const out = await fn.run(parsed.data, ports);
  return fn.output.parse(out);
}

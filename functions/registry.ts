// Every recovery step by name, and the one way to run a step: validate the
// input with its schema, run it with only the ports it asks for, and
// validate what it returns.
import { z } from 'zod';
import { decode } from './decode';
import type { RecoveryFunction } from './define';
import { deleteVms } from './delete';
import { fence } from './fence';
import { inventory } from './inventory';
import { migrate } from './migrate';
import type { Ports } from './ports';
import { recreate } from './recreate';
import { select } from './select';
import { wait } from './wait';

export const functions = { decode, wait, fence, inventory, select, migrate, recreate, delete: deleteVms } as const;
export type FunctionName = keyof typeof functions;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = RecoveryFunction<z.ZodType, z.ZodType, any>;

export function getFunction(name: string): AnyFunction | undefined {
  return Object.hasOwn(functions, name) ? (functions[name as FunctionName] as unknown as AnyFunction) : undefined;
}

export class InputError extends Error {
  constructor(readonly fn: string, readonly issues: z.core.$ZodIssue[], message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Runs one step with schema checks on both sides. */
export async function invoke<I extends z.ZodType, O extends z.ZodType, P extends keyof Ports>(
  fn: RecoveryFunction<I, O, P>,
  rawInput: unknown,
  ports: Pick<Ports, P>,
): Promise<z.output<O>> {
  const parsed = fn.input.safeParse(rawInput);
  if (!parsed.success) throw new InputError(fn.name, parsed.error.issues, `invalid input for ${fn.name}:\n${z.prettifyError(parsed.error)}`);
  const out = await fn.run(parsed.data, ports);
  return fn.output.parse(out);
}

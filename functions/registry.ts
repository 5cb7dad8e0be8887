// Every recovery step by name, and the one way to run a step: validate the
// input with its schema, run it with only the ports it asks for, and
// validate what it returns.
import type * as z from '../model/zod';
import { decode } from './decode';
import type { RecoveryFunction } from './define';
import { deleteVms } from './delete';
import { fence } from './fence';
import { finish } from './finish';
import { hostState } from './hostState';
import { inventory } from './inventory';
import { migrate } from './migrate';
import { recover } from './recover';
import { recreate } from './recreate';
import { select } from './select';
import { verify } from './verify';
import { wait } from './wait';
import type { FunctionName } from './names';

export const functions = { decode, hostState, wait, fence, inventory, select, migrate, recreate, delete: deleteVms, recover, verify, finish } as const satisfies Record<FunctionName, unknown>;
export type { FunctionName };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = RecoveryFunction<z.core.$ZodType, z.core.$ZodType, any>;

export function getFunction(name: string): AnyFunction | undefined {
  return Object.hasOwn(functions, name) ? (functions[name as FunctionName] as unknown as AnyFunction) : undefined;
}

export { invoke } from './invoke';

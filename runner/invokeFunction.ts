// Runs one recovery function by name with the runner's real ports, for an
// operator debugging a step (HTTP and CLI). Effectful steps can dry-run:
// fence reads power only, migrate/recreate/delete plan without acting, and
// the OpenNebula port refuses every write.
import * as z from 'zod';
import { classify, describeError, InputError, type ErrorKind } from '../model/errors';
import { KIND_STATUS } from './http/errorStatus';
import { OneError } from '../model/errors';
import { noProgress, type Ports } from '../model/ports';
import { getFunction, invoke } from '../functions/registry';
import type { RunnerContext } from './context';
import { readOnly } from './one/readOnly';
import { describeIssues } from '../model/issues';

export type InvokeOutcome =
  | { ok: true; function: string; dryRun: boolean; durationMs: number; output: unknown }
  | { ok: false; kind: ErrorKind; status: (typeof KIND_STATUS)[ErrorKind]; error: { code: string; message: string; details?: unknown } };

export async function invokeByName(ctx: Pick<Ports, 'one' | 'fence' | 'clock'> & Pick<RunnerContext, 'log'>, name: string, input: unknown, dryRun: boolean): Promise<InvokeOutcome> {
  const fn = getFunction(name);
  if (!fn) return { ok: false, kind: 'not-found', status: KIND_STATUS['not-found'], error: { code: 'unknown-function', message: `no function "${name}"` } };
  const log = ctx.log.child({ function: name, dryRun });
  const ports: Ports = {
    one: dryRun ? readOnly(ctx.one) : ctx.one,
    fence: dryRun ? { power: (m, a, h) => (a === 'status' ? ctx.fence.power(m, a, h) : Promise.reject(new Error(`dry run: ${a} not sent`))) } : ctx.fence,
    clock: ctx.clock,
    log,
    progress: noProgress,
  };
  const withDry = fn.effectful && input && typeof input === 'object' ? { ...(input as object), dryRun } : input;
  const t0 = ctx.clock.now();
  try {
    const output = await invoke(fn, withDry, ports);
    return { ok: true, function: name, dryRun, durationMs: ctx.clock.now() - t0, output };
  } catch (e) {
    const { kind, code } = classify(e);
    if (kind === 'internal') throw e;
    const message = e instanceof z.ZodError ? describeIssues(e.issues, 'the output') : describeError(e);
    const error = e instanceof OneError ? { code: `oned-${e.codeName.toLowerCase()}`, message: e.message } : { code, message: e instanceof Error && !(e instanceof z.ZodError) ? e.message : message, ...(e instanceof InputError ? { details: e.issues } : {}) };
    return { ok: false, kind, status: KIND_STATUS[kind], error };
  }
}

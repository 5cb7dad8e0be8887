// The entry of each function bundle (dist/functions/<name>.mjs): JSON input
// on stdin, JSON output on stdout; a bad input exits 2 with the validation
// error on stderr. Effectful ports are built from the environment
// (ONE_XMLRPC, ONE_AUTH, ONEHA_* as for the runner) only if the function
// asks for them, so pure functions run with no OpenNebula at all.
import type * as z from '../model/zod';
import type { RecoveryFunction } from '../functions/define';
import type { Ports } from '../model/ports';
import { invoke } from '../functions/invoke';
import { InputError, StepError } from '../model/errors';
import { classify, describeError } from '../model/errors';
import { KIND_EXIT } from './cli/exitCodes';

/** Builds the ports a function asks for; pure functions need none (and bundle none). */
export type PortsFactory = (names: readonly (keyof Ports)[]) => Promise<Ports>;

/**
 * `inputSchema` is the input's JSON Schema, written by build.mjs with zod's
 * toJSONSchema when it makes the bundle, so the bundle need not carry it.
 */
export async function runStandalone(fn: RecoveryFunction<z.core.$ZodType, z.core.$ZodType, keyof Ports>, inputSchema: unknown, portsFor?: PortsFactory): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    process.stdout.write(`${fn.name}: ${fn.description}\nInput JSON schema:\n${JSON.stringify(inputSchema, null, 2)}\n`);
    return;
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  let input: unknown;
  try {
    input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    process.stderr.write(`${fn.name}: the input on stdin is not JSON\n`);
    process.exitCode = 2;
    return;
  }
  if (argv.includes('--dry-run') && fn.effectful && input && typeof input === 'object') input = { ...input, dryRun: true };
  try {
    const ports = fn.ports.length ? await portsFor!(fn.ports as readonly (keyof Ports)[]) : ({} as Ports);
    const out = await invoke(fn, input, ports);
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } catch (e) {
    process.stderr.write(`${fn.name}: ${e instanceof InputError ? e.message : e instanceof StepError ? `${e.code}: ${e.message}` : describeError(e)}\n`);
    process.exitCode = KIND_EXIT[classify(e).kind];
  }
}


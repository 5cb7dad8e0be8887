// `oneha invoke <function>`: one recovery function with the ports it asks
// for, built by the composition root (pure ones get none, so no credentials).
import { readFileSync } from 'node:fs';
import { FUNCTION_NAMES } from '../../functions/names';
import { getFunction } from '../../functions/registry';
import { composeBasics, portsFor } from '../compose';
import { loadConfig } from '../config';
import { invokeByName } from '../invokeFunction';
import { stderrSink } from '../log';
import { need, readStdin, type Values } from './args';
import { CliError, EXIT, KIND_EXIT } from './exitCodes';

export async function invokeCommand(v: Values, p: string[]): Promise<number> {
  const names = FUNCTION_NAMES.join(', ');
  const name = need(p[0], `a function name (${names})`);
  const fn = getFunction(name);
  if (!fn) throw new CliError(EXIT.badInput, `there is no function "${name}" (functions: ${names})`);
  const src = v.input as string | undefined;
  const text = !src || src === '-' ? await readStdin() : readFileSync(src, 'utf8');
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    throw new CliError(EXIT.badInput, `the input is not JSON (${src && src !== '-' ? src : 'stdin'})`);
  }
  const basics = composeBasics(loadConfig(), { logSink: stderrSink });
  // A pure function (decode, select) asks for no port: it needs neither oned nor its credentials.
  const r = await invokeByName({ ...portsFor(basics, fn.ports, name), log: basics.log }, name, input, !!v['dry-run']);
  if (r.ok) {
    console.log(JSON.stringify(r.output, null, 2));
    return EXIT.ok;
  }
  console.error(`oneha: ${r.error.message}`);
  return KIND_EXIT[r.kind];
}

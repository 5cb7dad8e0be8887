// The simulated OpenNebula as a process:
//   tsx sim/main.ts --scenario FILE|demo|sample [--port N] [--host ADDR]
// Prints {"ready":true,"url":...,"port":...} on stdout once listening;
// SIGTERM / SIGINT close it. `oneha sim ...` calls simMain().
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import demo from './scenarios/demo.json';
import sample from './scenarios/sample.json';
import { parseScenario, type Scenario } from './scenario';
import { startSimulator } from './server';

export const BUILTIN_SCENARIOS: Record<string, unknown> = { demo, sample };

const USAGE = 'usage: sim --scenario FILE|demo|sample [--port N] [--host ADDR]';

/** Loads a scenario file (or a built-in one by name) and validates it. */
export function loadScenario(fileOrName: string): Scenario {
  const raw = BUILTIN_SCENARIOS[fileOrName] ?? JSON.parse(readFileSync(fileOrName, 'utf8'));
  return parseScenario(raw);
}

/** Runs until SIGTERM/SIGINT; resolves with the exit code. */
export async function simMain(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = parseArgs({
      args: argv,
      options: { scenario: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
    }).values;
  } catch (e) {
    console.error(`sim: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  if (!opts.scenario) {
    console.error(`sim: --scenario is required\n${USAGE}`);
    return 2;
  }
  const port = opts.port === undefined ? 0 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`sim: --port must be 0-65535, got "${opts.port}"`);
    return 2;
  }
  let scenario: Scenario;
  try {
    scenario = loadScenario(opts.scenario);
  } catch (e) {
    console.error(`sim: ${opts.scenario}: ${(e as Error).message}`);
    return 2;
  }
  const sim = await startSimulator({ scenario, port, host: opts.host });
  process.stdout.write(`${JSON.stringify({ ready: true, url: sim.url, port: sim.port })}\n`);
  return new Promise<number>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void sim.close().then(() => resolve(0));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

const entry = process.argv[1] ? path.resolve(process.argv[1]) : '';
if (/(?:[\\/]sim[\\/]main\.[cm]?[jt]s|[\\/]sim\.[cm]?js)$/.test(entry)) {
  simMain(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`sim: ${(e as Error).stack ?? e}`);
      process.exit(1);
    },
  );
}

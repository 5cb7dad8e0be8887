// startup: how long `oneha` takes to start, side by side with `node -e 0` in
// the same run (rounds alternate the commands, so a machine that slows down
// slows all of them), and every function bundle's size against its target.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { bundleSizes } from './lib/bundleBudget';
import { requireBuild, ROOT, tempDir, writeFile } from './lib/procs';
import { int, kib, median, ms, runIfMain, timed, type BenchResult, type Row } from './lib/report';

const ROUNDS = 21;
/** The target: the drop-in and the CLI start in at most 1.5 times a bare `node -e 0`. */
const MAX_RATIO = 1.5;

interface Command { label: string; args: string[]; input?: string; env?: NodeJS.ProcessEnv; exit: number; file?: string; /** Held to the 1.5× target (the others are shown beside it). */ gated?: boolean }

function once(c: Command): number {
  const t0 = performance.now();
  const r = spawnSync(c.file ?? process.execPath, c.args, { cwd: ROOT, input: c.input ?? '', env: { ...process.env, ...c.env }, stdio: ['pipe', 'ignore', 'ignore'] });
  const t = performance.now() - t0;
  if (r.status !== c.exit) throw new Error(`${c.label}: exit ${r.status}, expected ${c.exit}`);
  return t;
}

export async function run(): Promise<BenchResult> {
  requireBuild();
  return timed(async () => {
    const dir = tempDir('oneha-bench-startup-');
    const bundle = join(ROOT, 'dist', 'oneha.mjs');
    // The drop-in as oned's hook manager starts it, up to its first decision: a payload the
    // decode step refuses ends it (exit 2) without waiting on oned, after config, the composed
    // services, the journal and the flow are loaded. It runs from an install staged by
    // deploy/install.sh, through the installed hook command (host_error.sh, then /usr/bin/oneha,
    // which reads oneha.env and runs node), with the installed oneha.json and secrets file.
    const root = join(dir, 'root');
    const staged = spawnSync('sh', [join(ROOT, 'deploy', 'install.sh'), '--prefix', root, '--no-chown'], { encoding: 'utf8' });
    if (staged.status !== 0) throw new Error(`install.sh --prefix: ${staged.stderr}`);
    const etc = join(root, 'etc', 'oneha');
    const one = { ONE_XMLRPC: 'http://127.0.0.1:9/RPC2', ONE_AUTH: writeFile(dir, 'one_auth', 'oneadmin:bench\n') };
    // oneha.env names /etc/oneha's files; the variables set here win over it, as they would in the hook's environment.
    const installedEnv = { ...one, ONEHA_CLI: join(root, 'usr', 'bin', 'oneha'), ONEHA_ENV_FILE: join(etc, 'oneha.env'), ONEHA_CONFIG: join(etc, 'oneha.json'), ONEHA_SECRETS_FILE: join(etc, 'secrets.json'), ONEHA_TOKEN_FILE: join(etc, 'token') };
    const commands: Command[] = [
      { label: 'node -e 0', args: ['-e', '0'], exit: 0 },
      { label: 'oneha --help', args: [bundle, '--help'], exit: 0, gated: true },
      { label: 'installed hook host_error.sh (refused payload)', file: join(root, 'var', 'lib', 'one', 'remotes', 'hooks', 'oneha', 'host_error.sh'), args: [], input: 'not-base64 -m -p 0', env: installedEnv, exit: 2, gated: true },
      { label: 'node dist/oneha.mjs hook host-error (refused payload)', args: [bundle, 'hook', 'host-error'], input: 'not-base64 -m -p 0', env: { ...one, ONEHA_CONFIG: '' }, exit: 2 },
    ];
    for (const c of commands) once(c); // warm the file cache
    const times = commands.map(() => [] as number[]);
    for (let i = 0; i < ROUNDS; i++) for (const [k, c] of commands.entries()) times[k].push(once(c));
    const base = median(times[0]);
    const rows: Row[] = commands.map((c, k) => {
      const m = median(times[k]);
      // Pairwise (same round) ratios: the median of those is robust to the load changing mid-run.
      const ratio = median(times[k].map((t, i) => t / times[0][i]));
      const metric = `${c.label}: start to exit, median of ${ROUNDS}`;
      if (k === 0) return { metric, value: ms(m), verdict: 'INFO' as const };
      const value = `${ms(m)} = ${(m / base).toFixed(2)}× node -e 0 (median of paired ratios ${ratio.toFixed(2)}×)`;
      if (!c.gated) return { metric, value, verdict: 'INFO' as const };
      return { metric, value, target: `≤ ${MAX_RATIO}× node -e 0`, verdict: ratio <= MAX_RATIO ? 'PASS' as const : 'FAIL' as const };
    });
    for (const b of bundleSizes(ROOT)) {
      rows.push({ metric: `dist/functions/${b.name}.mjs (${b.kind})`, value: `${int(b.bytes)} B = ${kib(b.bytes)}`, target: `≤ ${kib(b.target)}`, verdict: b.bytes <= b.target ? 'PASS' : 'FAIL' });
    }
    return {
      name: 'startup',
      title: 'startup: CLI and drop-in start time against node -e 0; function bundle sizes',
      method: [
        `${ROUNDS} rounds, each running \`node -e 0\`, \`node dist/oneha.mjs --help\` and the drop-in twice, one after the other (spawnSync, wall time from spawn to exit, output discarded), after one warm-up round. The ratio is taken per round and its median reported, so load that changes during the run moves both sides.`,
        'The drop-in is `oneha hook host-error` with a payload its decode step refuses: it loads the configuration, the composed services (runner/compose.ts), the journal and the flow, decides, logs and exits 2 without calling oned. The row held to the target runs it as an installed hook runs: from an install staged by `deploy/install.sh --prefix`, through the hook command (`host_error.sh`, which execs `/usr/bin/oneha`, which reads `oneha.env` and runs node on the drop-in\'s CommonJS build) with the installed `oneha.json`. The other row runs it through `node dist/oneha.mjs` (the ES module entry, as the tests do), without a configuration file.',
        'Bundle sizes are the files `node build.mjs` writes, in bytes (KiB = 1,024 B); a function with no ports is pure. test/integration/bundles.test.ts asserts the same sizes against the same table (bench/lib/bundleBudget.ts).',
      ],
      rows,
      tables: [{ caption: 'each round (ms)', header: ['round', ...commands.map((c) => c.label)], rows: times[0].map((_, i) => [String(i + 1), ...times.map((t) => t[i].toFixed(1))]) }],
      notes: [],
    };
  });
}

runIfMain(import.meta.url, run);

// `oneha demo --fireedge` (npm start): when a FireEdge Sunstone package is at
// hand (shared/fireedge next to the checkout, $ONEHA_FIREEDGE_DIR, or the
// folder given), the demo also starts it against the simulated oned with the
// Sunstone plugin installed by deploy/sunstone/plugin.sh, as an operator would.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The FireEdge package folder (with setup.sh), or undefined when there is none. */
export function fireEdgePackage(root: string, explicit?: string): string | undefined {
  const dir = resolve(explicit || process.env.ONEHA_FIREEDGE_DIR || join(root, '..', 'shared', 'fireedge'));
  return existsSync(join(dir, 'setup.sh')) ? dir : undefined;
}

export interface DemoFireEdge {
  url: string;
  stop(): Promise<void>;
}

async function step(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  try {
    await run(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 16 << 20 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} failed: ${err.message}\n${err.stderr ?? ''}`);
  }
}

/**
 * FireEdge's workers (tiny-worker, run from its node_modules) outlive the main process stop.sh ends:
 * end every process whose command line names the folder FireEdge runs from (pkill exits 1 when none does).
 */
export async function killRunFrom(dir: string): Promise<void> {
  await run('pkill', ['-KILL', '-f', '--', dir]).catch(() => undefined);
}

export async function startDemoFireEdge(o: { root: string; pkg: string; dataDir: string; simUrl: string; runnerUrl: string; port: number; subscriberPort: number }): Promise<DemoFireEdge> {
  const dest = join(o.dataDir, 'fireedge');
  const one = join(o.dataDir, 'fireedge-one');
  await step(join(o.pkg, 'setup.sh'), [dest]);
  // Nothing listens on the subscriber port: FireEdge only connects to it for live updates.
  await step(join(o.pkg, 'configure.sh'), [dest, one, o.simUrl, String(o.port)], { ONED_SUBSCRIBER: `tcp://127.0.0.1:${o.subscriberPort}` });
  await step(join(o.root, 'deploy', 'sunstone', 'plugin.sh'), [
    'install', '--modules', join(dest, 'dist', 'modules'), '--sunstone', join(one, 'etc', 'fireedge', 'sunstone'),
    '--runner', o.runnerUrl, '--module', join(o.root, 'dist', 'sunstone', 'OnehaModule', 'remoteEntry.js'),
  ]);
  await step(join(o.pkg, 'run.sh'), [dest, one, String(o.port)]);
  return {
    url: `http://127.0.0.1:${o.port}/fireedge/sunstone`,
    stop: async () => {
      await step(join(o.pkg, 'stop.sh'), [one]).catch(() => undefined);
      await killRunFrom(dest);
    },
  };
}

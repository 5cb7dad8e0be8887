// What the real-component fence tests share: a secret store in a temp dir, a
// Log that keeps every line, a fence port with test-sized timeouts and
// retries, and a way to run the fence function and keep its result JSON, so
// a test can assert at the end that the password appeared nowhere.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fence, FenceResultSchema, type FenceResult } from '../../../functions/fence';
import type { Host } from '../../../model/one';
import type { FenceMethod } from '../../../model/fence';
import { noProgress, realClock, type FencePort, type Log } from '../../../model/ports';
import { createFencePort, type FencePortOptions } from '../../../runner/fence/agentPort';
import { createSecretStore, type SecretStore } from '../../../runner/fence/secrets';

export interface FenceRig {
  /** Random per run, 14 characters (ipmi_sim takes at most 16). */
  password: string;
  secrets: SecretStore;
  log: Log;
  logLines: string[];
  /** JSON of every fence result and power answer produced through the rig. */
  outputs: string[];
  port(over?: Partial<FencePortOptions>): FencePort;
  fence(host: Host, methods: FenceMethod[], opts?: { dryRun?: boolean; port?: FencePort }): Promise<FenceResult>;
  cleanup(): void;
}

export function createFenceRig(): FenceRig {
  const dir = mkdtempSync(join(tmpdir(), 'oneha-fencerig-'));
  const password = `Pw-${randomBytes(5).toString('hex').slice(0, 11)}`;
  const secrets = createSecretStore({ file: join(dir, 'secrets.json'), env: {} });
  secrets.set('default', { username: 'admin', password });
  const logLines: string[] = [];
  const outputs: string[] = [];
  const line = (level: string) => (msg: string, fields?: Record<string, unknown>) => { logLines.push(JSON.stringify({ level, msg, ...fields })); };
  const log: Log = { info: line('info'), warn: line('warn'), error: line('error') };
  const port = (over: Partial<FencePortOptions> = {}): FencePort => {
    const p = createFencePort({ secrets, log, timeoutMs: 10_000, retries: 2, retryDelayMs: 100, ...over });
    return {
      async power(m, a, h) {
        const answer = await p.power(m, a, h);
        outputs.push(JSON.stringify(answer));
        return answer;
      },
    };
  };
  return {
    password, secrets, log, logLines, outputs, port,
    async fence(host, methods, opts = {}) {
      const input = fence.input.parse({ host, methods, fencing: true, dryRun: opts.dryRun ?? false });
      const result = FenceResultSchema.parse(await fence.run(input, { fence: opts.port ?? port(), log, clock: realClock, progress: noProgress }));
      outputs.push(JSON.stringify(result));
      return result;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function testHost(id: number, template: Record<string, string>): Host {
  return { id, name: `node${id}`, state: 3, prevState: 2, clusterId: 0, cluster: 'default', vms: [], template };
}

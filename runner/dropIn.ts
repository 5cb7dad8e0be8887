// `oneha hook host-error`: the whole recovery in the foreground, as a drop-in
// for ft/host_error.rb. Reads the hook's stdin (or argv), ONE_XMLRPC and
// ONE_AUTH, fences with the configured method or an existing fence_host.sh.
import { realClock, type Clock, type FencePort, type Log, type OneApi } from '../model/ports';
import type { FenceMethod } from '../model/fence';
import type { Host } from '../model/one';
import { MemoryJournalStore } from './journal/fileStore';
import { Journal } from './journal/journal';
import { EventBus } from './eventBus';
import { runRecoveryFlow, type FlowSettings } from './flow/recoveryFlow';
import type { Recovery } from './journal/events';

import { EXIT } from './cli/exitCodes';

export interface DropInDeps {
  one: OneApi;
  fence: FencePort;
  fenceMethods(host: Host): FenceMethod[];
  settings: FlowSettings;
  log: Log;
  clock?: Clock;
}

export async function runDropIn(payload: string, deps: DropInDeps): Promise<{ code: number; recovery: Recovery }> {
  const clock = deps.clock ?? realClock;
  const journal = new Journal(new MemoryJournalStore(), new EventBus(), () => clock.now());
  const id = 'foreground';
  await journal.record(id, { type: 'received', payload, trigger: 'hook' });
  await runRecoveryFlow(journal.get(id)!, { one: deps.one, fence: deps.fence, clock, log: deps.log, progress: { emit() {} } }, deps.settings, {
    record: async (e) => void (await journal.record(id, e)),
    fenceMethods: deps.fenceMethods,
    brake: async () => undefined,
  });
  const r = journal.get(id)!;
  return { code: exitCodeFor(r), recovery: r };
}

const ONED_CODES = /^(AUTHENTICATION|AUTHORIZATION|TRANSPORT|TIMEOUT|INTERNAL|FAULT|NO_EXISTS|RPC_API|LOCKED|REPLICATION)$/;

export function exitCodeFor(r: Recovery): number {
  switch (r.status) {
    case 'completed': case 'came-back': case 'skipped': return EXIT.ok;
    case 'fence-failed': case 'held': return EXIT.fenceFailed;
    case 'degraded': return EXIT.vmsFailed;
    case 'failed': {
      if (ONED_CODES.test(r.errorCode ?? '')) return EXIT.oned;
      if (r.steps.some((s) => s.name === 'decode' && s.status === 'failed')) return EXIT.badInput;
      if (r.steps.some((s) => s.name === 'recover' && s.status === 'ok')) return EXIT.vmsFailed;
      return EXIT.failed;
    }
    default: return EXIT.failed;
  }
}

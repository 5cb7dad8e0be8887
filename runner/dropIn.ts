// `oneha hook host-error`: the whole recovery in the foreground, as a drop-in
// for ft/host_error.rb. Reads the hook's stdin (or argv), ONE_XMLRPC and
// ONE_AUTH, fences with the configured method or an existing fence_host.sh.
// Its services come from the composition root (cli/hook.ts); the journal is in memory.
import { noProgress, type Log } from '../model/ports';
import type { Basics } from './compose';
import { MemoryJournalStore } from './journal/memoryStore';
import { Journal } from './journal/journal';
import { EventBus } from './eventBus';
import { runRecoveryFlow } from './flow/recoveryFlow';
import type { Recovery } from './journal/events';
import { EXIT, KIND_EXIT } from './cli/exitCodes';
import { isOneErrorCodeName } from '../model/errors';

/** The composed services the foreground flow runs on (compose.ts composeBasics). */
export type DropInDeps = Pick<Basics<Log>, 'one' | 'fence' | 'fenceMethods' | 'settings' | 'log' | 'clock'>;

export async function runDropIn(payload: string, deps: DropInDeps): Promise<{ code: number; recovery: Recovery }> {
  const { clock } = deps;
  const journal = new Journal(new MemoryJournalStore(), new EventBus(), () => clock.now());
  const id = 'foreground';
  await journal.record(id, { type: 'received', payload, trigger: 'hook' });
  await runRecoveryFlow(journal.get(id)!, { one: deps.one, fence: deps.fence, clock, log: deps.log, progress: noProgress }, deps.settings, {
    record: async (e) => void (await journal.record(id, e)),
    fenceMethods: deps.fenceMethods,
    brake: async () => undefined,
  });
  const r = journal.get(id)!;
  return { code: exitCodeFor(r), recovery: r };
}

export function exitCodeFor(r: Recovery): number {
  switch (r.status) {
    case 'completed': case 'came-back': case 'skipped': return EXIT.ok;
    case 'fence-failed': case 'held': return EXIT.fenceFailed;
    case 'degraded': return EXIT.vmsFailed;
    case 'failed': {
      // The journal keeps classify(e).code: any of oned's code names (model/errors.ts) is the oned kind.
      if (isOneErrorCodeName(r.errorCode)) return KIND_EXIT.oned;
      if (r.steps.some((s) => s.name === 'decode' && s.status === 'failed')) return KIND_EXIT['invalid-input'];
      if (r.steps.some((s) => s.name === 'recover' && s.status === 'ok')) return EXIT.vmsFailed;
      return EXIT.failed;
    }
    default: return EXIT.failed;
  }
}

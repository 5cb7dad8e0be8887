// finish: keep the scheduler off a fenced host until an operator brings it
// back (DISABLED or OFFLINE, as configured). A host that was not fenced, or a
// dry run, is left as it is.
import * as z from '../model/zod';
import { NonNegativeInt } from '../model/numbers';
import { HostState } from '../model/one';
import { defineFunction } from './define';

export const FinishInput = z.object({
  hostId: NonNegativeInt,
  /** The fence step verified (or a command confirmed) the host off. */
  fenced: z.boolean(),
  afterRecovery: z.enum(['disabled', 'offline', 'none']),
  dryRun: z._default(z.boolean(), false),
});
export const FinishOutput = z.object({ hostStatus: z.enum(['disabled', 'offline', 'unchanged']) });
export type FinishResult = z.infer<typeof FinishOutput>;

export const finish = defineFunction({
  name: 'finish',
  description: 'Leave a fenced host DISABLED or OFFLINE (one.host.status) until an operator enables it.',
  effectful: true,
  ports: ['one', 'log'],
  input: FinishInput,
  output: FinishOutput,
  async run({ hostId, fenced, afterRecovery, dryRun }, { one, log }) {
    if (!fenced || afterRecovery === 'none' || dryRun) return { hostStatus: 'unchanged' as const };
    // Looked at first: after a lost answer the flow's retry must not send it twice.
    const target = afterRecovery === 'disabled' ? HostState.DISABLED : HostState.OFFLINE;
    if ((await one.hostInfo(hostId)).state !== target) await one.hostStatus(hostId, afterRecovery === 'disabled' ? 1 : 2);
    log.info(`host ${hostId}: left ${afterRecovery.toUpperCase()} until an operator enables it`, { hostId });
    return { hostStatus: afterRecovery };
  },
});

// hostState: the host as oned has it now, and whether it is still failed.
// The flow's last look before fencing, and the start of a recovery found by
// reconciliation (no hook payload: the host itself is the evidence).
import * as z from '../model/zod';
import { NonNegativeInt } from '../model/numbers';
import { HostSchema, isHostFailed } from '../model/one';
import { defineFunction } from './define';

export const HostStateInput = z.object({ hostId: NonNegativeInt });
export const HostStateOutput = z.object({
  host: HostSchema,
  /** ERROR or MONITORING_ERROR (host_error.rb's "still failed"). */
  failed: z.boolean(),
});
export type HostStateResult = z.infer<typeof HostStateOutput>;

export const hostState = defineFunction({
  name: 'hostState',
  description: 'The host as oned has it now (one.host.info) and whether it is still failed (ERROR or MONITORING_ERROR).',
  effectful: false,
  ports: ['one'],
  input: HostStateInput,
  output: HostStateOutput,
  async run({ hostId }, { one }) {
    const host = await one.hostInfo(hostId);
    return { host, failed: isHostFailed(host.state) };
  },
});

// The fencing contract shared by the `fence` function, the runner's fence
// port and the settings stored on the host template.
import * as z from 'zod';
import { FENCE_AGENT_HINT, isFenceAgentName } from './hostPolicy/agentName';

/** A ClusterLabs fence agent (fence_ipmilan, fence_redfish, ...) run with options on stdin. */
export const AgentMethodSchema = z.object({
  kind: z.literal('agent'),
  /** Executable name, e.g. fence_ipmilan; must be an installed agent. */
  agent: z.string().refine(isFenceAgentName, FENCE_AGENT_HINT),
  /** Non-secret options (ip, ipport, lanplus, ...). `ip` defaults to the host's FENCE_IP. */
  options: z.record(z.string(), z.string()).default({}),
  /** Which credentials from the secret store; defaults to the host's own, then "default". */
  secretRef: z.string().optional(),
});

/** An operator's fence_host.sh-style script: base64 host XML on stdin, exit 0 = fenced. */
export const CommandMethodSchema = z.object({
  kind: z.literal('command'),
  command: z.string().min(1),
});

export const FenceMethodSchema = z.discriminatedUnion('kind', [AgentMethodSchema, CommandMethodSchema]);
export type FenceMethod = z.infer<typeof FenceMethodSchema>;

export const PowerActionSchema = z.enum(['status', 'off', 'on']);
export type PowerAction = z.infer<typeof PowerActionSchema>;

/**
 * What one power action answered. `power` is the state the BMC reported
 * (status) or that the action achieved; a command method's `off` answers
 * ok without a power reading (exit 0 is its only evidence).
 */
export const PowerAnswerSchema = z.object({
  ok: z.boolean(),
  power: z.enum(['on', 'off']).optional(),
  /** Plain-words reason when !ok. */
  error: z.string().optional(),
  exitCode: z.number().int().nullable().optional(),
  timedOut: z.boolean().optional(),
  tries: z.number().int().optional(),
  durationMs: z.number(),
});
export type PowerAnswer = z.infer<typeof PowerAnswerSchema>;

export function describeMethod(m: FenceMethod): string {
  return m.kind === 'agent' ? m.agent : `command ${m.command}`;
}

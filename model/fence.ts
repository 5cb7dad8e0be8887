// The fencing contract shared by the `fence` function, the runner's fence
// port and the settings stored on the host template.
import * as z from './zod';
import { Int } from './numbers';
import { FENCE_AGENT_HINT, isFenceAgentName } from './hostPolicy/agentName';

/** A ClusterLabs fence agent (fence_ipmilan, fence_redfish, ...) run with options on stdin. */
export const AgentMethodSchema = z.object({
  kind: z.literal('agent'),
  /** Executable name, e.g. fence_ipmilan; must be an installed agent. */
  agent: z.string().check(z.refine(isFenceAgentName, FENCE_AGENT_HINT)),
  /** Non-secret options (ip, ipport, lanplus, ...). `ip` defaults to the host's FENCE_IP. */
  options: z._default(z.record(z.string(), z.string()), {}),
  /** Which credentials from the secret store; defaults to the host's own, then "default". */
  secretRef: z.optional(z.string()),
});

/** An operator's fence_host.sh-style script: base64 host XML on stdin, exit 0 = fenced. */
export const CommandMethodSchema = z.object({
  kind: z.literal('command'),
  command: z.string().check(z.minLength(1)),
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
  power: z.optional(z.enum(['on', 'off'])),
  /** Plain-words reason when !ok. */
  error: z.optional(z.string()),
  exitCode: z.optional(z.nullable(Int)),
  timedOut: z.optional(z.boolean()),
  tries: z.optional(Int),
  durationMs: z.number(),
});
export type PowerAnswer = z.infer<typeof PowerAnswerSchema>;

export function describeMethod(m: FenceMethod): string {
  return m.kind === 'agent' ? m.agent : `command ${m.command}`;
}

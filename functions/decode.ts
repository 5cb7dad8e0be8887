// decode: the exact stdin the hook manager passes ("<base64 host XML> <flags>")
// -> the failed host and the recovery options. Pure.
import * as z from '../model/zod';
import { StepError } from '../model/errors';
import { defineFunction } from './define';
import { HostSchema } from '../model/one';
import { HookOptionsSchema, parseHookFlags } from '../model/hookOptions';
import { parseHost, XmlShapeError } from '../model/oneXml';
import { describeIssues } from '../model/issues';

export const DecodeInput = z.object({
  /** The hook's stdin (or its argv joined by spaces). */
  payload: z.string(),
});

export const HostFailureSchema = z.object({
  host: HostSchema,
  options: HookOptionsSchema,
});
export type HostFailure = z.infer<typeof HostFailureSchema>;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Payloads decoded once and not yet a second time, with what they gave. The
 * runner decodes an event when it accepts it and again in its flow's decode
 * step (the step's input is the journaled payload, so a replay decodes it
 * anew): decoding is pure, so the second time takes the first one's result
 * and drops it. Validating and parsing the host XML was ~0.6 ms of CPU each
 * time (bench hook-ack-latency, 200 events/s). Bounded for a storm whose flows
 * queue up; results are frozen: whoever holds one cannot change it under another.
 */
const firstDecoded = new Map<string, HostFailure>();
const FIRST_DECODED_MAX = 4096;

export function decodeHookPayload(payload: string): HostFailure {
  const hit = firstDecoded.get(payload);
  if (hit) {
    firstDecoded.delete(payload);
    return hit;
  }
  const decoded = deepFreeze(decodeUncached(payload));
  if (firstDecoded.size >= FIRST_DECODED_MAX) firstDecoded.delete(firstDecoded.keys().next().value!);
  firstDecoded.set(payload, decoded);
  return decoded;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

function decodeUncached(payload: string): HostFailure {
  const words = payload.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new StepError('empty-payload', 'empty hook payload: expected "<base64 host XML> <flags>".');
  const [template, ...flags] = words;
  if (template.length % 4 !== 0 || !BASE64.test(template)) {
    throw new StepError('bad-base64', `the first word is not base64 (${template.length} characters starting "${template.slice(0, 12)}"): is ARGUMENTS = "$TEMPLATE ..." in the hook?`);
  }
  const xml = Buffer.from(template, 'base64').toString('utf8');
  // oned never sends a DTD; one here could only declare entities to expand or fetch.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new StepError('not-a-host', 'the decoded template declares a DOCTYPE or entities, which a HOST from oned never has.');
  let host;
  try {
    host = parseHost(xml, true);
  } catch (e) {
    if (e instanceof XmlShapeError) throw new StepError('not-a-host', `the decoded template is not a HOST: ${e.message}.`);
    if (e instanceof z.$ZodError) throw new StepError('not-a-host', `the decoded HOST is incomplete: ${describeIssues(e.issues.map((i) => ({ ...i, path: ['HOST', ...i.path] })))}`);
    throw e;
  }
  return { host, options: parseHookFlags(flags) };
}

export const decode = defineFunction({
  name: 'decode',
  description: 'Hook stdin ("<base64 host XML> <flags>") -> the failed host and host_error.rb options.',
  effectful: false,
  ports: [],
  input: DecodeInput,
  output: HostFailureSchema,
  async run(input) {
    return decodeHookPayload(input.payload);
  },
});

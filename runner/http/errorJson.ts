// The one error body of the API: every refusal, whichever layer answers it.
import type { Context } from 'hono';
import * as z from 'zod';

export const ErrorBody = z.object({
  error: z.object({
    code: z.string().describe('stable, machine-readable (e.g. invalid-body, bad-host-id, not-found)'),
    message: z.string().describe('one sentence naming what to fix'),
    details: z.unknown().optional().describe('invalid-body: [{path, message}] per problem, path naming the field'),
  }),
  recoveryId: z.string().optional().describe('POST /v1/hooks/host-error: the rejected payload is kept as this recovery'),
}).describe('An error');

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503 | 507;

/** A JSON error body the same shape everywhere. */
export function errorJson(c: Context, status: ErrorStatus, code: string, message: string, details?: unknown) {
  return c.json({ error: { code, message, ...(details === undefined ? {} : { details }) } } satisfies z.input<typeof ErrorBody>, status);
}

// POST /v1/functions/:name runs one step with the real ports (debugging).
import { Hono } from 'hono';
import * as z from 'zod';
import { functions } from '../../functions/registry';
import type { RunnerContext } from '../context';
import { invokeByName } from '../invokeFunction';
import { requireAdmin, requireRead, type AuthEnv } from './auth';
import { jsonBody } from './openapi';

export const InvokeBody = z.object({
  input: z.unknown(),
  dryRun: z.boolean().default(false).describe('effectful functions: fence reads power only; migrate/recreate/delete plan without acting'),
}).strict();

export function functionsRoutes(ctx: RunnerContext) {
  ctx.api.add({ method: 'get', path: '/v1/functions', auth: 'read', summary: 'The recovery functions with their input and output JSON schemas.' });
  ctx.api.add({
    method: 'post', path: '/v1/functions/:name', auth: 'admin', body: InvokeBody,
    summary: 'Run one recovery function with the real ports; effectful ones offer a dry run.',
    responses: { 200: 'the output', 400: 'invalid input', 404: 'unknown function', 422: 'the step refused', 502: 'oned error' },
  });
  return new Hono<AuthEnv>()
    .get('/v1/functions', requireRead, (c) =>
      c.json(Object.values(functions).map((f) => ({
        name: f.name, description: f.description, effectful: f.effectful, ports: f.ports,
        input: z.toJSONSchema(f.input, { unrepresentable: 'any', io: 'input' }),
        output: z.toJSONSchema(f.output, { unrepresentable: 'any' }),
      }))))
    .post('/v1/functions/:name', requireAdmin, jsonBody(InvokeBody), async (c) => {
      const body = c.get('body' as never) as z.output<typeof InvokeBody>;
      const r = await invokeByName(ctx, c.req.param('name'), body.input, body.dryRun);
      return r.ok ? c.json(r) : c.json({ error: r.error }, r.status);
    });
}

// POST /v1/functions/:name runs one step with the real ports (debugging).
import * as z from 'zod';
import { functions } from '../../functions/registry';
import type { RunnerContext } from '../context';
import { invokeByName } from '../invokeFunction';
import { routesFor } from './defineRoute';
import { FunctionList, InvokeAnswer } from './views';

export const InvokeBody = z.object({
  input: z.unknown(),
  dryRun: z.boolean().default(false).describe('effectful functions: fence reads power only; migrate/recreate/delete plan without acting'),
}).strict();

export function functionsRoutes(ctx: RunnerContext) {
  return routesFor(ctx)
    .define({
      method: 'get', path: '/v1/functions', operationId: 'listFunctions', tags: ['functions'], auth: 'read',
      summary: 'The recovery functions with their input and output JSON schemas.',
      responses: { 200: { description: 'the functions', schema: FunctionList } },
    }, (c) => c.json(Object.values(functions).map((f) => ({
      name: f.name, description: f.description, effectful: f.effectful, ports: f.ports,
      input: z.toJSONSchema(f.input, { unrepresentable: 'any', io: 'input' }),
      output: z.toJSONSchema(f.output, { unrepresentable: 'any' }),
    }))))
    .define({
      method: 'post', path: '/v1/functions/:name', operationId: 'invokeFunction', tags: ['functions'], auth: 'admin', body: InvokeBody,
      params: z.object({ name: z.string().describe('a function name, as GET /v1/functions lists them') }),
      summary: 'Run one recovery function with the real ports; effectful ones offer a dry run.',
      responses: { 200: { description: 'the output', schema: InvokeAnswer }, 400: 'invalid input', 404: 'unknown function', 422: 'the step refused', 502: 'oned error' },
    }, async (c) => {
      const body = c.req.valid('json');
      const r = await invokeByName(ctx, c.req.valid('param').name, body.input, body.dryRun);
      return r.ok ? c.json(r) : c.json({ error: r.error }, r.status);
    })
    .app;
}

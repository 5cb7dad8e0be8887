// Readiness per host (runner/readiness.ts) over HTTP. Answers come from
// runner/readinessService.ts: the last computation (made in the background on
// the runner's clock) with its age, so a hosts page that shows readiness does
// not wait on oned; `?refresh=1` waits for a fresh one.
import type { Context } from 'hono';
import { compress } from 'hono/compress';
import * as z from 'zod';
import { describeError } from '../../model/errors';
import type { RunnerContext } from '../context';
import { readinessFor, type ReadinessResult } from '../readinessService';
import { readsAs, type AuthEnv } from './auth';
import { routesFor } from './defineRoute';
import { HostParams } from './hostsRoutes';
import { errorJson } from './errorJson';

export { READINESS_READS } from '../readinessService';

/** The readiness `session` sees (undefined: the runner's own): the last computed, with its age; `fresh` waits for a new one. */
export const readinessNow = (ctx: RunnerContext, session?: string, fresh = false) => readinessFor(ctx).get(session, fresh);

/** GET /v1/readiness's answer (the plugin and the CLI import this type). */
export type ReadinessAnswer = Awaited<ReturnType<typeof readinessNow>>;

/** GET /v1/hosts/:id/readiness's answer: one host of the whole answer, with its cluster's reserve; undefined: no such host. */
export function hostReadinessOf(r: ReadinessAnswer, id: number) {
  const host = r.hosts.find((h) => h.hostId === id);
  if (!host) return undefined;
  const cluster = r.clusters.find((x) => x.clusterId === host.clusterId);
  return { ...host, ...(cluster ? { cluster } : {}), reads: r.reads, at: r.at, ageSeconds: r.ageSeconds, ...(r.error ? { error: r.error } : {}) };
}
export type HostReadinessAnswer = NonNullable<ReturnType<typeof hostReadinessOf>>;

const Need = z.object({ cpu: z.number().describe('percent of a core, as HOST_SHARE'), mem: z.number().describe('KB') });
const Part = z.object({
  key: z.string(), label: z.string(), ok: z.boolean().nullable().describe('null: not known here, not counted'), weight: z.number(),
  detail: z.string(), fix: z.string().optional(),
});
const HostReadinessView = z.object({
  hostId: z.number().int(), hostName: z.string(), clusterId: z.number().int(),
  score: z.number().nullable().describe('0-100; null when HA is off for the host'), ha: z.boolean(), parts: z.array(Part),
});
const ClusterReserveView = z.object({
  clusterId: z.number().int(), cluster: z.string(), hosts: z.number().int(), n1: z.boolean(), shortfall: Need,
  kLargest: z.object({ k: z.number().int(), hostIds: z.array(z.number().int()), need: Need, shortfall: Need, leftDown: z.number().int() }),
});
const Meta = {
  reads: z.array(z.string()).describe('the oned calls one computation makes'),
  at: z.number().describe('when it was computed (ms since the epoch)'),
  ageSeconds: z.number().int().describe('how old it is (also the Age header); computed every readiness.refreshSeconds'),
  error: z.object({ message: z.string(), at: z.number() }).optional().describe('the last computation after this one failed (oned down): this answer is older'),
};
const FreshQuery = z.object({ refresh: z.enum(['0', '1', 'true', 'false']).optional().describe('1 or true: wait for a fresh computation instead of the last one') });
const ReadinessList = z.object({ hosts: z.array(HostReadinessView), clusters: z.array(ClusterReserveView), ...Meta });
const OneHostReadiness = HostReadinessView.extend({ cluster: ClusterReserveView.optional(), ...Meta });


const isFresh = (refresh?: string) => refresh === '1' || refresh === 'true';
const onedFailed = (c: Context<AuthEnv>, e: unknown) => errorJson(c, 502, 'oned', `OpenNebula (oned) did not answer as expected: ${describeError(e)}`);
const bodies = new WeakMap<ReadinessResult, string>();
function serialised(r: ReadinessResult): string {
  let body = bodies.get(r);
  if (body === undefined) bodies.set(r, (body = JSON.stringify(r)));
  return body;
}

export function readinessRoutes(ctx: RunnerContext) {
  const compute = async (c: Context<AuthEnv>, refresh?: string) => {
    try {
      const r = await readinessNow(ctx, readsAs(c.get('principal')), isFresh(refresh));
      c.header('age', String(r.ageSeconds));
      c.header('cache-control', 'no-store');
      return r;
    } catch (e) {
      return onedFailed(c, e);
    }
  };
  return routesFor(ctx)
    .define({
      method: 'get', path: '/v1/readiness', operationId: 'listReadiness', tags: ['hosts'], auth: 'read', use: [compress()], query: FreshQuery,
      summary: 'Readiness of every host: a score 0-100 and its parts (fencing, fence test, credentials, shared datastores, locked VMs, capacity, hook, clock), each with its fix; and the capacity reserve per cluster (N+1, K largest). The last computation (every readiness.refreshSeconds, in the background) with its age: no oned call per request unless ?refresh=1 or none was made yet.',
      responses: { 200: { description: 'every host\'s readiness and the reserve per cluster', schema: ReadinessList }, 502: 'oned failed' },
    }, async (c) => {
      let a;
      try {
        a = await readinessFor(ctx).answer(readsAs(c.get('principal')), isFresh(c.req.valid('query').refresh));
      } catch (e) {
        return onedFailed(c, e);
      }
      c.header('age', String(a.ageSeconds));
      c.header('cache-control', 'no-store');
      // 2,500 hosts are megabytes of JSON: written once per computation, the age and a later failure put in front per request.
      const meta = JSON.stringify({ ageSeconds: a.ageSeconds, ...(a.error ? { error: a.error } : {}) });
      return c.body(`${meta.slice(0, -1)},${serialised(a.result).slice(1)}`, 200, { 'content-type': 'application/json' });
    })
    .define({
      method: 'get', path: '/v1/hosts/:id/readiness', operationId: 'getHostReadiness', tags: ['hosts'], auth: 'read',
      params: HostParams, paramsCode: 'bad-host-id', query: FreshQuery,
      summary: 'One host\'s readiness, as in GET /v1/readiness (the same computation), with its cluster\'s reserve.',
      responses: { 200: { description: 'the host\'s readiness', schema: OneHostReadiness }, 404: 'no such host', 502: 'oned failed' },
    }, async (c) => {
      const { id } = c.req.valid('param');
      const r = await compute(c, c.req.valid('query').refresh);
      if (r instanceof Response) return r;
      const host = hostReadinessOf(r, id);
      if (!host) return errorJson(c, 404, 'not-found', `no host ${id}`);
      return c.json(host);
    }).app;
}

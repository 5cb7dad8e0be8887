// Readiness per host (runner/readiness.ts) over HTTP: the whole cloud from
// three reads (one.hostpool.info, one.vmpool.infoextended, one.datastorepool.info),
// or one host from the same reads. Each answer also feeds the Prometheus
// gauges (the last one computed).
import type { Context } from 'hono';
import { compress } from 'hono/compress';
import * as z from 'zod';
import { describeError } from '../../model/errors';
import type { RunnerContext } from '../context';
import type { OneClient } from '../one/client';
import { poolReadiness } from '../readiness';
import { readsAs, type AuthEnv } from './auth';
import { routesFor } from './defineRoute';
import { errorJson } from './errorJson';

/** The reads readiness needs, in the order they are made (all at once). */
export const READINESS_READS = ['one.hostpool.info', 'one.vmpool.infoextended(-2, -1, -1, -1)', 'one.datastorepool.info'] as const;

export async function readinessNow(ctx: RunnerContext, one: OneClient = ctx.one) {
  const [hosts, vms, datastores] = await Promise.all([one.hostPoolInfo(), one.vmPoolInfoExtended(-2, -1, -1, -1), one.datastorePoolInfo()]);
  const secrets = new Set(ctx.secrets.describe().filter((d) => d.passwordSet).map((d) => d.ref));
  // The journal holds every hook event oned delivered: one is proof oned's hook reaches this runner.
  const lastHook = ctx.journal.list().filter((r) => r.trigger === 'hook').reduce((t, r) => Math.max(t, r.receivedAt), 0);
  const cfg = ctx.config.readiness;
  const result = poolReadiness({
    hosts, vms, datastores, now: ctx.clock.now(), defaults: ctx.config.defaults,
    fenceMethods: ctx.fenceMethods,
    credentialsSet: (h, m) => m.kind !== 'agent' || ctx.secrets.refsForHost(h.id, m.secretRef).some((r) => secrets.has(r)),
    lastFenceTest: (id) => ctx.fenceTests.get(id),
    fenceTestMaxAgeMs: cfg.fenceTestMaxAgeHours * 3_600_000,
    unlockLocked: ctx.config.verify.unlockLocked,
    reserveK: cfg.reserveK,
    hook: lastHook ? { ok: true, detail: `oned's hook last reached the runner at ${new Date(lastHook).toISOString()}` } : undefined,
    maxClockSkewMs: cfg.maxClockSkewSeconds * 1000,
  });
  ctx.metrics.readiness = {
    hosts: result.hosts.map((h) => ({ hostId: h.hostId, hostName: h.hostName, score: h.score })),
    clusters: result.clusters,
  };
  return { ...result, reads: READINESS_READS, at: ctx.clock.now() };
}

/** GET /v1/readiness's answer (the plugin and the CLI import this type). */
export type ReadinessAnswer = Awaited<ReturnType<typeof readinessNow>>;

/** GET /v1/hosts/:id/readiness's answer: one host of the whole answer, with its cluster's reserve; undefined: no such host. */
export function hostReadinessOf(r: ReadinessAnswer, id: number) {
  const host = r.hosts.find((h) => h.hostId === id);
  if (!host) return undefined;
  const cluster = r.clusters.find((x) => x.clusterId === host.clusterId);
  return { ...host, ...(cluster ? { cluster } : {}), reads: r.reads, at: r.at };
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
const Meta = { reads: z.array(z.string()), at: z.number() };
const ReadinessList = z.object({ hosts: z.array(HostReadinessView), clusters: z.array(ClusterReserveView), ...Meta });
const OneHostReadiness = HostReadinessView.extend({ cluster: ClusterReserveView.optional(), ...Meta });

const HostParams = z.object({ id: z.string().regex(/^\d{1,9}$/, 'host id must be a whole number').transform(Number).describe('a host id (one.host.info)') });

export function readinessRoutes(ctx: RunnerContext) {
  const compute = async (c: Context<AuthEnv>) => {
    const as = readsAs(c.get('principal'));
    try {
      return await readinessNow(ctx, as ? ctx.one.as(as) : ctx.one);
    } catch (e) {
      return errorJson(c, 502, 'oned', `OpenNebula (oned) did not answer as expected: ${describeError(e)}`);
    }
  };
  return routesFor(ctx)
    .define({
      method: 'get', path: '/v1/readiness', operationId: 'listReadiness', tags: ['hosts'], auth: 'read', use: [compress()],
      summary: 'Readiness of every host: a score 0-100 and its parts (fencing, fence test, credentials, shared datastores, locked VMs, capacity, hook, clock), each with its fix; and the capacity reserve per cluster (N+1, K largest). Three reads: one.hostpool.info, one.vmpool.infoextended, one.datastorepool.info.',
      responses: { 200: { description: 'every host\'s readiness and the reserve per cluster', schema: ReadinessList }, 502: 'oned failed' },
    }, async (c) => {
      const r = await compute(c);
      if (r instanceof Response) return r;
      c.header('cache-control', 'no-store');
      return c.json(r);
    })
    .define({
      method: 'get', path: '/v1/hosts/:id/readiness', operationId: 'getHostReadiness', tags: ['hosts'], auth: 'read',
      params: HostParams, paramsCode: 'bad-host-id',
      summary: 'One host\'s readiness, as in GET /v1/readiness, with its cluster\'s reserve.',
      responses: { 200: { description: 'the host\'s readiness', schema: OneHostReadiness }, 404: 'no such host', 502: 'oned failed' },
    }, async (c) => {
      const { id } = c.req.valid('param');
      const r = await compute(c);
      if (r instanceof Response) return r;
      const host = hostReadinessOf(r, id);
      if (!host) return errorJson(c, 404, 'not-found', `no host ${id}`);
      return c.json(host);
    }).app;
}

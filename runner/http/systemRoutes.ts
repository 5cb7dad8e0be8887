// Health, status, metrics, the OpenAPI document, the disarm switch and the
// status-only fence test.
import { Hono, type Context } from 'hono';
import type { Host } from '../../model/one';
import * as z from 'zod';
import { describeError } from '../../model/errors';
import type { RunnerContext } from '../context';
import { recoverySummary } from '../recoveryView';
import { existsSync, readFileSync } from 'node:fs';
import { bearerOf, principalName, requireAdmin, requireRead, tokenMatches, type AuthEnv } from './auth';
import { auditFor } from './guards';
import { errorJson, jsonBody } from './openapi';

export const DisarmBody = z.object({
  hostId: z.number().int().nonnegative().optional().describe('omit to disarm every host'),
  minutes: z.number().positive().max(7 * 24 * 60).describe('HA re-arms itself after this long'),
  reason: z.string().max(200).default(''),
}).strict();
export const ArmBody = z.object({ hostId: z.number().int().nonnegative().optional() }).strict();

/** Everything from memory: oned's part is the last probe's answer with its age (runner/onedView.ts), never a call on this request. */
export function runnerStatus(ctx: RunnerContext) {
  const oned = ctx.onedProbe.view();
  const waiting = ctx.journal.list().filter((r) => r.status === 'held' || r.status === 'fence-failed');
  return {
    version: ctx.version,
    uptimeSeconds: Math.round((ctx.clock.now() - ctx.startedAt) / 1000),
    leader: ctx.manager.isLeader,
    oned: { endpoint: ctx.one.endpoint, ...oned },
    journal: ctx.journal.store.kind,
    flows: { running: ctx.manager.runningCount, queued: ctx.manager.queued, inProgress: ctx.manager.inProgress().map(recoverySummary) },
    waitingForOperator: waiting.map(recoverySummary),
    massFailureBrake: ctx.massBrake.tripped,
    disarmed: ctx.disarm.view(),
    demo: !!ctx.demo,
  };
}

/** The /metrics token from its file (first line), or undefined when /metrics is open. */
export function readMetricsToken(file: string | undefined): string | undefined {
  if (!file) return undefined;
  if (!existsSync(file)) throw new Error(`config key metrics.tokenFile: ${file} does not exist`);
  const t = readFileSync(file, 'utf8').split('\n')[0].trim();
  if (t.length < 16) throw new Error(`config key metrics.tokenFile: the token in ${file} is shorter than 16 characters`);
  return t;
}

/** GET /metrics: before the API's authentication, as a scraper has its own token (or none). */
export function metricsRoutes(ctx: RunnerContext) {
  ctx.api.add({ method: 'get', path: '/metrics', auth: 'none', summary: 'Prometheus text format. With config metrics.tokenFile set, needs Authorization: Bearer <that token>.', responses: { 200: 'OK', 401: 'metrics.tokenFile is set and the bearer token is missing or wrong' } });
  const metricsToken = readMetricsToken(ctx.config.metrics.tokenFile);
  return new Hono().get('/metrics', (c) => {
    if (metricsToken !== undefined && !tokenMatches(bearerOf(c) ?? '', metricsToken)) {
      return errorJson(c, 401, 'bad-token', 'GET /metrics needs the metrics token (config metrics.tokenFile) as Authorization: Bearer <token>.');
    }
    c.header('content-type', 'text/plain; version=0.0.4');
    return c.body(ctx.metrics.render({ running: ctx.manager.runningCount, queued: ctx.manager.queued, leader: ctx.manager.isLeader, massBrakeTripped: ctx.massBrake.tripped }));
  });
}

export function systemRoutes(ctx: RunnerContext) {
  const { api } = ctx;
  api.add({ method: 'get', path: '/healthz', auth: 'none', summary: 'Liveness: the runner answers.' });
  api.add({ method: 'get', path: '/v1/status', auth: 'read', summary: 'Runner health, leadership, oned reachability (the last probe\'s answer and its age: never waits on oned), flows in progress, recoveries waiting for an operator.' });
  const audit = auditFor(ctx);
  api.add({ method: 'get', path: '/v1/openapi.json', auth: 'none', summary: 'This document.' });
  api.add({ method: 'post', path: '/v1/disarm', auth: 'admin', body: DisarmBody, summary: 'Maintenance: no new recovery for a host (or all) until the expiry.' });
  api.add({ method: 'post', path: '/v1/arm', auth: 'admin', body: ArmBody, summary: 'End a disarm early.' });
  api.add({ method: 'post', path: '/v1/hosts/:id/fence-test', auth: 'admin', summary: 'Status-only fence test: reachability, power state, time taken. Never powers anything off.' });
  api.add({ method: 'post', path: '/v1/hosts/:id/power-on', auth: 'admin', summary: 'Power a fenced host back on through its first fence agent (an explicit operator action; oneha never does it by itself).' });

  /** The host named by :id as oned has it now, or the error response. */
  const hostOf = async (c: Context): Promise<Host | Response> => {
    const id = Number(c.req.param('id'));
    if (!Number.isInteger(id) || id < 0) return errorJson(c, 400, 'bad-host-id', 'host id must be a whole number');
    try {
      return await ctx.one.hostInfo(id);
    } catch (e) {
      return errorJson(c, 502, 'oned', describeError(e));
    }
  };

  return new Hono<AuthEnv>()
    .get('/healthz', (c) => c.json({ ok: true }))
    .get('/v1/status', requireRead, (c) => c.json(runnerStatus(ctx)))
    .get('/v1/openapi.json', (c) => c.json(api.document(ctx.version)))
    .post('/v1/disarm', requireAdmin, jsonBody(DisarmBody), (c) => {
      const b = c.get('body' as never) as z.output<typeof DisarmBody>;
      const until = ctx.clock.now() + b.minutes * 60_000;
      ctx.disarm.disarm(b.hostId, until, principalName(c.get('principal')), b.reason);
      audit.record(c, 'disarm', 'ok', { hostId: b.hostId ?? 'all', until: new Date(until).toISOString() });
      ctx.log.warn(`HA disarmed for ${b.hostId === undefined ? 'every host' : `host ${b.hostId}`} until ${new Date(until).toISOString()}`, { hostId: b.hostId });
      return c.json(ctx.disarm.view());
    })
    .post('/v1/arm', requireAdmin, jsonBody(ArmBody), async (c) => {
      const b = c.get('body' as never) as z.output<typeof ArmBody>;
      ctx.disarm.arm(b.hostId);
      ctx.massBrake.reset();
      audit.record(c, 'arm', 'ok', { hostId: b.hostId ?? 'all' });
      // What the disarm held goes on now.
      const released = await ctx.manager.releaseDisarmed(`oneha arm (${principalName(c.get('principal'))})`);
      for (const id of released) ctx.log.warn(`released ${id}: HA is armed again`, { recoveryId: id });
      return c.json({ ...ctx.disarm.view(), released });
    })
    .post('/v1/hosts/:id/fence-test', requireAdmin, async (c) => {
      const host = await hostOf(c);
      return host instanceof Response ? host : c.json(await ctx.runFenceTest(host));
    })
    .post('/v1/hosts/:id/power-on', requireAdmin, async (c) => {
      const host = await hostOf(c);
      if (host instanceof Response) return host;
      const id = host.id;
      let agent;
      try {
        agent = ctx.fenceMethods(host).find((m) => m.kind === 'agent');
      } catch (e) {
        return errorJson(c, 422, 'fence-settings', describeError(e));
      }
      if (!agent) return errorJson(c, 422, 'no-agent', `host ${host.name} has no fence agent: a fence command cannot power a host on`);
      const answer = await ctx.fence.power(agent, 'on', host);
      ctx.log.warn(`power-on of host ${id} requested by ${principalName(c.get('principal'))}: ${answer.ok ? 'done' : answer.error}`, { hostId: id });
      return c.json({ hostId: id, method: agent.agent, ...answer }, answer.ok ? 200 : 502);
    });
}

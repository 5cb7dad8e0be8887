// Health, status, metrics, the OpenAPI document and the disarm switch.
import * as z from 'zod';
import { describeError } from '../../model/errors';
import type { RunnerContext } from '../context';
import { recoverySummary } from '../recoveryView';
import { existsSync, readFileSync } from 'node:fs';
import { bearerOf, principalName, tokenMatches } from './auth';
import { routesFor } from './defineRoute';
import { errorJson } from './errorJson';
import { auditFor } from './guards';
import { ArmAnswer, DisarmView, Ok, OpenApiDocument, RunnerStatus, TextBody } from './views';

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
    demo: ctx.simulated,
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
  const metricsToken = readMetricsToken(ctx.config.metrics.tokenFile);
  return routesFor(ctx).define({
    method: 'get', path: '/metrics', operationId: 'getMetrics', tags: ['system'], auth: 'none',
    summary: 'Prometheus text format. With config metrics.tokenFile set, needs Authorization: Bearer <that token>.',
    responses: { 200: { description: 'the metrics', schema: TextBody, contentType: 'text/plain' }, 401: 'metrics.tokenFile is set and the bearer token is missing or wrong' },
  }, (c) => {
    if (metricsToken !== undefined && !tokenMatches(bearerOf(c) ?? '', metricsToken)) {
      return errorJson(c, 401, 'bad-token', 'GET /metrics needs the metrics token (config metrics.tokenFile) as Authorization: Bearer <token>.');
    }
    c.header('content-type', 'text/plain; version=0.0.4');
    return c.body(ctx.metrics.render({ running: ctx.manager.runningCount, queued: ctx.manager.queued, leader: ctx.manager.isLeader, massBrakeTripped: ctx.massBrake.tripped }));
  }).app;
}

export function systemRoutes(ctx: RunnerContext) {
  const audit = auditFor(ctx);
  return routesFor(ctx)
    .define({
      method: 'get', path: '/healthz', operationId: 'getHealth', tags: ['system'], auth: 'none',
      summary: 'Liveness: the runner answers.', responses: { 200: { description: 'alive', schema: Ok } },
    }, (c) => c.json({ ok: true as const }))
    .define({
      method: 'get', path: '/v1/status', operationId: 'getStatus', tags: ['system'], auth: 'read',
      summary: 'Runner health, leadership, oned reachability (the last probe\'s answer and its age: never waits on oned), flows in progress, recoveries waiting for an operator.',
      responses: { 200: { description: 'the status', schema: RunnerStatus } },
    }, (c) => c.json(runnerStatus(ctx)))
    .define({
      method: 'get', path: '/v1/openapi.json', operationId: 'getOpenApi', tags: ['system'], auth: 'none',
      summary: 'This document.', responses: { 200: { description: 'OpenAPI 3.1', schema: OpenApiDocument } },
    }, (c) => c.json(ctx.api.document(ctx.version, new URL(c.req.url).origin) as Record<string, unknown>))
    .define({
      method: 'post', path: '/v1/disarm', operationId: 'disarm', tags: ['system'], auth: 'admin', body: DisarmBody,
      summary: 'Maintenance: no new recovery for a host (or all) until the expiry.',
      responses: { 200: { description: 'what is disarmed now', schema: DisarmView } },
    }, (c) => {
      const b = c.req.valid('json');
      const until = ctx.clock.now() + b.minutes * 60_000;
      ctx.disarm.disarm(b.hostId, until, principalName(c.get('principal')), b.reason);
      audit.record(c, 'disarm', 'ok', { hostId: b.hostId ?? 'all', until: new Date(until).toISOString() });
      ctx.log.warn(`HA disarmed for ${b.hostId === undefined ? 'every host' : `host ${b.hostId}`} until ${new Date(until).toISOString()}`, { hostId: b.hostId });
      return c.json(ctx.disarm.view());
    })
    .define({
      method: 'post', path: '/v1/arm', operationId: 'arm', tags: ['system'], auth: 'admin', body: ArmBody,
      summary: 'End a disarm early.',
      responses: { 200: { description: 'what is still disarmed, and the recoveries released', schema: ArmAnswer } },
    }, async (c) => {
      const b = c.req.valid('json');
      ctx.disarm.arm(b.hostId);
      ctx.massBrake.reset();
      audit.record(c, 'arm', 'ok', { hostId: b.hostId ?? 'all' });
      // What the disarm held goes on now.
      const released = await ctx.manager.releaseDisarmed(`oneha arm (${principalName(c.get('principal'))})`);
      for (const id of released) ctx.log.warn(`released ${id}: HA is armed again`, { recoveryId: id });
      return c.json({ ...ctx.disarm.view(), released });
    })
    .app;
}

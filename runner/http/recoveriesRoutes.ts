// Reading recoveries, releasing held ones, replaying, and the live stream.
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import * as z from 'zod';
import { StepError } from '../../model/errors';
import type { RunnerContext } from '../context';
import { WAITING_STATUSES, type JournalEvent } from '../journal/events';
import { RecoveryStatusSchema, StepNameSchema } from '../journal/eventSchemas';
import { vmStateName } from '../../model/one';
import { describeError, OneError, OneErrorCode } from '../../model/errors';
import { recoveryDetail, recoverySummary } from '../recoveryView';
import { principalName, readsAs, seesFenceSettings, type AuthEnv } from './auth';
import { routesFor } from './defineRoute';
import { errorJson } from './errorJson';
import { KIND_STATUS } from './errorStatus';
import { hostPoolFor } from './hostPool';
import { RecoveryDetail, RecoveryList, RecoverySummary, ReplayAnswer, StepView, TextBody } from './views';

export const RecoveryQuery = z.object({
  host: z.coerce.number().int().optional(),
  status: z.optional(RecoveryStatusSchema),
  limit: z.coerce.number().int().min(1).max(5000).default(200),
});
const RecoveryParams = z.object({ id: z.string().describe('a recovery id') });
export const ReplayBody = z.object({ from: z.optional(StepNameSchema), dryRun: z.boolean().default(false) }).strict();

/**
 * A recovery waiting for an operator has not planned yet: the VMs that are
 * down with its host, as oned has them now, so the operator sees what waits.
 */
async function downVms(ctx: RunnerContext, hostId: number | undefined): Promise<Array<{ vmId: number; vmName: string; state: string }> | undefined> {
  if (hostId === undefined) return undefined;
  try {
    const ids = (await ctx.one.hostInfo(hostId)).vms;
    const vms = ids.length ? await ctx.one.vmPoolInfoSet(ids, false) : [];
    return vms.map((v) => ({ vmId: v.id, vmName: v.name, state: vmStateName(v.state, v.lcmState) }));
  } catch (e) {
    ctx.log.warn(`cannot list the VMs of host ${hostId}: ${describeError(e)}`, { hostId });
    return undefined;
  }
}

export const ConfirmDownBody = z.object({
  reason: z.string().trim().min(3, 'say why the host is known to be off (at least 3 characters)').max(500).describe('why the host is known to be off, e.g. "power cables pulled, checked on site"'),
}).strict();

export function recoveriesRoutes(ctx: RunnerContext) {
  const { journal, manager } = ctx;
  /** The hosts a user reading as themselves may see in oned (undefined: everything, for the token and administrators). */
  const hostsSeenBy = async (as: string) => new Set((await hostPoolFor(ctx).read(as)).map((h) => h.id));
  const visibleHosts = async (c: Context<AuthEnv>): Promise<Set<number> | undefined | Response> => {
    const as = readsAs(c.get('principal'));
    if (!as) return undefined;
    try {
      return await hostsSeenBy(as);
    } catch (e) {
      if (e instanceof OneError && e.code === OneErrorCode.AUTHENTICATION) return errorJson(c, 401, 'oned-session', 'OpenNebula no longer accepts your session: sign in again.');
      return errorJson(c, 502, 'oned', `OpenNebula (oned) did not list the hosts you may see: ${describeError(e)}`);
    }
  };

  /** An operator's action on a recovery; the manager's refusals answer through the one kind → status table. */
  const operatorAction = async (c: Context, act: () => Promise<Response>) => {
    try {
      return await act();
    } catch (e) {
      if (e instanceof StepError) return errorJson(c, KIND_STATUS[e.kind], e.code, e.message);
      throw e;
    }
  };
  const WAITING = { 404: 'no such recovery', 409: 'not fence-failed or held' };

  return routesFor(ctx)
    .define({
      method: 'get', path: '/v1/recoveries', operationId: 'listRecoveries', tags: ['recoveries'], auth: 'read', query: RecoveryQuery,
      summary: 'Recoveries, newest first; filter by host and status.',
      responses: { 200: { description: 'the recoveries', schema: RecoveryList } },
    }, async (c) => {
      const { host, status, limit } = c.req.valid('query');
      const visible = await visibleHosts(c);
      if (visible instanceof Response) return visible;
      const list = journal.list().filter((r) => (host === undefined || r.hostId === host) && (!status || r.status === status) && (!visible || (r.hostId !== undefined && visible.has(r.hostId))));
      return c.json({ total: list.length, recoveries: list.slice(0, limit).map(recoverySummary) });
    })
    .define({
      method: 'get', path: '/v1/recoveries/:id', operationId: 'getRecovery', tags: ['recoveries'], auth: 'read', params: RecoveryParams,
      summary: 'One recovery: step timeline, fencing evidence, each VM outcome, a reason for every VM not recovered.',
      responses: { 200: { description: 'the recovery', schema: RecoveryDetail }, 404: 'no such recovery' },
    }, async (c) => {
      const { id } = c.req.valid('param');
      const r = journal.get(id);
      const visible = await visibleHosts(c);
      if (visible instanceof Response) return visible;
      if (!r || (visible && (r.hostId === undefined || !visible.has(r.hostId)))) return errorJson(c, 404, 'not-found', `no recovery ${id}`);
      const detail = recoveryDetail(r);
      const full = WAITING_STATUSES.has(r.status) && !detail.plan ? { ...detail, downVms: await downVms(ctx, r.hostId) } : detail;
      // The payload and step inputs and outputs carry the host template (FENCE_IP) and the fence levels.
      return c.json(seesFenceSettings(c.get('principal'), ctx.config.plugin.fenceSettingsVisibleTo) ? full : {
        ...full, payload: undefined, fence: undefined,
        steps: full.steps.map((st) => ({ ...st, input: undefined, output: undefined })),
      });
    })
    .define({
      method: 'get', path: '/v1/recoveries/:id/steps/:step', operationId: 'getRecoveryStep', tags: ['recoveries'], auth: 'read',
      params: RecoveryParams.extend({ step: z.string().describe(`a step name: ${StepNameSchema.options.join(', ')}`) }),
      summary: 'One journaled step as it ran: the function, its exact input and its output, so it can be run again with `oneha invoke <fn>` (POST /v1/functions/:name). Administrators only (a step carries fence settings), unless plugin.fenceSettingsVisibleTo is all.',
      responses: { 200: { description: 'the step', schema: StepView }, 403: 'step inputs and outputs carry fence settings: administrators only', 404: 'no such recovery or step' },
    }, async (c) => {
      const { id, step: name } = c.req.valid('param');
      const found = journal.get(id);
      const visible = await visibleHosts(c);
      if (visible instanceof Response) return visible;
      const r = found && (!visible || (found.hostId !== undefined && visible.has(found.hostId))) ? found : undefined;
      const step = StepNameSchema.safeParse(name);
      const s = r && step.success ? [...r.steps].reverse().find((x) => x.name === step.data) : undefined;
      if (!r || !s) return errorJson(c, 404, 'not-found', r ? `recovery ${r.id} has no step "${name.slice(0, 32)}" (steps: ${r.steps.map((x) => x.name).join(', ') || 'none'})` : `no recovery ${id}`);
      // A step's input and output carry the host template (FENCE_IP) and the fence levels.
      if (!seesFenceSettings(c.get('principal'), ctx.config.plugin.fenceSettingsVisibleTo)) return errorJson(c, 403, 'forbidden', 'step inputs and outputs carry fence settings: administrators only.');
      return c.json({ recoveryId: r.id, step: s.name, fn: s.fn ?? s.name, status: s.status, input: s.input, output: s.output, error: s.error });
    })
    .define({
      method: 'post', path: '/v1/recoveries/:id/release', operationId: 'releaseRecovery', tags: ['recoveries'], auth: 'admin', params: RecoveryParams,
      summary: 'Let a held (mass-failure) or fence-failed recovery go on.',
      responses: { 200: { description: 'released', schema: RecoverySummary }, ...WAITING },
    }, (c) => operatorAction(c, async () => c.json(recoverySummary(await manager.release(c.req.valid('param').id, principalName(c.get('principal')))))))
    .define({
      method: 'post', path: '/v1/recoveries/:id/confirm-down', operationId: 'confirmHostDown', tags: ['recoveries'], auth: 'admin', params: RecoveryParams, body: ConfirmDownBody,
      summary: 'A dead BMC: confirm the host of a fence-failed or held recovery is off; journaled (who, why, when), then the recovery goes on with that as its fencing evidence.',
      responses: { 200: { description: 'confirmed and released', schema: RecoverySummary }, ...WAITING },
    }, (c) => operatorAction(c, async () => c.json(recoverySummary(await manager.confirmDown(c.req.valid('param').id, principalName(c.get('principal')), c.req.valid('json').reason)))))
    .define({
      method: 'post', path: '/v1/recoveries/:id/replay', operationId: 'replayRecovery', tags: ['recoveries'], auth: 'admin', params: RecoveryParams, body: ReplayBody,
      summary: 'Re-run a journaled recovery, optionally from a step, optionally as a dry run.',
      responses: {
        200: { description: 'dry run: the recovery it would be', schema: ReplayAnswer }, 202: { description: 'started (or joined an active one)', schema: ReplayAnswer },
        404: 'no such recovery', 409: 'no host, or the steps before `from` did not finish',
      },
    }, (c) => operatorAction(c, async () => {
      const r = await manager.replay(c.req.valid('param').id, principalName(c.get('principal')), c.req.valid('json'));
      return c.json(r, r.status === 'dry-run' ? 200 : 202);
    }))
    .define({
      method: 'get', path: '/v1/events', operationId: 'streamEvents', tags: ['recoveries'], auth: 'read',
      query: z.object({ lastEventId: z.string().optional().describe('as the Last-Event-ID header, for clients that cannot set it') }),
      summary: 'Server-sent events: every journal event with the recovery summary. Each has an id; reconnect with Last-Event-ID (or ?lastEventId=) to get what was missed, or a "reset" event when it is no longer kept.',
      responses: { 200: { description: 'the event stream', schema: TextBody, contentType: 'text/event-stream' } },
    }, (c) =>
      streamSSE(c, async (stream) => {
        // SSE ids are "<epoch>.<seq>": a client that reconnects with Last-Event-ID gets what it missed;
        // if that is no longer kept (or the runner restarted) it gets "reset" and reloads.
        const { bus } = ctx;
        // A non-administrator gets only the recoveries of hosts oned lets them see, as in GET /v1/recoveries.
        const as = readsAs(c.get('principal'));
        const queue: Array<{ id: string; data: string; hostId: number | undefined }> = [];
        let wake: (() => void) | undefined;
        const message = (e: JournalEvent, seq: number) => {
          const r = journal.get(e.id);
          const event = e.type === 'vm' ? { ...e } : e.type === 'received' ? { ...e, payload: undefined } : { type: e.type, id: e.id, at: e.at, step: 'step' in e ? e.step : undefined, status: 'status' in e ? e.status : undefined };
          return { id: `${bus.epoch}.${seq}`, data: JSON.stringify({ event, recovery: r ? recoverySummary(r) : undefined }), hostId: r?.hostId };
        };
        const last = (c.req.header('last-event-id') ?? c.req.query('lastEventId') ?? '').match(/^([0-9a-f]+)\.(\d+)$/);
        // Backlog and subscription in the same turn: no event can fall between them.
        const missed = last ? (last[1] === bus.epoch ? bus.since(Number(last[2])) : undefined) : [];
        for (const m of missed ?? []) queue.push(message(m.event, m.seq));
        const off = bus.subscribe((e, seq) => {
          queue.push(message(e, seq));
          wake?.();
        });
        stream.onAbort(() => { off(); wake?.(); });
        // The runner stopping ends the stream: the console sees it and reconnects (to the next runner).
        const onStop = () => wake?.();
        ctx.stopping.addEventListener('abort', onStop);
        await stream.writeSSE({ event: 'hello', data: JSON.stringify({ at: ctx.clock.now() }) });
        if (!missed) await stream.writeSSE({ event: 'reset', data: JSON.stringify({ reason: 'events since Last-Event-ID are no longer kept: reload' }) });
        while (!stream.aborted && !ctx.stopping.aborted) {
          if (!queue.length) {
            await new Promise<void>((res) => {
              wake = res;
              setTimeout(res, 15_000); // heartbeat
            });
            wake = undefined;
            if (!queue.length && !stream.aborted && !ctx.stopping.aborted) await stream.writeSSE({ event: 'ping', data: '{}' });
            continue;
          }
          const m = queue.shift()!;
          if (as) {
            let seen: Set<number>;
            try {
              seen = await hostsSeenBy(as);
            } catch (e) {
              // oned refused the user's session (or is down): send nothing rather than guess; the console reconnects.
              await stream.writeSSE({ event: 'error', data: JSON.stringify({ reason: `OpenNebula (oned) did not list the hosts you may see: ${describeError(e)}` }) });
              break;
            }
            if (m.hostId === undefined || !seen.has(m.hostId)) continue;
          }
          await stream.writeSSE({ event: 'journal', id: m.id, data: m.data });
        }
        off();
        ctx.stopping.removeEventListener('abort', onStop);
      }),
    )
    .app;
}

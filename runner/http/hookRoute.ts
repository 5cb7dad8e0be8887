// POST /v1/hooks/host-error: what the hook manager wrote to the hook's stdin,
// journaled before anything else, answered 202 with the recovery id.
// POST /v1/hooks/probe: the probe hook's $API (runner/hookProbe.ts), noted
// and nothing else: a test event is never journaled and starts nothing.
import type { Context } from 'hono';
import { bodyLimit } from './bodyLimit';
import * as z from 'zod';
import type { RunnerContext } from '../context';
import { probeFor } from '../hookProbe';
import { JournalWriteError } from '../journal/errors';
import { routesFor } from './defineRoute';
import { errorJson } from './errorJson';

export const HookJsonBody = z.union([
  z.object({ payload: z.string().describe('exactly the hook stdin: "<base64 host XML> <flags>"') }).strict(),
  z.object({ template: z.string().describe('base64 host XML'), arguments: z.string().default('').describe('host_error.rb flags, e.g. "-m -p 5"') }).strict(),
]);

export const HookAccepted = z.object({
  recoveryId: z.string(),
  status: z.enum(['accepted', 'joined', 'duplicate']),
  link: z.string(),
});

export const ProbeAnswer = z.union([
  z.object({ probe: z.literal('matched'), sentAt: z.number().describe('when the runner sent it (ms since the epoch)'), returnedAt: z.number() }),
  z.object({ probe: z.literal('ignored'), reason: z.string() }),
]);

export function hookRoutes(ctx: RunnerContext) {
  const probe = probeFor(ctx, ctx.clock);
  return routesFor(ctx).define({
    method: 'post', path: '/v1/hooks/probe', operationId: 'hookProbe', tags: ['hook'], auth: 'hook-token',
    summary: 'The probe hook\'s test event: the base64 CALL_INFO of a one.hook.update ($API), as oneha/onehook.sh posts it. Recognised by its nonce and noted for the readiness hook part; never journaled, never acted on.',
    body: z.string(), bodyType: 'text/plain',
    responses: {
      200: { description: 'the probe this runner sent (matched), or another one.hook.update that ran the probe hook (ignored)', schema: ProbeAnswer },
      400: 'not an API hook\'s $API', 413: 'body too large',
    },
    use: [bodyLimit({ maxSize: 64 * 1024, onError: (c) => errorJson(c, 413, 'too-large', 'a probe is a few hundred bytes; this body is larger than 64 KiB') })],
  }, async (c) => {
    let r;
    try {
      r = probe.receive(await c.req.text());
    } catch (e) {
      return errorJson(c, 400, 'bad-probe', e instanceof Error ? e.message : String(e));
    }
    return c.json(r.matched ? { probe: 'matched' as const, sentAt: r.sentAt, returnedAt: r.returnedAt } : { probe: 'ignored' as const, reason: r.reason });
  }).define({
    method: 'post', path: '/v1/hooks/host-error', operationId: 'hostErrorHook', tags: ['hook'], auth: 'hook-token',
    summary: 'Host ERROR hook event. Body: the hook stdin as text/plain, or JSON {payload} / {template, arguments}. ?force=1 bypasses the replay window.',
    // Read by the handler itself: the raw payload is journaled before anything judges it.
    body: z.string(), bodyType: 'text/plain',
    // Never refused (a refusal here would lose the payload): any value is accepted, "1" or "true" forces.
    query: z.object({ force: z.union([z.string(), z.array(z.string())]).optional().describe('1 or true: bypass the replay window') }),
    responses: {
      202: { description: 'accepted, joined an active recovery, or a duplicate of a recent one', schema: HookAccepted },
      400: 'malformed payload (kept as rejected; the answer carries its recoveryId)', 413: 'body too large',
      503: 'shutting down or the journal cannot be written: nothing was accepted, retry (Retry-After)', 507: 'the journal\'s disk is full: nothing was accepted, retry once space is freed',
    },
    // Stopping: the hook script retries a 503, and the next runner takes it.
    before: [async (c, next) => {
      if (ctx.stopping.aborted) {
        c.header('Retry-After', '2');
        return errorJson(c, 503, 'stopping', 'the runner is shutting down; retry in a moment');
      }
      await next();
    }],
    use: [bodyLimit({
      maxSize: ctx.config.limits.bodyBytes,
      onError: (c) => errorJson(c, 413, 'too-large', `the payload is larger than ${ctx.config.limits.bodyBytes} bytes`),
    })],
  }, async (c) => {
    try {
      return await accept(c);
    } catch (e) {
      if (!(e instanceof JournalWriteError)) throw e;
      // Nothing of this request was acknowledged: the journal cut its write off again.
      c.header('Retry-After', '10');
      return e.full ? errorJson(c, 507, 'journal-full', e.message) : errorJson(c, 503, 'journal-unwritable', e.message);
    }
  }).app;

  /** Journal first (durable), then decode and start or join: the 202 means it is on disk. */
  async function accept(c: Context) {
    const raw = await c.req.text();
    let payload = raw;
    if ((c.req.header('content-type') ?? '').includes('application/json')) {
      let parsed: z.infer<typeof HookJsonBody> | undefined;
      try {
        const r = HookJsonBody.safeParse(JSON.parse(raw));
        if (r.success) parsed = r.data;
      } catch { /* reported below */ }
      if (!parsed) {
        const recoveryId = await ctx.manager.recordRejected(raw, 'the JSON body must be {"payload": "..."} or {"template": "...", "arguments": "..."}.');
        return c.json({ error: { code: 'bad-json', message: 'the JSON body must be {"payload": "..."} or {"template": "...", "arguments": "..."}.' }, recoveryId }, 400);
      }
      payload = 'payload' in parsed ? parsed.payload : `${parsed.template} ${parsed.arguments}`;
    }
    const force = c.req.query('force') === '1' || c.req.query('force') === 'true';
    const r = await ctx.manager.submit(payload, 'hook', force);
    if (r.status === 'rejected') return c.json({ error: { code: r.code, message: r.message }, recoveryId: r.recoveryId }, 400);
    return c.json({ recoveryId: r.recoveryId, status: r.status, link: `/v1/recoveries/${r.recoveryId}` }, 202);
  }
}

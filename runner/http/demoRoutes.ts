// Demo controls, present only when the runner drives the embedded simulated
// cloud: fail or restore a simulated host to watch a recovery end to end.
import { Hono } from 'hono';
import type { RunnerContext } from '../context';
import { requireAdmin, requireRead, type AuthEnv } from './auth';
import { errorJson } from './openapi';

export function demoRoutes(ctx: RunnerContext) {
  const demo = ctx.demo;
  ctx.api.add({ method: 'get', path: '/v1/demo', auth: 'read', summary: 'Whether the runner drives the simulated cloud.' });
  ctx.api.add({ method: 'post', path: '/v1/demo/hosts/:id/fail', auth: 'admin', summary: 'Simulated cloud only: the host stops answering and goes to ERROR.' });
  ctx.api.add({ method: 'post', path: '/v1/demo/hosts/:id/restore', auth: 'admin', summary: 'Simulated cloud only: the host answers again.' });
  const control = async (id: string, action: 'fail' | 'restore') => {
    const res = await fetch(`${demo!.controlUrl}/hosts/${encodeURIComponent(id)}/${action}`, { method: 'POST' });
    return { status: res.status, body: await res.text() };
  };
  return new Hono<AuthEnv>()
    .get('/v1/demo', requireRead, (c) => c.json({ enabled: !!demo, simUrl: demo?.simUrl }))
    .post('/v1/demo/hosts/:id/:action{fail|restore}', requireAdmin, async (c) => {
      if (!demo) return errorJson(c, 404, 'no-demo', 'the runner is not on the simulated cloud');
      const r = await control(c.req.param('id'), c.req.param('action') as 'fail' | 'restore');
      if (r.status >= 300) return errorJson(c, 502, 'sim', `simulator answered ${r.status}: ${r.body.slice(0, 200)}`);
      if (c.req.param('action') === 'restore') demo.onRestore?.(Number(c.req.param('id')));
      ctx.log.warn(`demo: host ${c.req.param('id')} ${c.req.param('action') === 'fail' ? 'failed' : 'restored'} on request`, { hostId: Number(c.req.param('id')) });
      return c.json({ ok: true });
    });
}

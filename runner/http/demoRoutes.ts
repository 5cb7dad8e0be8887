// Demo controls, present only when the runner drives the embedded simulated
// cloud: fail or restore a simulated host to watch a recovery end to end.
import * as z from 'zod';
import type { RunnerContext } from '../context';
import { routesFor } from './defineRoute';
import { errorJson } from './errorJson';
import { DemoView, Ok } from './views';
import { HOST_STATE_NAMES, HostState } from '../../model/states';
import { describeError } from '../../model/errors';

/** What the demo tells its routes: where the simulated cloud's controls are. */
export interface DemoControls {
  simUrl: string;
  controlUrl: string;
  /** A restored host is powered on again, as an operator would after repairing it. */
  onRestore?(hostId: number): void;
}

/** Mounted by the demo from outside (demo/demo.ts); `oneha serve` has no demo routes. */
export function demoRoutes(ctx: RunnerContext, demo: DemoControls | undefined) {
  const control = async (id: string, action: 'fail' | 'restore') => {
    const res = await fetch(`${demo!.controlUrl}/hosts/${encodeURIComponent(id)}/${action}`, { method: 'POST' });
    return { status: res.status, body: await res.text() };
  };
  return routesFor(ctx)
    .define({
      method: 'get', path: '/v1/demo', operationId: 'getDemo', tags: ['console'], auth: 'read',
      summary: 'Whether the runner drives the simulated cloud.', responses: { 200: { description: 'the demo', schema: DemoView } },
    }, (c) => c.json({ enabled: !!demo, simUrl: demo?.simUrl }))
    .define({
      method: 'post', path: '/v1/demo/hosts/:id/:action{fail|restore}', operationId: 'demoHostAction', tags: ['console'], auth: 'admin',
      params: z.object({ id: z.string(), action: z.enum(['fail', 'restore']).describe('fail: the host stops answering and goes to ERROR; restore: it answers again and, if it was left disabled or offline, is enabled (onehost enable)') }),
      summary: 'Simulated cloud only: fail or restore a host.',
      responses: { 200: { description: 'done', schema: Ok }, 404: 'not the simulated cloud, or no such host', 409: 'fail: the host is disabled or offline (oned does not monitor it)', 502: 'the simulator refused' },
    }, async (c) => {
      if (!demo) return errorJson(c, 404, 'no-demo', 'the runner is not on the simulated cloud');
      const id = Number(c.req.valid('param').id);
      const action = c.req.valid('param').action;
      let host;
      try {
        host = await ctx.one.hostInfo(id);
      } catch (e) {
        return errorJson(c, 404, 'not-found', `no host ${c.req.param('id')}: ${describeError(e)}`);
      }
      // As in OpenNebula: oned does not monitor a disabled or offline host, so it cannot go to ERROR.
      if (action === 'fail' && (host.state === HostState.DISABLED || host.state === HostState.OFFLINE)) {
        return errorJson(c, 409, 'not-monitored', `host ${host.name} is ${HOST_STATE_NAMES[host.state]}: oned does not monitor it, so it cannot fail. Restore it first (it is enabled again).`);
      }
      const r = await control(String(id), action);
      if (r.status >= 300) return errorJson(c, 502, 'sim', `simulator answered ${r.status}: ${r.body.slice(0, 200)}`);
      if (action === 'restore') {
        demo.onRestore?.(id);
        // After a recovery the host is left DISABLED: restoring it is the repair, then `onehost enable`.
        if (host.state === HostState.DISABLED || host.state === HostState.OFFLINE) await ctx.one.hostStatus(id, 0);
      }
      ctx.log.warn(`demo: host ${id} ${action === 'fail' ? 'failed' : 'restored'} on request`, { hostId: id });
      return c.json({ ok: true as const });
    })
    .app;
}

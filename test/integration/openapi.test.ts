// The served OpenAPI document: complete (an operationId per operation, a
// schema per answer, servers), clean under Redocly's recommended rules, and
// true: real answers of the runner validate against the schemas it declares.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from '../../model/zod';
import type { RouteSpec } from '../../runner/http/defineRoute';
import { demoRoutes } from '../../runner/http/demoRoutes';
import { ErrorBody } from '../../runner/http/errorJson';
import { declaredResponses } from '../../runner/http/openapi';
import { hookPayload } from '../helpers/samples';
import { startHarness, type Harness } from '../plugin/harness';

const run = promisify(execFile);
const REDOCLY = join(process.cwd(), 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
/** Statuses that carry no body. */
const NO_BODY = new Set(['204', '304']);

type Operation = { operationId?: string; responses: Record<string, { content?: Record<string, { schema?: unknown }> }> };

let t: Harness;
let doc: { servers?: Array<{ url: string }>; paths: Record<string, Record<string, Operation>> };
beforeAll(async () => {
  t = await startHarness();
  // The demo's routes join the document when the demo mounts them (npm start): documented and linted too.
  demoRoutes(t.runner.ctx, undefined);
  doc = (await t.req('GET', '/v1/openapi.json')).json;
});
afterAll(() => t?.close());

describe('the OpenAPI document', () => {
  it('has servers, and every operation an operationId (unique) and a schema for every answer with a body', () => {
    expect(doc.servers?.[0]?.url).toMatch(/^https?:\/\//);
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    expect(ops.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(doc.paths)).toContain('/v1/demo/hosts/{id}/{action}');
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const missing = ops.flatMap(({ path, method, op }) => Object.entries(op.responses)
      .filter(([code, r]) => !NO_BODY.has(code) && !Object.values(r.content ?? {}).some((c) => c.schema))
      .map(([code]) => `${method.toUpperCase()} ${path} ${code}`));
    expect(missing).toEqual([]);
  });

  it('passes `redocly lint` with the recommended rules (no error)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oneha-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc));
      const out = await run(process.execPath, [REDOCLY, 'lint', '--extends=recommended', '--format=json', file], {
        cwd: dir, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' }, maxBuffer: 16 << 20,
      }).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '' }));
      const report = JSON.parse(out.stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; severity: string; message: string; location?: Array<{ pointer?: string }> }> };
      const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId} ${p.location?.[0]?.pointer ?? ''}: ${p.message}`);
      expect(errors).toEqual([]);
      expect(report.totals.errors).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('real answers match the schemas the document declares', () => {
  /** The spec the runner registered for this request (Hono path syntax matched as a pattern). */
  const specFor = (method: string, path: string): RouteSpec => {
    const routes = t.runner.ctx.api.routes;
    const found = routes.find((r) => r.method === method.toLowerCase()
      && new RegExp(`^${r.path.replace(/:(\w+)\{([^}]*)\}/g, '($2)').replace(/:(\w+)/g, '[^/]+')}$`).test(path.split('?')[0]));
    if (!found) throw new Error(`no spec for ${method} ${path}`);
    return found;
  };
  const check = async (method: string, path: string, opts: Parameters<Harness['req']>[2] = {}) => {
    const r = await t.req(method, path, { bearer: true, ...opts });
    const declared = declaredResponses(specFor(method, path))[r.status];
    expect(declared, `${method} ${path} answered ${r.status}, which it does not declare`).toBeDefined();
    const schema: z.core.$ZodType | undefined = typeof declared === 'object' && declared.schema ? declared.schema : r.status >= 400 ? ErrorBody : undefined;
    if (schema && (r.headers.get('content-type') ?? '').includes('json')) {
      const parsed = z.safeParse(schema, r.json);
      expect(parsed.success, `${method} ${path} ${r.status}: ${parsed.error?.message}`).toBe(true);
      // zod drops keys a schema does not name (the document says additionalProperties: false): none may be dropped.
      expect(parsed.data, `${method} ${path} ${r.status} sends fields its schema does not name`).toEqual(r.json);
    }
    return r;
  };

  it('system, hosts, fence agents and functions', async () => {
    await check('GET', '/healthz');
    await check('GET', '/v1/status');
    await check('GET', '/v1/hosts');
    await check('GET', '/v1/hosts/1');
    await check('GET', '/v1/hosts/99');
    await check('GET', '/v1/fence/agents');
    await check('GET', '/v1/fence/agents/fence_ipmilan');
    await check('GET', '/v1/functions');
    await check('POST', '/v1/functions/decode', { body: { input: { payload: 'x' } } });
    await check('POST', '/v1/hosts/1/settings/check', { body: { mode: 'migrate' } });
    expect((await check('PUT', '/v1/hosts/1/settings', { body: { pause: 3 } })).status).toBe(200);
    expect((await check('PUT', '/v1/hosts/1/credentials', { body: { password: 'pw-0123' } })).status).toBe(200);
    expect((await check('DELETE', '/v1/hosts/1/credentials')).status).toBe(200);
    expect((await check('POST', '/v1/hosts/1/fence-test')).status).toBe(200);
    expect((await check('POST', '/v1/disarm', { body: { minutes: 5 } })).status).toBe(200);
    expect((await check('POST', '/v1/arm', { body: {} })).status).toBe(200);
  });

  it('recoveries, the session and refusals', async () => {
    expect((await check('POST', '/v1/hooks/host-error', { body: 'not base64', headers: { 'content-type': 'text/plain' } })).status).toBe(400);
    const list = await check('GET', '/v1/recoveries');
    const id = list.json.recoveries[0].id as string;
    await check('GET', `/v1/recoveries/${id}`);
    await check('GET', `/v1/recoveries/${id}/steps/decode`);
    expect((await check('POST', `/v1/recoveries/${id}/release`)).status).toBe(409);
    expect((await check('POST', `/v1/recoveries/${id}/replay`, { body: { dryRun: true } })).status).toBe(409);
    expect((await check('GET', '/v1/recoveries/nope')).status).toBe(404);
    expect((await check('GET', '/v1/recoveries?limit=0')).status).toBe(400);
    expect((await check('GET', '/v1/hosts/1x')).json.error.code).toBe('bad-host-id');
    expect((await check('PUT', '/v1/hosts/1/settings', { body: '{"pause":' })).json.error.code).toBe('bad-json');
    // A JSON body is read whatever its Content-Type (curl -d, fetch with a string body): never silently taken as {}.
    expect((await check('PUT', '/v1/hosts/1/settings', { body: '{"pause": 4}', headers: { 'content-type': 'text/plain;charset=UTF-8' } })).json.pause).toEqual({ value: 4, source: 'host' });
    expect((await check('POST', '/v1/disarm', { body: '{"minutes": "5"}', headers: { 'content-type': 'text/plain' } })).json.error.details[0].path).toEqual(['minutes']);
    expect((await check('POST', '/v1/arm')).status).toBe(200); // no body at all: {}
    expect((await check('POST', '/v1/session', { bearer: false, body: { username: 'oneadmin', password: 'oneadmin' } })).status).toBe(200);
    expect((await check('GET', '/v1/status', { bearer: false })).status).toBe(401);
  });

  it('a recovery that ran: its detail, steps, status and a dry-run replay', async () => {
    const posted = await check('POST', '/v1/hooks/host-error', { body: hookPayload('-m -p 0', t.sim.cloud.hostXml(2)), headers: { 'content-type': 'text/plain' } });
    expect(posted.status).toBe(202);
    const id = posted.json.recoveryId as string;
    // A deadline, not a speed: the flow runs decode, wait and fence (which fails here: no BMC) and stops for an operator.
    const deadline = Date.now() + 60_000;
    let detail = await check('GET', `/v1/recoveries/${id}`);
    while (['received', 'running'].includes(detail.json.status) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      detail = await check('GET', `/v1/recoveries/${id}`);
    }
    expect(detail.json.status).toBe('fence-failed');
    expect(detail.json.fence).toBeDefined();
    expect(detail.json.downVms).toBeDefined();
    await check('GET', `/v1/recoveries/${id}/steps/decode`);
    await check('GET', '/v1/status');
    await check('GET', `/v1/recoveries?host=2`);
    expect((await check('POST', `/v1/recoveries/${id}/replay`, { body: { dryRun: true } })).status).toBe(200);
  }, 90_000);
});

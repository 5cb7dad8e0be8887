// The OpenAPI document is generated from the same zod schemas that validate
// requests: each route registers its schemas here as it is declared.
import type { Context, MiddlewareHandler } from 'hono';
import * as z from 'zod';
import { describeIssues } from '../../model/issues';

export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  auth: 'none' | 'hook-token' | 'read' | 'admin';
  body?: z.ZodType;
  bodyType?: 'application/json' | 'text/plain';
  query?: z.ZodObject;
  response?: z.ZodType;
  responses?: Record<number, string>;
}

export class ApiDoc {
  readonly routes: RouteDoc[] = [];
  add(doc: RouteDoc): RouteDoc {
    this.routes.push(doc);
    return doc;
  }

  document(version: string): unknown {
    const paths: Record<string, Record<string, unknown>> = {};
    const schema = (s: z.ZodType) => z.toJSONSchema(s, { unrepresentable: 'any', io: 'input' });
    for (const r of this.routes) {
      const path = r.path.replace(/:(\w+)/g, '{$1}');
      const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
      const query = r.query
        ? Object.entries(r.query.shape).map(([name, s]) => ({ name, in: 'query', required: false, schema: schema(s as z.ZodType) }))
        : [];
      const responses: Record<string, unknown> = {};
      for (const [code, text] of Object.entries(r.responses ?? { 200: 'OK' })) responses[code] = { description: text };
      if (r.response) {
        const ok = Object.keys(responses).find((c) => c.startsWith('2')) ?? '200';
        responses[ok] = { description: (responses[ok] as { description: string })?.description ?? 'OK', content: { 'application/json': { schema: schema(r.response) } } };
      }
      (paths[path] ??= {})[r.method] = {
        summary: r.summary,
        security: r.auth === 'none' ? [] : r.auth === 'hook-token' ? [{ bearer: [] }] : [{ bearer: [] }, { session: [] }],
        parameters: [...params, ...query],
        ...(r.body ? { requestBody: { required: true, content: { [r.bodyType ?? 'application/json']: { schema: schema(r.body) } } } } : {}),
        responses,
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: 'oneha runner API', version, description: 'High availability for OpenNebula VMs: hook endpoint, recoveries, per-function invocation.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'The hook token (ONEHA_TOKEN_FILE)' },
          session: { type: 'apiKey', in: 'cookie', name: 'oneha_session', description: 'Admin-console session (OpenNebula sign-in)' },
        },
      },
      paths,
    };
  }
}

/** A JSON error body the same shape everywhere. */
export function errorJson(c: Context, status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503 | 507, code: string, message: string, details?: unknown) {
  return c.json({ error: { code, message, ...(details === undefined ? {} : { details }) } }, status);
}

/** Validates a JSON body with a schema; the parsed value is in c.get('body'). */
export function jsonBody<S extends z.ZodType>(schema: S): MiddlewareHandler<{ Variables: { body: z.output<S> } }> {
  return async (c, next) => {
    let raw: unknown;
    try {
      const text = await c.req.text();
      raw = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      return errorJson(c, 400, 'bad-json', 'the request body is not valid JSON');
    }
    const r = schema.safeParse(raw);
    if (!r.success) return errorJson(c, 400, 'invalid-body', describeIssues(r.error.issues, 'the request body'), r.error.issues.map((i) => ({ path: i.path, message: i.message })));
    c.set('body', r.data);
    await next();
  };
}

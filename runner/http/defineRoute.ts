// One object per operation: the route Hono serves and its OpenAPI entry are
// both made from it, so a path, its guard, its request schemas and its
// answers are written once. Handlers read their input through
// c.req.valid('param' | 'query' | 'json'), typed from the same zod schemas.
import { zValidator } from '@hono/zod-validator';
import { Hono, type Env, type Handler, type MiddlewareHandler } from 'hono';
import * as z from '../../model/zod';
import { describeIssues } from '../../model/issues';
import type { ApiDoc, Tag } from './openapi';
import { requireAdmin, requireHookToken, requireRead, type AuthEnv } from './auth';
import { errorJson } from './errorJson';

/** Who may call: nobody in particular, the hook token, any signed-in caller, or an administrator (the token, or admin + CSRF). */
export type Auth = 'none' | 'hook-token' | 'read' | 'admin';

export interface ResponseSpec {
  description: string;
  /** The body's schema; an error status without one answers ErrorBody. */
  schema?: z.core.$ZodType;
  /** application/json unless said. */
  contentType?: string;
}

export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Hono's syntax (`/v1/hosts/:id`); the document gets `/v1/hosts/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: [Tag];
  auth: Auth;
  params?: z.core.$ZodObject;
  /** The error code a malformed path parameter answers (400). */
  paramsCode?: string;
  query?: z.core.$ZodObject;
  body?: z.core.$ZodType;
  /** A body the handler reads itself (the hook's text/plain stdin): documented, not validated here. */
  bodyType?: 'application/json' | 'text/plain';
  responses: Record<number, ResponseSpec | string>;
  /** Middleware before the guard (e.g. "shutting down: 503"). */
  before?: MiddlewareHandler[];
  /** Middleware after the guard, before validation (compression, a body limit). */
  use?: MiddlewareHandler[];
}

type Part<K extends string, S> = S extends z.core.$ZodType ? { in: { [k in K]: z.input<S> }; out: { [k in K]: z.output<S> } } : { in: {}; out: {} };
/** Hono's Input for a spec: what c.req.valid answers for each target. */
export type InputOf<S extends RouteSpec> = {
  in: Part<'param', S['params']>['in'] & Part<'query', S['query']>['in'] & Part<'json', S['body']>['in'];
  out: Part<'param', S['params']>['out'] & Part<'query', S['query']>['out'] & Part<'json', S['body']>['out'];
};

/**
 * The JSON body as a Hono validator. Unlike hono/validator's 'json' target it
 * does not depend on Content-Type (clients and scripts post JSON as
 * text/plain, and a body must never be silently read as {}); an empty body is
 * {}. Malformed JSON and schema problems are answered in the API's error
 * shape, each problem naming its field.
 */
export function jsonBody<S extends z.core.$ZodType>(schema: S): MiddlewareHandler<Env, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }> {
  return async (c, next) => {
    let raw: unknown;
    try {
      const text = await c.req.text();
      raw = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      return errorJson(c, 400, 'bad-json', 'the request body is not valid JSON');
    }
    const r = z.safeParse(schema, raw);
    if (!r.success) return errorJson(c, 400, 'invalid-body', describeIssues(r.error.issues, 'the request body'), r.error.issues.map((i) => ({ path: i.path, message: i.message })));
    c.req.addValidatedData('json', r.data as {});
    await next();
  };
}

/** Path parameters and the query through @hono/zod-validator, answered in the API's error shape. */
function validated(target: 'param' | 'query', schema: z.core.$ZodObject, code: string): MiddlewareHandler {
  return zValidator(target, schema, (result, c) => {
    if (!result.success) return errorJson(c, 400, code, describeIssues(result.error.issues, target === 'query' ? 'the query' : 'the path'));
  }) as unknown as MiddlewareHandler;
}

/**
 * A group of routes: `define(spec, handler)` adds the route to `app`, behind
 * the guard its `auth` names, and its entry to the OpenAPI document.
 */
export class Routes<E extends Env = AuthEnv> {
  readonly app = new Hono<E>();
  private readonly guards: Record<Exclude<Auth, 'none'>, MiddlewareHandler>;

  constructor(private readonly api: ApiDoc, hookToken: () => string) {
    this.guards = { read: requireRead, admin: requireAdmin, 'hook-token': requireHookToken(hookToken) } as Record<Exclude<Auth, 'none'>, MiddlewareHandler>;
  }

  define<const S extends RouteSpec>(spec: S, handler: Handler<E, string, InputOf<S>>): this {
    const guard = spec.auth === 'none' ? undefined : this.guards[spec.auth];
    const chain: MiddlewareHandler[] = [
      ...(spec.before ?? []),
      ...(guard ? [guard] : []),
      ...(spec.use ?? []),
      ...(spec.params ? [validated('param', spec.params, spec.paramsCode ?? 'bad-path')] : []),
      ...(spec.query ? [validated('query', spec.query, 'invalid-query')] : []),
      ...(spec.body && spec.bodyType !== 'text/plain' ? [jsonBody(spec.body) as MiddlewareHandler] : []),
    ];
    (this.app.on as (method: string, path: string, ...h: MiddlewareHandler[]) => unknown)(spec.method.toUpperCase(), spec.path, ...chain, handler as unknown as MiddlewareHandler);
    this.api.add(spec);
    return this;
  }
}

/** The routes of one group, guarded with the runner's token and sessions. */
export const routesFor = (ctx: { api: ApiDoc; token: () => string }) => new Routes<AuthEnv>(ctx.api, ctx.token);

// The OpenAPI document, generated from the route specs (defineRoute.ts): the
// same zod schemas that validate requests and describe answers. The refusals
// every guard and validator can give are derived here, not restated per route.
import * as z from 'zod';
import type { RouteSpec, ResponseSpec } from './defineRoute';
import { ErrorBody } from './errorJson';

const TAGS = [
  { name: 'hook', description: 'The OpenNebula host-error hook (onehook) hands failures to the runner.' },
  { name: 'recoveries', description: 'Recoveries: their timeline, per-VM outcomes, release, confirm-down, replay and the live stream.' },
  { name: 'hosts', description: 'Per-host HA settings, fence credentials, fence tests and power-on.' },
  { name: 'fence', description: 'Fence agents installed on this front-end.' },
  { name: 'functions', description: 'The recovery functions, one by one.' },
  { name: 'system', description: 'Health, status, metrics, maintenance (disarm/arm) and this document.' },
  { name: 'session', description: 'Admin-console sign-in.' },
  { name: 'console', description: 'The admin console and the demo controls.' },
];
export type Tag = 'hook' | 'recoveries' | 'hosts' | 'fence' | 'functions' | 'system' | 'session' | 'console';

const jsonSchema = (s: z.core.$ZodType, io: 'input' | 'output') => {
  const { $schema: _, ...schema } = z.toJSONSchema(s, { unrepresentable: 'any', io }) as Record<string, unknown>;
  return schema;
};

/** What a guard or a validator may answer, whatever the route. */
function refusals(r: RouteSpec): Record<number, string> {
  const out: Record<number, string> = {};
  if (r.params || r.query || r.body) out[400] = r.body ? 'invalid request (error.details[].path names the field)' : 'invalid path or query';
  if (r.auth !== 'none') out[401] = r.auth === 'hook-token' ? 'missing or wrong hook token' : 'not signed in and no bearer token';
  if (r.auth === 'admin') out[403] = 'not an administrator, or a browser write without the session\'s X-CSRF-Token or from another origin';
  return out;
}

/** Every answer a route may give: its own, and what its guard and validators refuse with. */
export function declaredResponses(r: RouteSpec): Record<number, ResponseSpec | string> {
  return { ...refusals(r), ...r.responses };
}

function response(code: number, spec: ResponseSpec | string) {
  const r = typeof spec === 'string' ? { description: spec } : spec;
  const schema = r.schema ? jsonSchema(r.schema, 'output') : code >= 400 ? { $ref: '#/components/schemas/Error' } : undefined;
  return { description: r.description, ...(schema ? { content: { [r.contentType ?? 'application/json']: { schema } } } : {}) };
}

export class ApiDoc {
  readonly routes: RouteSpec[] = [];

  /** Called by Routes.define only: a route is documented where it is registered. */
  add(spec: RouteSpec): void {
    this.routes.push(spec);
  }

  /** `server`: the origin this document was asked from (the runner as the caller reaches it). */
  document(version: string, server: string): unknown {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const r of this.routes) {
      const path = r.path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}');
      const shape = (r.params?._zod.def.shape ?? {}) as Record<string, z.core.$ZodType>;
      const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({
        name: m[1], in: 'path', required: true, schema: shape[m[1]] ? jsonSchema(shape[m[1]], 'input') : { type: 'string' },
      }));
      const query = Object.entries((r.query?._zod.def.shape ?? {}) as Record<string, z.core.$ZodType>).map(([name, s]) => ({
        name, in: 'query', required: !z.safeParse(s, undefined).success, schema: jsonSchema(s, 'input'),
      }));
      const responses = Object.fromEntries(Object.entries(declaredResponses(r)).map(([code, spec]) => [code, response(Number(code), spec)]));
      (paths[path] ??= {})[r.method] = {
        operationId: r.operationId,
        summary: r.summary,
        ...(r.description ? { description: r.description } : {}),
        tags: r.tags,
        security: r.auth === 'none' ? [] : r.auth === 'hook-token' ? [{ bearer: [] }] : [{ bearer: [] }, { session: [] }],
        ...(params.length || query.length ? { parameters: [...params, ...query] } : {}),
        ...(r.body ? { requestBody: { required: true, content: { [r.bodyType ?? 'application/json']: { schema: jsonSchema(r.body, 'input') } } } } : {}),
        responses,
      };
    }
    return {
      openapi: '3.1.0',
      info: {
        title: 'oneha runner API', version,
        description: 'High availability for OpenNebula VMs: hook endpoint, recoveries, per-host HA settings, per-function invocation.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: server, description: 'this runner' }],
      tags: TAGS,
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'The hook/operator token (ONEHA_TOKEN_FILE)' },
          session: { type: 'apiKey', in: 'cookie', name: 'oneha_session', description: 'Admin-console session (OpenNebula sign-in); the Sunstone plugin sends it as X-OneHA-Session' },
        },
        schemas: { Error: jsonSchema(ErrorBody, 'output') },
      },
      paths,
    };
  }
}

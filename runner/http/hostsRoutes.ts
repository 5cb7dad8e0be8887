// Hosts as the admin console shows them (HA switch, mode/pause/fencing with
// where each value comes from, fence methods, credentials set or not, last
// fence test, active recovery) and the writes behind its forms. Settings
// live on the host template and are written with one.host.update in merge
// mode, touching only the attributes the request names: an admin editing
// other attributes in Sunstone at the same time loses nothing. Credentials
// go to the secret store and never come back out.
import { join } from 'node:path';
import type { Context } from 'hono';
import { compress } from 'hono/compress';
import * as z from 'zod';
import { HOST_STATE_NAMES, type Host } from '../../model/one';
import { classify, describeError, OneError, OneErrorCode, StepError } from '../../model/errors';
import { FIELD_BY_ATTR, FIELDS, hostPolicyView, templateText, HostPolicyError, HostSettingsBody, settingsToAttributes, templateUpdateText, type HostSettings } from '../../model/hostPolicy';
import { agentOptionsProblem, allowedOptions } from '../../model/hostPolicy/agentOptions';
import { isFenceAgentName } from '../../model/hostPolicy/agentName';
import type { RunnerContext } from '../context';
import { agentLevelProblem, agentMetadata, cachedAgentMetadata } from '../fence/agentMetadata';
import { listInstalledAgents } from '../fence/installedAgents';
import { resolvedFenceIpProblem } from '../fence/bmcAddress';
import { hostRef, type SecretDescription } from '../fence/secrets';
import type { Recovery } from '../journal/events';
import { rehearse, RehearsalReportSchema } from '../rehearsal';
import { HISTORY, RehearsalSummarySchema, rehearsalsFor } from '../rehearsalStore';
import { principalName, readsAs, seesFenceSettings, type AuthEnv } from './auth';
import { routesFor, type InputOf, type RouteSpec } from './defineRoute';
import { ErrorBody, errorJson } from './errorJson';
import { KIND_STATUS } from './errorStatus';
import { auditFor } from './guards';
import { hostPoolFor } from './hostPool';
import { AgentList, AgentView, CredentialsSet, FenceTestResult, HostList, HostView as HostViewSchema, PowerOnAnswer, SettingsCheck } from './views';


/** Recoveries that still act or wait for an operator. */
const ACTIVE = new Set(['received', 'running', 'held', 'fence-failed']);

export { HostSettingsBody, type HostSettings };

export const CredentialsBody = z.object({
  username: z.string().max(256).default(''),
  password: z.string().min(1, 'enter a password').max(1024),
}).strict();

type Creds = { usernameSet: boolean; passwordSet: boolean } | null;

interface Shared {
  secrets: Map<string, SecretDescription>;
  active: Map<number, Recovery>;
}

function shared(ctx: RunnerContext): Shared {
  const secrets = new Map<string, SecretDescription>();
  try {
    for (const d of ctx.secrets.describe()) secrets.set(d.ref, d);
  } catch (e) {
    ctx.log.warn(`hosts view: ${describeError(e)}`);
  }
  const active = new Map<number, Recovery>();
  for (const r of ctx.journal.list()) {
    if (r.hostId !== undefined && ACTIVE.has(r.status) && !active.has(r.hostId)) active.set(r.hostId, r);
  }
  return { secrets, active };
}

const credsOf = (d: SecretDescription | undefined): Creds => (d ? { usernameSet: d.usernameSet, passwordSet: d.passwordSet } : null);

export function hostView(ctx: RunnerContext, h: Host, s: Shared): HostView {
  const { secretRef, ...policy } = hostPolicyView(h, ctx.config.defaults, ctx.fenceMethods, ctx.config.verify);
  // Options the agent's own allowlist refuses: the fence step would refuse them too (metadata read beforehand, see warmAgentMetadata).
  for (const m of policy.fence.methods) {
    if (m.kind !== 'agent') continue;
    const meta = cachedAgentMetadata(join(ctx.config.fence.agentDir, m.agent));
    const { ip: _ip, ...own } = m.options;
    const problem = meta && agentOptionsProblem(meta, own, 'method');
    if (problem) policy.problems.push(`${m.agent} option ${problem}.`);
  }
  const rec = s.active.get(h.id);
  const test = ctx.fenceTests.get(h.id);
  return {
    id: h.id,
    name: h.name,
    cluster: h.cluster,
    clusterId: h.clusterId,
    state: h.state,
    stateName: HOST_STATE_NAMES[h.state] ?? String(h.state),
    vms: h.vms.length,
    ha: policy.ha,
    mode: policy.mode,
    pause: policy.pause,
    fencing: policy.fencing,
    force: policy.force,
    converge: policy.converge,
    fence: policy.fence,
    credentials: {
      host: credsOf(s.secrets.get(hostRef(h.id))),
      default: credsOf(s.secrets.get('default')),
      ...(secretRef ? { secretRef, ref: credsOf(s.secrets.get(secretRef)) } : {}),
    },
    lastFenceTest: test ?? null,
    recovery: rec ? { id: rec.id, status: rec.status } : null,
    problems: policy.problems,
  };
}
/** The view's type is its schema's (views.ts), so the answer and the OpenAPI document cannot differ. */
export type HostView = z.output<typeof HostViewSchema>;

const HIDDEN_PROBLEM = 'A fence setting of this host cannot be used; an administrator sees which.';

/** The view for a user who may not see fence settings: whether fencing is configured, by which kind of level, never the values. */
export function withoutFenceSettings(v: HostView): HostView {
  const { secretRef: _ref, ref: _r, ...credentials } = v.credentials as HostView['credentials'] & { secretRef?: string; ref?: unknown };
  return {
    ...v,
    fence: {
      ...v.fence, ip: null, options: null,
      methods: v.fence.methods.map((m) => (m.kind === 'agent' ? { kind: 'agent' as const, agent: m.agent, options: {} } : { kind: 'command' as const, command: '' })),
    },
    credentials,
    lastFenceTest: v.lastFenceTest && { ...v.lastFenceTest, error: v.lastFenceTest.error && 'The last fence test failed; an administrator sees why.' },
    problems: [...new Set(v.problems.map((p) => (/fence|FENCE/.test(p) ? HIDDEN_PROBLEM : p)))],
  };
}

/** Reads (once) the metadata of every agent these hosts name, so hostView can check their options. */
async function warmAgentMetadata(ctx: RunnerContext, hosts: Host[]): Promise<void> {
  const names = new Set<string>();
  for (const h of hosts) {
    for (const a of [templateText(h.template, 'fenceAgent'), templateText(h.template, 'fenceAgent2'), ctx.config.fence.agent?.trim()]) if (a && isFenceAgentName(a)) names.add(a);
  }
  await Promise.all([...names].map((n) => agentMetadata(join(ctx.config.fence.agentDir, n), n)));
}

/** The one parser of a host id in a path: plain digits (no signs, exponents or spaces). */
export const HostParams = z.object({ id: z.string().regex(/^\d{1,9}$/, 'host id must be a whole number').transform(Number).describe('a host id (one.host.info)') });
/** What every /v1/hosts/:id operation shares: its parameter, the answer to a malformed one, and oned's refusals. */
const HOST = {
  tags: ['hosts'] as ['hosts'], params: HostParams, paramsCode: 'bad-host-id',
  responses: { 404: 'no such host', 502: 'oned failed' },
} as const;

/**
 * A failure as the API answers it, through the one mapping (model/errors
 * classify, then KIND_STATUS): a host oned does not know is 404, a host in a
 * state that refuses the request 409, anything else from oned 502. `asUser`:
 * the call was made with the signed-in user's own oned session, so a host
 * oned does not let them see is answered as one that does not exist, and a
 * refused session asks them to sign in again.
 */
function answerError(c: Parameters<typeof errorJson>[0], e: unknown, id?: number, asUser = false) {
  if (asUser && e instanceof OneError && e.code === OneErrorCode.AUTHORIZATION) return errorJson(c, 404, 'not-found', `no host ${id}`);
  if (asUser && e instanceof OneError && e.code === OneErrorCode.AUTHENTICATION) return errorJson(c, 401, 'oned-session', 'OpenNebula no longer accepts your session: sign in again.');
  const { kind, code } = classify(e);
  if (kind === 'internal') throw e;
  if (kind === 'not-found') return errorJson(c, KIND_STATUS[kind], 'not-found', `no host ${id}`);
  if (kind === 'oned') return errorJson(c, KIND_STATUS[kind], 'oned', `OpenNebula (oned) did not answer as expected: ${describeError(e)}`);
  return errorJson(c, KIND_STATUS[kind], code, describeError(e), e instanceof StepError ? e.details : undefined);
}

/** A settings change the runner refuses: 400 invalid-body, the problem under the field it is about. */
const refused = (field: string, message: string) => new StepError('invalid-body', message, [{ code: 'custom', path: [field], message }], 'invalid-input');

type HostSpec = Omit<RouteSpec, 'tags' | 'params' | 'paramsCode'>;
type HostContext<S extends HostSpec> = Context<AuthEnv, string, InputOf<S & typeof HOST>>;

/**
 * A /v1/hosts/:id operation: the id parsed once (HOST), and whatever the
 * handler throws (oned's refusal, the secret store's) answered through the
 * one mapping, as the signed-in user's when they read as themselves.
 */
function hostRoute<const S extends HostSpec>(spec: S, handler: (c: HostContext<S>, id: number) => Response | Promise<Response>) {
  const run = async (c: HostContext<S>) => {
    const { id } = c.req.valid('param' as never) as { id: number };
    try {
      return await handler(c, id);
    } catch (e) {
      return answerError(c, e, id, !!readsAs(c.get('principal')));
    }
  };
  return [{ ...HOST, ...spec }, run] as const;
}

export function hostsRoutes(ctx: RunnerContext) {
  const { config } = ctx;
  let agentCache: { at: number; agents: Promise<string[]> } | undefined;
  const agents = () => {
    const now = Date.now();
    if (!agentCache || now - agentCache.at > 60_000) agentCache = { at: now, agents: listInstalledAgents(config.fence.agentDir) };
    return agentCache.agents;
  };

  const pools = hostPoolFor(ctx);
  const invalidate = () => pools.invalidate();

  const describeHost = (id: number) => {
    const d = ctx.secrets.describe().find((x) => x.ref === hostRef(id));
    return { usernameSet: !!d?.usernameSet, passwordSet: !!d?.passwordSet };
  };


  /**
   * The attributes a settings change writes; a change the runner refuses
   * throws (400 invalid-body naming the field, through answerError): the
   * schema's checks, then the runner's (agent installed, fence settings still
   * usable). Shared by the runner's own write and by the check the Sunstone
   * plugin asks for before it writes through FireEdge as the signed-in user.
   */
  const checkSettings = async (id: number, body: HostSettings): Promise<Record<string, string>> => {
    if (body.fenceAgent) {
      const installed = await agents();
      if (!installed.includes(body.fenceAgent)) {
        const message = `${body.fenceAgent} is not installed in ${config.fence.agentDir} on the oneha front-end`;
        throw refused('fenceAgent', message);
      }
    }
    const attrs = settingsToAttributes(body);
    const host = await ctx.one.hostInfo(id);
    // Would the fence settings still be usable? Only a problem this change introduces is refused
    // (an untouched, already broken attribute must not block switching HA off, say).
    const probe = (h: Host) => {
      try {
        ctx.fenceMethods(h);
        return undefined;
      } catch (e) {
        return e;
      }
    };
    const changed = { ...host, template: { ...host.template, ...attrs } };
    const after = probe(changed);
    if (after && describeError(after) !== describeError(probe(host))) {
      const touched = after instanceof HostPolicyError ? after.attrs.filter((a) => Object.hasOwn(attrs, a)) : [];
      if (touched.length) {
        const message = describeError(after);
        throw refused(FIELD_BY_ATTR[touched[0]], message);
      }
    }
    // A BMC given by name must not resolve to this machine (checked again before every agent run).
    const ip = attrs[FIELDS.fenceIp.attr];
    const nameProblem = ip ? await resolvedFenceIpProblem(ip, { allowLoopback: config.fence.allowLoopback }, ctx.resolveName) : undefined;
    if (nameProblem) {
      const message = `${FIELDS.fenceIp.attr} = "${ip}" ${nameProblem}.`;
      throw refused('fenceIp', message);
    }
    // Options and agent together must pass the agent's own allowlist (from its metadata).
    if (!after && (body.fenceOptions || body.fenceAgent)) {
      const level = ctx.fenceMethods(changed).find((m) => m.kind === 'agent');
      const problem = level?.kind === 'agent' ? await agentLevelProblem(config.fence.agentDir, level) : undefined;
      if (problem) {
        const field = body.fenceOptions ? 'fenceOptions' : 'fenceAgent';
        const message = `${FIELDS.fenceOptions.attr} for ${level?.kind === 'agent' ? level.agent : 'the agent'}: ${problem}.`;
        throw refused(field, message);
      }
    }
    return attrs;
  };

  /** The host as this caller may see it (reading as themselves when they are not an administrator). */
  const viewOf = async (c: Context<AuthEnv>, id: number) => {
    const as = readsAs(c.get('principal'));
    const host = await (as ? ctx.one.as(as) : ctx.one).hostInfo(id);
    await warmAgentMetadata(ctx, [host]);
    const view = hostView(ctx, host, shared(ctx));
    return c.json(seesFenceSettings(c.get('principal'), config.plugin.fenceSettingsVisibleTo) ? view : withoutFenceSettings(view));
  };

  return routesFor(ctx)
    .define({
      method: 'get', path: '/v1/hosts', operationId: 'listHosts', tags: ['hosts'], auth: 'read', use: [compress()],
      summary: 'Every host with its HA settings (and whether each is inherited or set on the host), fence methods, FENCE_IP, whether credentials are set, the last fence test and any active recovery. One one.hostpool.info call; when oned is slow, the last pool read (its Age header says how old).',
      responses: { 200: { description: 'the hosts', schema: HostList }, 502: 'oned failed' },
    }, async (c) => {
      let hosts: Host[];
      try {
        hosts = await pools.read(readsAs(c.get('principal')));
        // A slow oned is answered from the last pool read (hostPool.ts): how old it is.
        c.header('age', String(pools.ageSeconds(readsAs(c.get('principal')))));
        await warmAgentMetadata(ctx, hosts);
      } catch (e) {
        return answerError(c, e, undefined, !!readsAs(c.get('principal')));
      }
      const s = shared(ctx);
      const reveal = seesFenceSettings(c.get('principal'), config.plugin.fenceSettingsVisibleTo);
      c.header('cache-control', 'no-store');
      return c.json({
        total: hosts.length,
        defaults: config.defaults,
        /** What the page needs to check FENCE_IP with the runner's own rule (model/hostPolicy/fenceIp). */
        fenceIpRules: { allowLoopback: config.fence.allowLoopback },
        credentials: { default: credsOf(s.secrets.get('default')) },
        hosts: hosts.map((h) => (reveal ? hostView(ctx, h, s) : withoutFenceSettings(hostView(ctx, h, s)))),
      });
    })
    .define({
      method: 'get', path: '/v1/fence/agents', operationId: 'listFenceAgents', tags: ['fence'], auth: 'read',
      summary: 'Fence agents installed on this front-end (executable fence_* in config fence.agentDir).',
      responses: { 200: { description: 'the agents', schema: AgentList } },
    }, async (c) => c.json({ agentDir: config.fence.agentDir, agents: await agents() }))
    .define({
      method: 'get', path: '/v1/fence/agents/:agent', operationId: 'getFenceAgent', tags: ['fence'], auth: 'read',
      params: z.object({ agent: z.string().describe('an installed agent, e.g. fence_ipmilan') }),
      summary: 'The agent\'s parameters from its own -o metadata (types, choices) and which of them a host may set (allowed: its plain connection and timing settings).',
      responses: { 200: { description: 'the agent', schema: AgentView }, 404: 'not installed', 502: 'its metadata could not be read' },
    }, async (c) => {
      const { agent } = c.req.valid('param');
      if (!(await agents()).includes(agent)) return errorJson(c, 404, 'not-found', `${agent.slice(0, 64)} is not installed in ${config.fence.agentDir}.`);
      const meta = await agentMetadata(join(config.fence.agentDir, agent), agent);
      if (!meta.ok) return errorJson(c, 502, 'agent-metadata', `${meta.problem}.`);
      // The whole list, so the page's check (agentOptionsProblem) gives the runner's very reasons.
      return c.json({ ...meta.metadata, allowed: allowedOptions(meta.metadata).map((p) => p.name) });
    })
    .define(...hostRoute({
      method: 'get', path: '/v1/hosts/:id', operationId: 'getHost', auth: 'read',
      summary: 'One host, as in GET /v1/hosts.',
      responses: { 200: { description: 'the host', schema: HostViewSchema }, ...HOST.responses },
    }, (c, id) => viewOf(c, id)))
    .define(...hostRoute({
      method: 'post', path: '/v1/hosts/:id/settings/check', operationId: 'checkHostSettings', auth: 'read', body: HostSettingsBody,
      summary: 'Validate a settings change exactly as PUT does and answer the attributes and the template text it would write, writing nothing. The Sunstone plugin writes that text through FireEdge (one.host.update, merge) as the signed-in user, so oned decides who may change a host.',
      responses: { 200: { description: 'what PUT would write', schema: SettingsCheck }, ...HOST.responses },
    }, async (c, id) => {
      const attrs = await checkSettings(id, c.req.valid('json'));
      return c.json({ attributes: attrs, template: templateUpdateText(attrs) });
    }))
    .define(...hostRoute({
      method: 'put', path: '/v1/hosts/:id/settings', operationId: 'updateHostSettings', auth: 'admin', body: HostSettingsBody,
      summary: 'Change a host\'s HA settings. Writes only the named attributes with one.host.update in merge mode (null clears = inherit). Invalid values are refused with nothing written.',
      responses: { 200: { description: 'the host after the change', schema: HostViewSchema }, ...HOST.responses },
    }, async (c, id) => {
      const attrs = await checkSettings(id, c.req.valid('json'));
      try {
        await ctx.one.hostUpdate(id, templateUpdateText(attrs), true);
      } finally {
        invalidate();
      }
      auditFor(ctx).record(c, 'settings', 'ok', { hostId: id, changed: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, v === '' ? '(inherit/cleared)' : v])) });
      return viewOf(c, id);
    }))
    .define(...hostRoute({
      method: 'put', path: '/v1/hosts/:id/credentials', operationId: 'setHostCredentials', auth: 'admin', body: CredentialsBody,
      summary: 'Set the host\'s own BMC credentials (secret store ref host:<id>). Write-only: answers whether a username and a password are set.',
      responses: { 200: { description: 'what is set', schema: CredentialsSet }, 409: 'the secret store cannot be written' },
    }, (c, id) => {
      const b = c.req.valid('json');
      ctx.secrets.set(hostRef(id), { username: b.username, password: b.password });
      auditFor(ctx).record(c, 'credentials', 'ok', { hostId: id, change: 'replaced', usernameSet: b.username !== '' });
      return c.json(describeHost(id));
    }))
    .define(...hostRoute({
      method: 'delete', path: '/v1/hosts/:id/credentials', operationId: 'deleteHostCredentials', auth: 'admin',
      summary: 'Remove the host\'s own BMC credentials (the default ones then apply, if any).',
      responses: { 200: { description: 'what is set now', schema: CredentialsSet }, 409: 'the secret store cannot be written' },
    }, (c, id) => {
      if (ctx.secrets.delete(hostRef(id))) auditFor(ctx).record(c, 'credentials', 'ok', { hostId: id, change: 'removed' });
      return c.json(describeHost(id));
    }))
    .define(...hostRoute({
      method: 'post', path: '/v1/hosts/:id/fence-test', operationId: 'testHostFencing', auth: 'admin',
      summary: 'Status-only fence test: reachability, power state, time taken. Never powers anything off.',
      responses: { 200: { description: 'the test (reachable or not: see error)', schema: FenceTestResult }, ...HOST.responses },
    }, async (c, id) => c.json(await ctx.runFenceTest(await ctx.one.hostInfo(id)))))
    .define(...hostRoute({
      method: 'post', path: '/v1/hosts/:id/power-on', operationId: 'powerOnHost', auth: 'admin',
      summary: 'Power a fenced host back on through its first fence agent (an explicit operator action; oneha never does it by itself).',
      responses: {
        200: { description: 'powered on', schema: PowerOnAnswer }, ...HOST.responses,
        422: 'the host\'s fence settings are unusable, or it has no fence agent',
        502: { description: 'oned failed (an error), or the agent could not power the host on (its answer)', schema: z.union([ErrorBody, PowerOnAnswer]) },
      },
    }, async (c, id) => {
      const host = await ctx.one.hostInfo(id);
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
    }))
    .define(...hostRoute({
      method: 'post', path: '/v1/hosts/:id/rehearse', operationId: 'rehearseHostFailure', auth: 'admin',
      summary: 'What if this healthy host died now: the whole recovery chain as a dry run on oned\'s view with the host failed (decode of a synthetic event, the wait it would do, a status-only test of each fence level, inventory, select with tiers and capacity, the carry-out re-read), touching nothing. Answers the plan in tier order, every reason a VM would be left down and a predicted MTTR; the report is kept as the host\'s last rehearsal.',
      responses: { 200: { description: 'the rehearsal', schema: RehearsalReportSchema }, ...HOST.responses, 409: 'the host is in ERROR or has a recovery under way' },
    }, async (c, id) => c.json(await rehearse(ctx, id))))
    .define(...hostRoute({
      method: 'get', path: '/v1/hosts/:id/rehearsal', operationId: 'getHostRehearsal', auth: 'read',
      summary: 'The host\'s last rehearsal (POST /v1/hosts/{id}/rehearse, or the scheduled one), as it answered.',
      responses: { 200: { description: 'the last rehearsal', schema: RehearsalReportSchema }, 404: 'never rehearsed' },
    }, (c, id) => {
      const last = rehearsalsFor(ctx).last(id);
      return last ? c.json(last) : errorJson(c, 404, 'not-found', `host ${id} has not been rehearsed (oneha rehearse ${id})`);
    }))
    .define(...hostRoute({
      method: 'get', path: '/v1/hosts/:id/rehearsals', operationId: 'listHostRehearsals', auth: 'read',
      summary: `The host's last ${HISTORY} rehearsals, newest first, each summarised (when, operator or scheduled, the outcome and why, VMs planned and left down, the predicted MTTR); GET /v1/hosts/{id}/rehearsal has the last one whole.`,
      responses: { 200: { description: 'the host\'s rehearsals, newest first (empty: never rehearsed)', schema: z.object({ hostId: z.number().int(), rehearsals: z.array(RehearsalSummarySchema) }) } },
    }, (c, id) => c.json({ hostId: id, rehearsals: rehearsalsFor(ctx).history(id) })))
    .app;
}

// Runner configuration: one JSON file plus environment overrides, validated
// with zod at start; a wrong value stops the runner with the key's name.
import { existsSync, readFileSync } from 'node:fs';
import * as z from '../model/zod';
import { NonNegativeInt, Positive, PositiveInt } from '../model/numbers';
import { MAX_PAUSE_CYCLES, RecoveryModeSchema } from '../model/hookOptions';
import { FENCE_AGENT_HINT, isFenceAgentName } from '../model/hostPolicy/agentName';
import { DEFAULT_LADDER, LadderSchema, PerModeLadderSchema } from '../model/ladder';

const HostPort = z.string().check(z.regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port, e.g. 127.0.0.1:2720'));

export const ConfigSchema = z.strictObject({
  listen: z._default(HostPort, '127.0.0.1:2720'),
  /** File holding the hook's bearer token (first line). */
  tokenFile: z.optional(z.string()),
  dataDir: z._default(z.string(), '/var/lib/oneha'),
  one: z._default(z.strictObject({
    endpoint: z.optional(z.string().check(z.url())),
    authFile: z.optional(z.string()),
    timeoutMs: z._default(PositiveInt, 30_000),
  }), { timeoutMs: 30_000 }),
  journal: z._default(z.strictObject({
    store: z._default(z.enum(['file', 'opennebula']), 'file'),
    /** one.document TYPE for oneha's flows (OneFlow uses 100/101). */
    documentType: z._default(PositiveInt, 1042),
    /** Finished recoveries kept (in memory, and in the file log when it is compacted). */
    retain: z._default(z.number().check(z.int(), z.gte(10)), 5000),
    /** The file log is compacted at start and whenever it grows past this size (and twice its size after the last compaction)... */
    compactMegabytes: z._default(Positive, 64),
    /** ...or this long after the last compaction, if anything was appended. */
    compactSeconds: z._default(PositiveInt, 3600),
    /** Rejected payloads go to rejected.jsonl, rotated to rejected.1.jsonl past either bound. */
    rejectedMax: z._default(z.number().check(z.int(), z.gte(1)), 1000),
    rejectedMegabytes: z._default(Positive, 64),
  }), { store: 'file', documentType: 1042, retain: 5000, compactMegabytes: 64, compactSeconds: 3600, rejectedMax: 1000, rejectedMegabytes: 64 }),
  concurrency: z._default(z.strictObject({
    vms: z._default(z.number().check(z.int(), z.gte(1), z.lte(256)), 8),
    flows: z._default(z.number().check(z.int(), z.gte(1), z.lte(1000)), 16),
  }), { vms: 8, flows: 16 }),
  defaults: z._default(z.strictObject({
    mode: z._default(RecoveryModeSchema, 'migrate'),
    pause: z._default(z.number().check(z.int(), z.gte(0), z.lte(MAX_PAUSE_CYCLES)), 2),
    force: z._default(z.boolean(), false),
    fencing: z._default(z.boolean(), true),
  }), { mode: 'migrate', pause: 2, force: false, fencing: true }),
  monitoring: z._default(z.strictObject({
    /** MONITORING_INTERVAL_HOST in seconds, when oned does not report it. */
    intervalSeconds: z.optional(Positive),
    monitordConf: z._default(z.string(), '/etc/one/monitord.conf'),
    pollSeconds: z.optional(Positive),
  }), { monitordConf: '/etc/one/monitord.conf' }),
  inventory: z._default(z.strictObject({ source: z._default(z.enum(['host-vms', 'pool']), 'host-vms') }), { source: 'host-vms' }),
  retries: z._default(z.strictObject({
    vmTries: z._default(z.number().check(z.int(), z.gte(1), z.lte(10)), 3),
    stepTries: z._default(z.number().check(z.int(), z.gte(1), z.lte(20)), 5),
    delayMs: z._default(NonNegativeInt, 1000),
    /** Transient oned errors (down, busy, electing) are tried through this long before they can end a recovery. */
    deadlineSeconds: z._default(PositiveInt, 3600),
  }), { vmTries: 3, stepTries: 5, delayMs: 1000, deadlineSeconds: 3600 }),
  fence: z._default(z.strictObject({
    /** A fence_host.sh-style command used where a host has no agent configured. */
    command: z.optional(z.string()),
    agent: z.optional(z.string().check(z.refine(isFenceAgentName, FENCE_AGENT_HINT))),
    options: z._default(z.record(z.string(), z.string()), {}),
    agentDir: z._default(z.string(), '/usr/sbin'),
    timeoutMs: z._default(PositiveInt, 20_000),
    retries: z._default(z.number().check(z.int(), z.gte(1), z.lte(20)), 5),
    retryDelayMs: z._default(NonNegativeInt, 1000),
    secretsFile: z._default(z.string(), '/etc/oneha/secrets.json'),
    /** Run a status-only fence test of every HA host this often (0 = never). */
    testIntervalSeconds: z._default(NonNegativeInt, 0),
    /**
     * The only fence commands a host template may name (ONEHA_FENCE_COMMAND),
     * as absolute paths: whoever may MANAGE a host in oned must not be able to
     * run free text as the runner. `command` above is this file's own and is trusted.
     */
    allowedCommands: z._default(z.array(z.string().check(z.regex(/^\/[^\s"'`$;&|<>\\]+$/, 'an absolute path without spaces or shell characters'))), []),
    /** Accept loopback, link-local and unspecified FENCE_IPs (the simulator, tests and the demo have their BMCs on 127.0.0.1). */
    allowLoopback: z._default(z.boolean(), false),
  }), { options: {}, agentDir: '/usr/sbin', timeoutMs: 20_000, retries: 5, retryDelayMs: 1000, secretsFile: '/etc/oneha/secrets.json', testIntervalSeconds: 0, allowedCommands: [], allowLoopback: false }),
  brakes: z._default(z.strictObject({
    massFailure: z._default(z.strictObject({
      share: z._default(z.number().check(z.gte(0), z.lte(1)), 0.5),
      count: z._default(NonNegativeInt, 0),
      windowSeconds: z._default(PositiveInt, 600),
    }), { share: 0.5, count: 0, windowSeconds: 600 }),
  }), { massFailure: { share: 0.5, count: 0, windowSeconds: 600 } }),
  verify: z._default(z.strictObject({
    /** How often the VMs acted on are read (one.vmpool.infoset, 64 VMs a call). */
    pollSeconds: z._default(Positive, 5),
    /** How long the VMs of a recovery may take to run, per mode; then the recovery ends degraded, naming them. */
    deadlineSeconds: z._default(z.strictObject({
      migrate: z._default(Positive, 600),
      recreate: z._default(Positive, 900),
      delete: z._default(Positive, 300),
    }), { migrate: 600, recreate: 900, delete: 300 }),
    // The converge ladder (model/ladder.ts) for every mode...
    /** one.vm.recover(id, 2) tries for a VM found in BOOT_FAILURE or another *_FAILURE state. */
    retries: z._default(LadderSchema.shape.retries, DEFAULT_LADDER.retries),
    /** After the retries, re-create the VM (one.vm.recover 4): its disks' state is lost, so only when allowed. */
    recreate: z._default(LadderSchema.shape.recreate, DEFAULT_LADDER.recreate),
    backoffSeconds: z._default(LadderSchema.shape.backoffSeconds, DEFAULT_LADDER.backoffSeconds),
    /** ...and a mode's own over it (e.g. recreate allowed for VMs recovered with -r, whose disks were fresh anyway). A host's own wins over both. */
    perMode: z._default(PerModeLadderSchema, {}),
    /** Locked VMs: unlock, act, lock again at the same level; otherwise reported with "onevm unlock <id>". */
    unlockLocked: z._default(z.boolean(), false),
  }), { pollSeconds: 5, deadlineSeconds: { migrate: 600, recreate: 900, delete: 300 }, retries: 2, recreate: false, backoffSeconds: 10, perMode: {}, unlockLocked: false }),
  readiness: z._default(z.strictObject({
    /** A fence test older than this no longer counts as proof the BMC answers. */
    fenceTestMaxAgeHours: z._default(Positive, 168),
    /** The capacity reserve also covers the K hosts with the most HA memory failing together (per cluster). */
    reserveK: z._default(z.number().check(z.int(), z.gte(0), z.lte(64)), 2),
    maxClockSkewSeconds: z._default(Positive, 5),
    /**
     * How often readiness is computed in the background (the API, the console and the gauges answer the last result).
     * One computation reads every host and the hosts' VMs (one.vmpool.infoset, 64 a call): minutes, not seconds, for big clouds.
     */
    refreshSeconds: z._default(z.number().check(z.int(), z.gte(1)), 300),
    /** A rehearsal older than this no longer counts in a host's readiness. */
    rehearsalMaxAgeHours: z._default(Positive, 168),
    /**
     * The hook probe (runner/hookProbe.ts): at most one test event through oned's hook manager this often
     * (a computation sooner judges the last one), and how long one may take to come back before it counts as lost.
     */
    probeIntervalSeconds: z._default(z.number().check(z.int(), z.gte(1)), 60),
    probeTimeoutSeconds: z._default(z.number().check(z.int(), z.gte(1), z.lte(600)), 30),
  }), { fenceTestMaxAgeHours: 168, reserveK: 2, maxClockSkewSeconds: 5, refreshSeconds: 300, rehearsalMaxAgeHours: 168, probeIntervalSeconds: 60, probeTimeoutSeconds: 30 }),
  rehearsal: z._default(z.strictObject({
    /** Rehearse every HA host's failure this often (0 = never): the last report per host shows with it and in readiness. */
    intervalSeconds: z._default(NonNegativeInt, 0),
  }), { intervalSeconds: 0 }),
  afterRecovery: z._default(z.strictObject({ hostStatus: z._default(z.enum(['disabled', 'offline', 'none']), 'disabled') }), { hostStatus: 'disabled' }),
  dedupeWindowSeconds: z._default(NonNegativeInt, 600),
  reconcile: z._default(z.strictObject({ intervalSeconds: z._default(NonNegativeInt, 60) }), { intervalSeconds: 60 }),
  leaderCheckSeconds: z._default(PositiveInt, 10),
  limits: z._default(z.strictObject({ bodyBytes: z._default(PositiveInt, 1024 * 1024) }), { bodyBytes: 1024 * 1024 }),
  plugin: z._default(z.strictObject({
    sessionTtlSeconds: z._default(PositiveInt, 8 * 3600),
    /** Origins (scheme://host[:port]) besides the runner's own from which a signed-in browser may write. */
    allowedOrigins: z._default(z.pipe(
      // ONEHA_PLUGIN_ORIGINS: a comma-separated list (zod's preprocess: a transform piped into the schema)
      z.transform((v: unknown) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v)),
      z.array(z.string().check(z.regex(/^https?:\/\/[^/\s]+$/, 'an origin such as https://sunstone.example.org'))),
    ), []),
    /** Proxies (their addresses) whose X-Forwarded-For names the real client, for throttling and the audit log. */
    trustedProxies: z._default(z.array(z.string().check(z.minLength(1))), []),
    /** Who sees FENCE_IP, fence options, commands, secret refs and recovery payloads: administrators (group 0) and the token, or every signed-in user. */
    fenceSettingsVisibleTo: z._default(z.enum(['admins', 'all']), 'admins'),
    signIn: z._default(z.strictObject({
      /** Wrong passwords allowed (per user name and per source address) before the back-off starts. */
      freeFailures: z._default(z.number().check(z.int(), z.gte(1), z.lte(100)), 3),
      /** First back-off; it doubles with every further failure, up to maxSeconds. */
      baseSeconds: z._default(Positive, 1),
      maxSeconds: z._default(Positive, 900),
    }), { freeFailures: 3, baseSeconds: 1, maxSeconds: 900 }),
  }), { sessionTtlSeconds: 8 * 3600, allowedOrigins: [], trustedProxies: [], fenceSettingsVisibleTo: 'admins', signIn: { freeFailures: 3, baseSeconds: 1, maxSeconds: 900 } }),
  metrics: z._default(z.strictObject({
    /** When set, GET /metrics needs `Authorization: Bearer <the first line of this file>`. */
    tokenFile: z.optional(z.string()),
  }), {}),
});
export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  /** classify(): the operator's input (configuration, environment) is wrong. */
  readonly kind = 'invalid-input' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Environment variables that work without a file. */
export const ENV_KEYS = {
  ONEHA_LISTEN: 'listen',
  ONEHA_TOKEN_FILE: 'tokenFile',
  ONEHA_DATA_DIR: 'dataDir',
  ONEHA_FENCE_COMMAND: 'fence.command',
  ONEHA_SECRETS_FILE: 'fence.secretsFile',
  ONEHA_PLUGIN_ORIGINS: 'plugin.allowedOrigins',
  ONE_XMLRPC: 'one.endpoint',
  ONE_AUTH: 'one.authFile',
} as const;

function setPath(obj: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
  o[keys[keys.length - 1]] = value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigInput = {}): Config {
  const file = env.ONEHA_CONFIG;
  let raw: Record<string, unknown> = {};
  if (file) {
    if (!existsSync(file)) throw new ConfigError(`ONEHA_CONFIG names ${file}, which does not exist`);
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigError(`${file} is not valid JSON: ${(e as Error).message}`);
    }
  }
  for (const [k, path] of Object.entries(ENV_KEYS)) if (env[k]) setPath(raw, path, env[k]);
  raw = deepMerge(raw, overrides as Record<string, unknown>);
  const r = ConfigSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const key = i.path.join('.') || (i.code === 'unrecognized_keys' ? (i as { keys?: string[] }).keys?.join(', ') : '') || '(root)';
      const envName = Object.entries(ENV_KEYS).find(([, p]) => p === key)?.[0];
      return `config key ${key}${envName ? ` (${envName})` : ''}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration${file ? ` in ${file}` : ''}:\n  ${lines.join('\n  ')}`);
  }
  return r.data;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && a[k] && typeof a[k] === 'object'
      ? deepMerge(a[k] as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** MONITORING_INTERVAL_HOST from monitord.conf, if the file is there and says it. */
export function readMonitordInterval(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const m = /^\s*MONITORING_INTERVAL_HOST\s*=\s*"?(\d+)"?/m.exec(readFileSync(path, 'utf8'));
  return m ? Number(m[1]) : undefined;
}

export function parseListen(listen: string): { hostname: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { hostname: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

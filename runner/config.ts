// Runner configuration: one JSON file plus environment overrides, validated
// with zod at start; a wrong value stops the runner with the key's name.
import { existsSync, readFileSync } from 'node:fs';
import * as z from 'zod';
import { MAX_PAUSE_CYCLES, RecoveryModeSchema } from '../model/hookOptions';
import { FENCE_AGENT_HINT, isFenceAgentName } from '../model/hostPolicy/agentName';
import { DEFAULT_LADDER, LadderSchema, PerModeLadderSchema } from '../model/ladder';

const HostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port, e.g. 127.0.0.1:2720');

export const ConfigSchema = z.object({
  listen: HostPort.default('127.0.0.1:2720'),
  /** File holding the hook's bearer token (first line). */
  tokenFile: z.string().optional(),
  dataDir: z.string().default('/var/lib/oneha'),
  one: z.object({
    endpoint: z.string().url().optional(),
    authFile: z.string().optional(),
    timeoutMs: z.number().int().positive().default(30_000),
  }).strict().default({ timeoutMs: 30_000 }),
  journal: z.object({
    store: z.enum(['file', 'opennebula']).default('file'),
    /** one.document TYPE for oneha's flows (OneFlow uses 100/101). */
    documentType: z.number().int().positive().default(1042),
    /** Finished recoveries kept (in memory, and in the file log when it is compacted). */
    retain: z.number().int().min(10).default(5000),
    /** The file log is compacted at start and whenever it grows past this size (and twice its size after the last compaction)... */
    compactMegabytes: z.number().positive().default(64),
    /** ...or this long after the last compaction, if anything was appended. */
    compactSeconds: z.number().int().positive().default(3600),
    /** Rejected payloads go to rejected.jsonl, rotated to rejected.1.jsonl past either bound. */
    rejectedMax: z.number().int().min(1).default(1000),
    rejectedMegabytes: z.number().positive().default(64),
  }).strict().default({ store: 'file', documentType: 1042, retain: 5000, compactMegabytes: 64, compactSeconds: 3600, rejectedMax: 1000, rejectedMegabytes: 64 }),
  concurrency: z.object({
    vms: z.number().int().min(1).max(256).default(8),
    flows: z.number().int().min(1).max(1000).default(16),
  }).strict().default({ vms: 8, flows: 16 }),
  defaults: z.object({
    mode: RecoveryModeSchema.default('migrate'),
    pause: z.number().int().min(0).max(MAX_PAUSE_CYCLES).default(2),
    force: z.boolean().default(false),
    fencing: z.boolean().default(true),
  }).strict().default({ mode: 'migrate', pause: 2, force: false, fencing: true }),
  monitoring: z.object({
    /** MONITORING_INTERVAL_HOST in seconds, when oned does not report it. */
    intervalSeconds: z.number().positive().optional(),
    monitordConf: z.string().default('/etc/one/monitord.conf'),
    pollSeconds: z.number().positive().optional(),
  }).strict().default({ monitordConf: '/etc/one/monitord.conf' }),
  inventory: z.object({ source: z.enum(['host-vms', 'pool']).default('host-vms') }).strict().default({ source: 'host-vms' }),
  retries: z.object({
    vmTries: z.number().int().min(1).max(10).default(3),
    stepTries: z.number().int().min(1).max(20).default(5),
    delayMs: z.number().int().nonnegative().default(1000),
    /** Transient oned errors (down, busy, electing) are tried through this long before they can end a recovery. */
    deadlineSeconds: z.number().int().positive().default(3600),
  }).strict().default({ vmTries: 3, stepTries: 5, delayMs: 1000, deadlineSeconds: 3600 }),
  fence: z.object({
    /** A fence_host.sh-style command used where a host has no agent configured. */
    command: z.string().optional(),
    agent: z.string().refine(isFenceAgentName, FENCE_AGENT_HINT).optional(),
    options: z.record(z.string(), z.string()).default({}),
    agentDir: z.string().default('/usr/sbin'),
    timeoutMs: z.number().int().positive().default(20_000),
    retries: z.number().int().min(1).max(20).default(5),
    retryDelayMs: z.number().int().nonnegative().default(1000),
    secretsFile: z.string().default('/etc/oneha/secrets.json'),
    /** Run a status-only fence test of every HA host this often (0 = never). */
    testIntervalSeconds: z.number().int().nonnegative().default(0),
    /**
     * The only fence commands a host template may name (ONEHA_FENCE_COMMAND),
     * as absolute paths: whoever may MANAGE a host in oned must not be able to
     * run free text as the runner. `command` above is this file's own and is trusted.
     */
    allowedCommands: z.array(z.string().regex(/^\/[^\s"'`$;&|<>\\]+$/, 'an absolute path without spaces or shell characters')).default([]),
    /** Accept loopback, link-local and unspecified FENCE_IPs (the simulator, tests and the demo have their BMCs on 127.0.0.1). */
    allowLoopback: z.boolean().default(false),
  }).strict().default({ options: {}, agentDir: '/usr/sbin', timeoutMs: 20_000, retries: 5, retryDelayMs: 1000, secretsFile: '/etc/oneha/secrets.json', testIntervalSeconds: 0, allowedCommands: [], allowLoopback: false }),
  brakes: z.object({
    massFailure: z.object({
      share: z.number().min(0).max(1).default(0.5),
      count: z.number().int().nonnegative().default(0),
      windowSeconds: z.number().int().positive().default(600),
    }).strict().default({ share: 0.5, count: 0, windowSeconds: 600 }),
  }).strict().default({ massFailure: { share: 0.5, count: 0, windowSeconds: 600 } }),
  verify: z.object({
    /** How often the VMs acted on are read (one.vmpool.infoset, 64 VMs a call). */
    pollSeconds: z.number().positive().default(5),
    /** How long the VMs of a recovery may take to run, per mode; then the recovery ends degraded, naming them. */
    deadlineSeconds: z.object({
      migrate: z.number().positive().default(600),
      recreate: z.number().positive().default(900),
      delete: z.number().positive().default(300),
    }).strict().default({ migrate: 600, recreate: 900, delete: 300 }),
    // The converge ladder (model/ladder.ts) for every mode...
    /** one.vm.recover(id, 2) tries for a VM found in BOOT_FAILURE or another *_FAILURE state. */
    retries: LadderSchema.shape.retries.default(DEFAULT_LADDER.retries),
    /** After the retries, re-create the VM (one.vm.recover 4): its disks' state is lost, so only when allowed. */
    recreate: LadderSchema.shape.recreate.default(DEFAULT_LADDER.recreate),
    backoffSeconds: LadderSchema.shape.backoffSeconds.default(DEFAULT_LADDER.backoffSeconds),
    /** ...and a mode's own over it (e.g. recreate allowed for VMs recovered with -r, whose disks were fresh anyway). A host's own wins over both. */
    perMode: PerModeLadderSchema.default({}),
    /** Locked VMs: unlock, act, lock again at the same level; otherwise reported with "onevm unlock <id>". */
    unlockLocked: z.boolean().default(false),
  }).strict().default({ pollSeconds: 5, deadlineSeconds: { migrate: 600, recreate: 900, delete: 300 }, retries: 2, recreate: false, backoffSeconds: 10, perMode: {}, unlockLocked: false }),
  readiness: z.object({
    /** A fence test older than this no longer counts as proof the BMC answers. */
    fenceTestMaxAgeHours: z.number().positive().default(168),
    /** The capacity reserve also covers the K hosts with the most HA memory failing together (per cluster). */
    reserveK: z.number().int().min(0).max(64).default(2),
    maxClockSkewSeconds: z.number().positive().default(5),
  }).strict().default({ fenceTestMaxAgeHours: 168, reserveK: 2, maxClockSkewSeconds: 5 }),
  rehearsal: z.object({
    /** Rehearse every HA host's failure this often (0 = never): the last report per host shows with it and in readiness. */
    intervalSeconds: z.number().int().nonnegative().default(0),
  }).strict().default({ intervalSeconds: 0 }),
  afterRecovery: z.object({ hostStatus: z.enum(['disabled', 'offline', 'none']).default('disabled') }).strict().default({ hostStatus: 'disabled' }),
  dedupeWindowSeconds: z.number().int().nonnegative().default(600),
  reconcile: z.object({ intervalSeconds: z.number().int().nonnegative().default(60) }).strict().default({ intervalSeconds: 60 }),
  leaderCheckSeconds: z.number().int().positive().default(10),
  limits: z.object({ bodyBytes: z.number().int().positive().default(1024 * 1024) }).strict().default({ bodyBytes: 1024 * 1024 }),
  plugin: z.object({
    sessionTtlSeconds: z.number().int().positive().default(8 * 3600),
    /** Origins (scheme://host[:port]) besides the runner's own from which a signed-in browser may write. */
    allowedOrigins: z.preprocess(
      // ONEHA_PLUGIN_ORIGINS: a comma-separated list
      (v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v),
      z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin such as https://sunstone.example.org')),
    ).default([]),
    /** Proxies (their addresses) whose X-Forwarded-For names the real client, for throttling and the audit log. */
    trustedProxies: z.array(z.string().min(1)).default([]),
    /** Who sees FENCE_IP, fence options, commands, secret refs and recovery payloads: administrators (group 0) and the token, or every signed-in user. */
    fenceSettingsVisibleTo: z.enum(['admins', 'all']).default('admins'),
    signIn: z.object({
      /** Wrong passwords allowed (per user name and per source address) before the back-off starts. */
      freeFailures: z.number().int().min(1).max(100).default(3),
      /** First back-off; it doubles with every further failure, up to maxSeconds. */
      baseSeconds: z.number().positive().default(1),
      maxSeconds: z.number().positive().default(900),
    }).strict().default({ freeFailures: 3, baseSeconds: 1, maxSeconds: 900 }),
  }).strict().default({ sessionTtlSeconds: 8 * 3600, allowedOrigins: [], trustedProxies: [], fenceSettingsVisibleTo: 'admins', signIn: { freeFailures: 3, baseSeconds: 1, maxSeconds: 900 } }),
  metrics: z.object({
    /** When set, GET /metrics needs `Authorization: Bearer <the first line of this file>`. */
    tokenFile: z.string().optional(),
  }).strict().default({}),
}).strict();
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

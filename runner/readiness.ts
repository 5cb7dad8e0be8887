// Readiness per host: "if this host died now, would its VMs come back?" as
// one score with its parts, each part with the fix. Pure: the runner hands in
// what it read (one host pool, one VM pool, the datastores) and what it knows
// (fence methods, credentials, the last fence test, hooks received); the
// same function serves the API, the CLI, the metrics and the benchmark.
//
// The score is the weight of the parts that pass over the weight of the
// parts that are known (a part oneha cannot check here is shown as unknown,
// with how to check it, and does not count either way).
import { selectVmsToRecover } from '../functions/select';
import { capacityReserve, formatNeed, type ClusterReserve, type HostReserve } from '../model/capacity';
import type { HookOptions } from '../model/hookOptions';
import { effectiveOptions, hostHaSettings } from '../model/hostPolicy/haSettings';
import { describeMethod, type FenceMethod } from '../model/fence';
import { VmState, type Datastore, type Host, type Vm } from '../model/one';
import { vmHaPolicy } from '../model/vmPolicy';

export const PART_WEIGHTS = {
  fencing: 20,
  fenceTest: 15,
  credentials: 10,
  datastores: 15,
  locks: 5,
  capacity: 20,
  hook: 10,
  clock: 5,
  rehearsal: 10,
} as const;
export type PartKey = keyof typeof PART_WEIGHTS;

export const PART_LABELS: Record<PartKey, string> = {
  fencing: 'fencing configured',
  fenceTest: 'last fence test OK and recent',
  credentials: 'BMC credentials set',
  datastores: 'VMs on shared system datastores (or a mode that handles them)',
  locks: 'no locked VMs',
  capacity: 'capacity to absorb its VMs',
  hook: 'hook installed, runner reachable from oned',
  clock: 'clock skew between front-end and oned',
  rehearsal: 'last rehearsal: a failure now would recover every VM',
};

export interface ReadinessPart {
  key: PartKey;
  label: string;
  /** null: oneha cannot tell here (not counted in the score). */
  ok: boolean | null;
  weight: number;
  detail: string;
  fix?: string;
}

export interface HostReadiness {
  hostId: number;
  hostName: string;
  clusterId: number;
  /** 0-100, or null when HA is off for the host (nothing to be ready for). */
  score: number | null;
  ha: boolean;
  parts: ReadinessPart[];
}

export interface FenceTestFact {
  reachable: boolean;
  at: number;
  error?: string;
}

/** The host's last rehearsal (runner/rehearsalStore.ts lastRehearsal). */
export interface RehearsalFact {
  at: number;
  outcome: string;
  leftDown: number;
  mttrSeconds?: number;
}

export interface ReadinessInput {
  hosts: readonly Host[];
  vms: readonly Vm[];
  datastores: readonly Datastore[];
  now: number;
  defaults: HookOptions;
  /** The host's fence levels (throws on settings that cannot be used, as the fence step would). */
  fenceMethods(host: Host): FenceMethod[];
  credentialsSet(host: Host, method: FenceMethod): boolean;
  lastFenceTest(hostId: number): FenceTestFact | undefined;
  fenceTestMaxAgeMs: number;
  /** Locked VMs are unlocked, acted on and locked again (verify.unlockLocked). */
  unlockLocked: boolean;
  /** The reserve also covers the K largest hosts failing together. */
  reserveK: number;
  /** oned's hook and whether it reaches the runner (hookFact); undefined: unknown. */
  hook?: CloudFact;
  /** Front-end clock minus oned's (ms); undefined: not measured (clockNote says why). */
  clockSkewMs?: number;
  /** How far off the measurement may be (ms): oned's Date header is to the second, plus half the round trip. */
  clockUncertaintyMs?: number;
  clockNote?: string;
  maxClockSkewMs: number;
  /** The last rehearsal of a host, if any, and how old one may be to count. */
  lastRehearsal?(hostId: number): RehearsalFact | undefined;
  rehearsalMaxAgeMs?: number;
}

/** A fact about the whole cloud, the same for every host: passes, fails (with its fix) or unknown (null). */
export interface CloudFact {
  ok: boolean | null;
  detail: string;
  fix?: string;
}

// ---------------------------------------------------------------------------
// The hook: installed in oned (one.hookpool.info) and reaching the runner
// (the last execution record oned keeps for it, one.hook.info; or a hook event
// in the journal).

/** A HOST ERROR state hook as oned lists it, with its last execution records (oldest first). */
export interface HookSeen {
  id: number;
  name: string;
  type: string;
  template: Record<string, string>;
  /** `arguments`: what HEM gave the run (the probe hook's: the base64 CALL_INFO that carries the nonce). */
  log: ReadonlyArray<{ executionId: number; timestamp: number; code: number; stderr: string; arguments?: string }>;
}

/** What each COMMAND is (deploy/onehook, docs/upgrade-from-host_error.md). */
export const RUNNER_HOOK = /(^|\/)oneha\/onehook\.sh$/;
const FOREGROUND_HOOK = /(^|\/)oneha\/host_error\.sh$/;
const STOCK_HOOK = /(^|\/)host_error\.rb$/;
const HOOK_DOC = 'docs/upgrade-from-host_error.md';
const CREATE_HOOK = 'onehook create deploy/onehook/host_error.hook';

/** deploy/onehook/onehook.sh's exit codes, and HEM's 255 for a hook it killed at TIMEOUT (HOOKS.md). */
const HOOK_EXIT: Record<number, { what: string; fix: string }> = {
  1: { what: 'a local problem (its settings file)', fix: 'check /etc/oneha/hook.env (ONEHA_URL, ONEHA_TOKEN), readable by oneadmin' },
  2: { what: 'the runner refused its token', fix: 'copy the runner\'s token into ONEHA_TOKEN in /etc/oneha/hook.env' },
  3: { what: 'the runner rejected the payload', fix: 'ARGUMENTS = "$TEMPLATE -m -p 5" with ARGUMENTS_STDIN = "yes" on the hook (onehook update)' },
  4: { what: 'the runner was unreachable', fix: 'start the runner (systemctl start oneha) and check ONEHA_URL in /etc/oneha/hook.env' },
  255: { what: 'HEM killed it at the hook\'s TIMEOUT', fix: 'keep ONEHA_HOOK_BUDGET under the hook\'s TIMEOUT, and check that the runner answers' },
};

const isHostErrorHook = (h: HookSeen) => h.type === 'state' && h.template.RESOURCE === 'HOST' && h.template.STATE === 'ERROR';
/** oneha's probe hook (deploy/onehook/probe.hook): an API hook on one.hook.update running oneha/onehook.sh. */
export const isProbeHook = (h: Pick<HookSeen, 'type' | 'template'>) =>
  h.type === 'api' && h.template.CALL === 'one.hook.update' && RUNNER_HOOK.test(h.template.COMMAND ?? '');
const CREATE_PROBE = 'onehook create /usr/share/oneha/probe.hook (deploy/onehook/probe.hook; install.sh --activate creates it)';
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The probe (runner/hookProbe.ts) as the hook part judges it. */
export interface ProbeInput {
  /** oneha's probe hook as oned lists it, with its execution records; undefined: none installed. */
  hook?: HookSeen;
  sent?: { at: number; error?: string };
  returned?: { sentAt: number; at: number };
  /** Nonces of the probes sent and not come back, newest first: the probe hook's runs that carried one say why. */
  unanswered?: readonly string[];
  now: number;
  /** A probe not back this long after it was sent is lost. */
  timeoutMs: number;
}

/** Did the last probe come back? ok, lost (with why, from the probe hook's own record), or not known yet (null). */
export function probeVerdict(p: ProbeInput): { ok: boolean | null; detail: string; fix?: string } {
  if (!p.hook) {
    return { ok: false, detail: 'no probe hook (an api hook on one.hook.update running oneha/onehook.sh): that oned reaches the runner is not proven', fix: CREATE_PROBE };
  }
  const hook = `probe hook ${p.hook.id} (${p.hook.name})`;
  if (p.sent?.error) {
    return { ok: false, detail: `the runner could not send a probe through ${hook}: ${p.sent.error}`, fix: `the runner's oned user must be able to update hook ${p.hook.id} (the oneadmin group)` };
  }
  if (!p.sent) return { ok: null, detail: `${hook} installed; no probe sent yet` };
  const back = p.returned;
  const trip = (r: { sentAt: number; at: number }) => `the probe sent at ${isoSeconds(r.sentAt)} came back through oned's hook manager in ${((r.at - r.sentAt) / 1000).toFixed(1)} s`;
  if (back && back.sentAt >= p.sent.at) return { ok: true, detail: trip(back) };
  if (p.now - p.sent.at < p.timeoutMs) {
    return back ? { ok: true, detail: `${trip(back)} (a newer one is on its way)` } : { ok: null, detail: `probe sent at ${isoSeconds(p.sent.at)} through ${hook}; not back yet` };
  }
  const lost = `the probe sent at ${isoSeconds(p.sent.at)} through ${hook} did not come back within ${Math.round(p.timeoutMs / 1000)} s`;
  // The newest run of the probe hook that carried a probe still unanswered (another update's run says nothing about it).
  const carried = (r: HookSeen['log'][number]) => {
    const info = r.arguments ? Buffer.from(r.arguments.trim().split(/\s+/)[0], 'base64').toString('utf8') : '';
    return (p.unanswered ?? []).some((nonce) => info.includes(nonce));
  };
  const run = [...p.hook.log].reverse().find(carried);
  if (!run) {
    return { ok: false, detail: `${lost}, and oned has no record of running it: the hook manager did not run the hook`, fix: 'start the hook manager (systemctl restart opennebula-hem) and read /var/log/one/onehem.log' };
  }
  const at = `execution ${run.executionId} at ${isoSeconds(run.timestamp * 1000)}`;
  if (run.code === 0) {
    return { ok: false, detail: `${lost}; onehook.sh ran (${at}) and exited 0, so it reached another runner`, fix: 'ONEHA_URL in /etc/oneha/hook.env must name this runner' };
  }
  const exit = HOOK_EXIT[run.code];
  const stderr = run.stderr.trim().split('\n')[0];
  return {
    ok: false,
    detail: `${lost}; onehook.sh (${at}) exited ${run.code}${exit ? `, ${exit.what}` : ''}${stderr ? `: ${stderr}` : ''}`,
    fix: run.code === 3 ? 'the probe hook needs ARGUMENTS = "$API" and ARGUMENTS_STDIN = "yes" (deploy/onehook/probe.hook)' : exit?.fix ?? 'run it by hand as oneadmin to see why',
  };
}

/**
 * The hook part. `hooks` undefined: the hook pool could not be read (`error`
 * says why: not an administrator, oned down). `lastEventAt`: the last hook
 * event the journal holds (the runner's own proof that oned's hook reaches it).
 */
export function hookFact(hooks: readonly HookSeen[] | undefined, lastEventAt: number | undefined, error?: string, probe?: ProbeInput): CloudFact {
  const reached = lastEventAt ? `oned's hook last reached the runner at ${isoSeconds(lastEventAt)}` : undefined;
  if (!hooks) return reached ? { ok: true, detail: `${reached} (hooks not read: ${error ?? 'unknown'})` } : { ok: null, detail: `hooks not read: ${error ?? 'unknown'}` };
  const onError = hooks.filter(isHostErrorHook);
  const command = (h: HookSeen) => h.template.COMMAND ?? '';
  const ours = onError.filter((h) => RUNNER_HOOK.test(command(h)));
  const foreground = onError.filter((h) => FOREGROUND_HOOK.test(command(h)));
  const stock = onError.filter((h) => STOCK_HOOK.test(command(h)));
  const named = (hs: HookSeen[]) => hs.map((h) => `${h.id} (${h.name}: ${command(h)})`).join(', ');
  if (!ours.length) {
    if (foreground.length) return { ok: false, detail: `hook ${named(foreground)} runs oneha in the foreground, not this runner: the runner hears of no failure`, fix: `point its COMMAND at oneha/onehook.sh (stage 2 of ${HOOK_DOC})` };
    if (stock.length) return { ok: false, detail: `only host_error.rb is installed (hook ${named(stock)}): the runner hears of no failure`, fix: `${CREATE_HOOK}, then remove host_error.rb's hook (${HOOK_DOC})` };
    return { ok: false, detail: 'no HOST ERROR hook runs oneha/onehook.sh (one.hookpool.info)', fix: CREATE_HOOK };
  }
  const others = [...stock, ...foreground];
  if (others.length) {
    return { ok: false, detail: `hook ${named(others)} also acts on HOST ERROR: two recoveries would act on the same failure`, fix: `onehook delete ${others.map((h) => h.id).join(' ')} (${HOOK_DOC})` };
  }
  let last: { hook: HookSeen; run: HookSeen['log'][number] } | undefined;
  for (const hook of ours) for (const run of hook.log) if (!last || run.timestamp >= last.run.timestamp) last = { hook, run };
  const installed = `hook ${named(ours)} installed`;
  const at = last && `execution ${last.run.executionId} at ${isoSeconds(last.run.timestamp * 1000)}`;
  // A later event in the journal (a retry, another failure) supersedes a failed run; oned's TIMESTAMP is to the second.
  if (last && last.run.code !== 0 && !(lastEventAt !== undefined && lastEventAt >= (last.run.timestamp + 1) * 1000)) {
    // A failure event that never reached the runner: it stays a failure until retried, whatever a probe shows now.
    const exit = HOOK_EXIT[last.run.code];
    const stderr = last.run.stderr.trim().split('\n')[0];
    return {
      ok: false,
      detail: `${installed}; its last run (${at}) failed with exit ${last.run.code}${exit ? `, ${exit.what}` : ''}${stderr ? `: ${stderr}` : ''}`,
      fix: `${exit?.fix ?? 'run it by hand as oneadmin to see why'}; then \`onehook retry ${last.hook.id} ${last.run.executionId}\` re-sends that event`,
    };
  }
  const before = !last ? reached : last.run.code === 0 ? `its last run (${at}) reached the runner` : reached;
  // The probe decides when there is one: a test event through oned's hook manager now, not a record of the past.
  const verdict = probe ? probeVerdict(probe) : undefined;
  if (verdict?.ok === true) return { ok: true, detail: `${installed}; ${before ? `${before}; ` : ''}${verdict.detail}` };
  if (verdict?.ok === false) return { ok: false, detail: `${installed}; ${verdict.detail}`, ...(verdict.fix ? { fix: verdict.fix } : {}) };
  const pending = verdict ? `; ${verdict.detail}` : '';
  if (before) return { ok: true, detail: `${installed}; ${before}${pending}` };
  return { ok: null, detail: `${installed}; oned has not run it yet, so it is not proven to reach the runner${pending || ' (a payload the runner rejects, exit 3 of oneha/onehook.sh run as oneadmin, proves it)'}` };
}

const part = (key: PartKey, ok: boolean | null, detail: string, fix?: string): ReadinessPart =>
  ({ key, label: PART_LABELS[key], ok, weight: PART_WEIGHTS[key], detail, ...(ok === false && fix ? { fix } : {}) });

export function scoreOf(parts: readonly ReadinessPart[]): number {
  let known = 0;
  let passed = 0;
  for (const p of parts) {
    if (p.ok === null) continue;
    known += p.weight;
    if (p.ok) passed += p.weight;
  }
  return known ? Math.round((100 * passed) / known) : 0;
}

const ago = (ms: number) => (ms < 90 * 60_000 ? `${Math.round(ms / 60_000)} min` : ms < 48 * 3_600_000 ? `${Math.round(ms / 3_600_000)} h` : `${Math.round(ms / 86_400_000)} days`);
const listIds = (ids: number[]) => ids.slice(0, 8).join(', ') + (ids.length > 8 ? ` and ${ids.length - 8} more` : '');

export function poolReadiness(input: ReadinessInput): { hosts: HostReadiness[]; clusters: ClusterReserve[] } {
  const vmById = new Map<number, Vm>();
  for (const vm of input.vms) vmById.set(vm.id, vm);
  const isHaVm = (vm: Vm) => vm.state === VmState.ACTIVE && vmHaPolicy(vm).ha;
  const reserve = capacityReserve(input.hosts, input.vms, { k: input.reserveK, isHaVm });
  const reserveOf = new Map<number, HostReserve>(reserve.hosts.map((r) => [r.hostId, r]));
  const hosts = input.hosts.map((h) => hostReadiness(h, input, vmById, reserveOf.get(h.id)));
  return { hosts, clusters: reserve.clusters };
}

function hostReadiness(host: Host, input: ReadinessInput, vmById: Map<number, Vm>, reserve: HostReserve | undefined): HostReadiness {
  const settings = hostHaSettings(host);
  const options = effectiveOptions(input.defaults, undefined, host);
  const vms: Vm[] = [];
  for (const id of host.vms) {
    const vm = vmById.get(id);
    if (vm) vms.push(vm);
  }
  const parts: ReadinessPart[] = [];

  // Fencing, and what it needs: credentials, a fence test that passed recently.
  let methods: FenceMethod[] = [];
  let fenceProblem: string | undefined;
  try {
    methods = options.fencing ? input.fenceMethods(host) : [];
  } catch (e) {
    fenceProblem = e instanceof Error ? e.message : String(e);
  }
  if (!options.fencing) {
    parts.push(part('fencing', false, 'fencing is off (ONEHA_FENCING = NO or -u): VMs would be recovered without proof the host is off',
      `onehost update ${host.id} (ONEHA_FENCING = "YES", FENCE_IP and ONEHA_FENCE_AGENT), or the HA hosts page`));
  } else if (fenceProblem) {
    parts.push(part('fencing', false, `fence settings cannot be used: ${fenceProblem}`, 'correct the attribute named above (onehost update, or the HA hosts page)'));
  } else if (!methods.length) {
    parts.push(part('fencing', false, 'no fence level configured: a failure would end fence-failed', `set FENCE_IP and ONEHA_FENCE_AGENT on host ${host.name} (or fence.agent in the config)`));
  } else {
    parts.push(part('fencing', true, methods.map((m, i) => `level ${i + 1}: ${describeMethod(m)}`).join('; ')));
  }
  const agents = methods.filter((m) => m.kind === 'agent');
  if (!agents.length) {
    parts.push(part('credentials', methods.length ? true : null, methods.length ? 'a fence command needs no BMC credentials from oneha' : 'no agent level to check'));
  } else {
    const missing = agents.filter((m) => !input.credentialsSet(host, m));
    parts.push(part('credentials', !missing.length,
      missing.length ? `no credentials for ${missing.map(describeMethod).join(', ')}` : 'set for every agent level',
      `the host's Credentials button in the console, or PUT /v1/hosts/${host.id}/credentials`));
  }
  const test = input.lastFenceTest(host.id);
  if (!agents.length) {
    parts.push(part('fenceTest', null, 'no agent level: a fence command cannot be tested without fencing'));
  } else if (!test) {
    parts.push(part('fenceTest', false, 'never tested since the runner started', `oneha fence-test ${host.id} (status only: powers nothing off)`));
  } else {
    const age = input.now - test.at;
    const fresh = age <= input.fenceTestMaxAgeMs;
    parts.push(part('fenceTest', test.reachable && fresh,
      test.reachable ? `power status read ${ago(age)} ago${fresh ? '' : ' (too old)'}` : `failed ${ago(age)} ago: ${test.error ?? 'no power state'}`,
      `oneha fence-test ${host.id}${test.reachable ? '' : ' after fixing the BMC address, agent or credentials'}`));
  }

  // What the plan would leave down: the same rule as a real recovery's select.
  const plan = selectVmsToRecover({ host, vms, datastores: [...input.datastores], options });
  const onLocal = plan.skipped.filter((s) => s.code === 'datastore');
  parts.push(part('datastores', !onLocal.length,
    onLocal.length ? `${onLocal.length} VM${onLocal.length === 1 ? '' : 's'} on a system datastore that is not shared, left down by ${options.mode}: ${listIds(onLocal.map((s) => s.vmId))}`
      : `${plan.actions.length} VM${plan.actions.length === 1 ? '' : 's'} would be recovered (${options.mode})`,
    'move them to a shared system datastore, or set ONEHA_MODE = "recreate" on the VMs (their disks are then lost) or on the host'));
  const locked = vms.filter((v) => v.lock !== undefined && plan.actions.some((a) => a.vmId === v.id));
  parts.push(part('locks', !locked.length || input.unlockLocked,
    !locked.length ? 'none' : `${locked.length} locked: ${listIds(locked.map((v) => v.id))}${input.unlockLocked ? ' (oneha unlocks them, verify.unlockLocked)' : ''}`,
    locked.map((v) => `onevm unlock ${v.id}`).slice(0, 3).join('; ') + (locked.length > 3 ? '; …' : '') + ' (or allow verify.unlockLocked)'));
  if (!reserve) {
    parts.push(part('capacity', null, 'the host takes no VMs now (not MONITORED): no reserve computed'));
  } else {
    const short = reserve.leftDown.length;
    parts.push(part('capacity', !short,
      short ? `${short} of ${reserve.vms} HA VMs would not fit on the other enabled hosts of its cluster: short by ${formatNeed(reserve.shortfall)}`
        : `its ${reserve.vms} HA VMs (${formatNeed(reserve.need)}) fit on the other enabled hosts of its cluster`,
      'enable or add hosts in the cluster, lower RESERVED_CPU/RESERVED_MEM, or opt VMs out (ONEHA_HA = "NO")'));
  }
  parts.push(input.hook ? part('hook', input.hook.ok, input.hook.detail, input.hook.fix) : part('hook', null, 'not checked here'));
  parts.push(clockPart(input));

  parts.push(rehearsalPart(host, input));

  return { hostId: host.id, hostName: host.name, clusterId: host.clusterId, score: settings.enabled ? scoreOf(parts) : null, ha: settings.enabled, parts };
}

/** Front-end against oned: a fence deadline, a monitoring age or a journal time read across the two clocks is off by the skew. */
function clockPart(input: ReadinessInput): ReadinessPart {
  const skew = input.clockSkewMs;
  if (skew === undefined) return part('clock', null, `not measured${input.clockNote ? `: ${input.clockNote}` : ''}`);
  const within = input.clockUncertaintyMs === undefined ? '' : ` (± ${(input.clockUncertaintyMs / 1000).toFixed(1)} s)`;
  const side = skew >= 0 ? 'ahead of' : 'behind';
  return part('clock', Math.abs(skew) <= input.maxClockSkewMs,
    `front-end ${(Math.abs(skew) / 1000).toFixed(1)} s${within} ${side} oned (the Date header of its reply); at most ${input.maxClockSkewMs / 1000} s`,
    'run chronyd or ntpd on the front-end and on the oned host, against the same servers');
}

/** The last "what if it died now": not rehearsed is unknown; a recent one counts when a failure then would have recovered every VM it planned. */
function rehearsalPart(host: Host, input: ReadinessInput): ReadinessPart {
  const r = input.lastRehearsal?.(host.id);
  if (!r) return part('rehearsal', null, `not rehearsed: oneha rehearse ${host.id} (or config rehearsal.intervalSeconds)`);
  const age = input.now - r.at;
  const fresh = age <= (input.rehearsalMaxAgeMs ?? Infinity);
  const mttr = r.mttrSeconds === undefined ? '' : `, predicted MTTR ${r.mttrSeconds} s`;
  return part('rehearsal', r.outcome === 'completed' && fresh,
    `${r.outcome} ${ago(age)} ago${fresh ? '' : ' (too old)'}: ${r.leftDown} VM${r.leftDown === 1 ? '' : 's'} left down${mttr}`,
    `oneha rehearse ${host.id}: the plan, each VM left down and why`);
}

// A dry run predicts exactly what the real run does (issue 16 item 6): each
// case builds two identical simulated clouds (twins) with identical BMCs,
// fails the same host, runs the recovery flow as a dry run on one and for
// real on the other, and compares the outcomes: the final status, the plan,
// what happens to each VM and what fencing finds. The dry run's twin must
// also be left untouched: no mutating call to oned, no power action but
// status.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FenceResult } from '../../functions/fence';
import type { VmOutcome } from '../../functions/carryOut';
import type { RecoveryPlan } from '../../functions/select';
import { fenceMethodsForHost } from '../../model/hostPolicy/fenceLevels';
import type { HookOptions } from '../../model/hookOptions';
import { noProgress, realClock, silentLog, type FencePort } from '../../model/ports';
import { EventBus } from '../../runner/eventBus';
import { finishedOutput, type Recovery } from '../../runner/journal/events';
import { MemoryJournalStore } from '../../runner/journal/memoryStore';
import { Journal } from '../../runner/journal/journal';
import { OneClient } from '../../runner/one/client';
import { readOnly } from '../../runner/one/readOnly';
import { runRecoveryFlow, type FlowSettings } from '../../runner/flow/recoveryFlow';
import { startSimulator, type Simulator } from '../../sim/server';
import { SimulatedBmcs } from '../scenarios/bmcs';

/** The golden scenarios' default cloud: 3 hosts with FENCE_IPs, VMs on shared and local datastores, SUSPENDED and POWEROFF ones. */
const CLOUD = JSON.parse(readFileSync(join(import.meta.dirname, '../scenarios/cloud.json'), 'utf8'));
const FAILED = 1;
const noCommands: FencePort = { power: async () => ({ ok: false, error: 'no fence command in this test', durationMs: 0 }) };

const open: Array<{ sim: Simulator; one: OneClient }> = [];
afterEach(async () => {
  for (const { sim, one } of open.splice(0)) {
    one.close();
    await sim.close();
  }
});

interface Case {
  flags: string;
  /** Applied to each twin before the failure: faults, locks, BMC behaviour, host settings. */
  setup?(sim: Simulator, bmcs: SimulatedBmcs): void;
  verify?: Partial<NonNullable<FlowSettings['verify']>>;
  expected: Recovery['status'];
}

async function twin(c: Case, dryRun: boolean) {
  const sim = await startSimulator({ scenario: { ...CLOUD, options: { schedulerIntervalMs: 200 } }, port: 0 });
  const one = new OneClient({ endpoint: sim.url, session: 'oneadmin:oneadmin', timeoutMs: 30_000 });
  open.push({ sim, one });
  const bmcs = new SimulatedBmcs(noCommands, () => '');
  c.setup?.(sim, bmcs);
  sim.cloud.failHost(FAILED);
  sim.resetCalls();
  const journal = new Journal(new MemoryJournalStore(), new EventBus(), Date.now);
  const payload = `${Buffer.from(sim.cloud.hostXml(FAILED)).toString('base64')} ${c.flags}`;
  await journal.record('r', { type: 'received', payload, trigger: 'hook', hostId: FAILED });
  const defaults: HookOptions = { mode: 'migrate', pause: 0, fencing: true, force: false };
  const settings: FlowSettings = {
    defaults, inventorySource: 'host-vms', vmConcurrency: 1, vmTries: 1, retryDelayMs: 0, stepTries: 1, afterRecovery: 'disabled', dryRun,
    verify: {
      pollSeconds: 0.2, deadlineSeconds: { migrate: 120, recreate: 120, delete: 120 },
      ladder: { retries: 2, recreate: false, backoffSeconds: 0 }, unlockLocked: false, ...c.verify,
    },
  };
  const status = await runRecoveryFlow(journal.get('r')!, {
    one: dryRun ? readOnly(one) : one, fence: bmcs, clock: realClock, log: silentLog, progress: noProgress,
  }, settings, {
    record: async (e) => void (await journal.record('r', e)),
    fenceMethods: (h) => fenceMethodsForHost(h, { agent: 'fence_ipmilan' }),
    brake: async () => undefined,
  });
  const rec = journal.get('r')!;
  const fence = finishedOutput<FenceResult>(rec, 'fence');
  const plan = finishedOutput<RecoveryPlan>(rec, 'select');
  const outcomes = finishedOutput<{ outcomes: VmOutcome[] }>(rec, 'recover')?.outcomes ?? [];
  return { sim, bmcs, status, reason: rec.reason ?? '', fence, plan, outcomes };
}

/** What happens to each VM, in words both runs share: a dry run's "would call X" is the real run's "X done". */
const fate = (o: VmOutcome) => `${o.vmId} ${o.outcome === 'dry-run' ? 'done' : o.outcome}`;

/** What fencing found: the dry run's status reading is what the real run's status-first check acts on. */
function fencePrediction(f: FenceResult | undefined): string {
  if (!f) return 'not reached';
  if (f.outcome === 'failed') return 'fails';
  if (f.outcome === 'skipped') return 'skipped';
  if (f.outcome === 'dry-run') return f.power === 'off' ? 'already off' : 'powers off';
  return f.evidence?.startsWith('already off') ? 'already off' : 'powers off';
}

/** The plan, less the free room it saw: that is the cloud's at planning time (the scheduler runs in real time), not a prediction. */
function comparable(plan: RecoveryPlan | undefined) {
  if (!plan?.capacity) return plan;
  const { free: _free, ...capacity } = plan.capacity;
  return { ...plan, capacity };
}

const CASES: Record<string, Case> = {
  'migrate: shared, local-datastore, SUSPENDED and POWEROFF VMs': { flags: '-m -p 0', expected: 'completed' },
  'recreate with -f': { flags: '-r -f -p 0', expected: 'completed' },
  'delete': { flags: '-d -p 0', expected: 'completed' },
  'a dead BMC': { flags: '-m -p 0', setup: (_s, b) => b.setMode('10.0.100.12', 'unreachable'), expected: 'fence-failed' },
  'a host already powered off': { flags: '-m -p 0', setup: (_s, b) => b.setPower(FAILED, 'off'), expected: 'completed' },
  'fencing off (-u)': { flags: '-m -u -p 0', expected: 'completed' },
  'a locked VM, left locked': { flags: '-m -p 0', setup: (s) => s.cloud.vmLock(41, 1, false, s.cloud.users.get(0)!), expected: 'degraded' },
  'a locked VM, unlock allowed': {
    flags: '-m -p 0', setup: (s) => s.cloud.vmLock(41, 3, false, s.cloud.users.get(0)!), verify: { unlockLocked: true }, expected: 'completed',
  },
  'HA off for the host': { flags: '-m -p 0', setup: (s) => s.cloud.mustHost(FAILED).template.set('ONEHA_HA', 'NO'), expected: 'skipped' },
};

describe('a dry run predicts exactly what the real run does (twin simulators)', () => {
  it.each(Object.entries(CASES))('%s', async (_name, c) => {
    const dry = await twin(c, true);
    const real = await twin(c, false);
    const why = `dry run: ${dry.status} (${dry.reason}); real run: ${real.status} (${real.reason})`;
    expect(real.status, why).toBe(c.expected);
    expect(dry.status, why).toBe(real.status);
    expect(fencePrediction(dry.fence), why).toBe(fencePrediction(real.fence));
    expect(comparable(dry.plan), why).toEqual(comparable(real.plan));
    expect(dry.outcomes.map(fate), why).toEqual(real.outcomes.map(fate));
    // The dry run's twin is untouched: oned received nothing that changes it, its BMC only status reads.
    expect(dry.sim.mutatingCalls().map((m) => m.method)).toEqual([]);
    expect(dry.bmcs.actions.every((a) => / status -> /.test(a))).toBe(true);
    // And the real run did act where the dry run said it would.
    if (real.status === 'completed' && real.outcomes.some((o) => o.outcome === 'done')) expect(real.sim.mutatingCalls().length).toBeGreaterThan(0);
  });
});

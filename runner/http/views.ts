// The API's answers as zod schemas: the OpenAPI document's response schemas
// (defineRoute), built from the schemas the functions, the journal and the
// model already define. test/integration/openapi.test.ts checks real answers
// against them, so they cannot drift from what the handlers send.
import * as z from '../../model/zod';
import { FenceResultSchema } from '../../functions/fence';
import { PlannedActionSchema, SkippedVmSchema, OperationSchema } from '../../functions/select';
import { VmOutcomeSchema } from '../../functions/carryOut';
import { VmVerdictSchema } from '../../functions/verify';
import { HookOptionsSchema, RecoveryModeSchema } from '../../model/hookOptions';
import { DisarmFile } from '../flow/brakes';
import { RecoveryStatusSchema, StepNameSchema, StepRecordSchema, TriggerSchema, RecoverySchema } from '../journal/eventSchemas';

export const Ok = z.object({ ok: z.literal(true) });

export const RecoverySummary = z.object({
  id: z.string(),
  status: RecoveryStatusSchema,
  reason: z.optional(z.string()),
  trigger: TriggerSchema,
  hostId: z.optional(z.number().check(z.int())),
  hostName: z.optional(z.string()),
  receivedAt: z.number(),
  updatedAt: z.number(),
  currentStep: z.optional(StepNameSchema),
  joined: z.number().check(z.int()),
  releasedBy: z.optional(z.string()),
  counts: z.object({
    recovered: z.number().check(z.describe('VMs verify saw running on another host (DONE, for delete): recovered, not merely accepted')),
    accepted: z.number().check(z.describe('VMs whose carry-out call (resched, recover, terminate) oned accepted; they may still not run')),
    stuck: z.number().check(z.describe('VMs verify gave up on (their records say why, with oned\'s text)')),
    failed: z.number(), skipped: z.number(), planned: z.number(),
  }),
  mttrMs: z.optional(z.number()).check(z.describe('host ERROR (oned\'s time) to the last VM running; only when every planned VM runs')),
});

const VmRecord = z.extend(VmOutcomeSchema, {
  verify: z.optional(z.extend(z.omit(VmVerdictSchema, { result: true, at: true, afterMs: true }), {
    result: z.enum(['running', 'done', 'stuck', 'watching']), at: z.optional(z.number()), afterMs: z.optional(z.number()),
  })),
});

export const RecoveryDetail = z.extend(RecoverySummary, {
  payload: z.optional(z.string()).check(z.describe('the hook stdin as received (administrators, or plugin.fenceSettingsVisibleTo: all)')),
  payloadRef: z.optional(z.string()),
  steps: z.array(z.extend(z.omit(StepRecordSchema, { fn: true }), { durationMs: z.optional(z.number()) })),
  fence: z.optional(FenceResultSchema),
  plan: z.optional(z.object({ mode: RecoveryModeSchema, actions: z.array(PlannedActionSchema), skipped: z.array(SkippedVmSchema) })),
  vms: z.array(VmRecord),
  notRecovered: z.array(z.object({ vmId: z.number().check(z.int()), vmName: z.string(), reason: z.optional(z.string()) })),
  downVms: z.optional(z.array(z.object({ vmId: z.number().check(z.int()), vmName: z.string(), state: z.string() }))).check(z.describe('held or fence-failed: the VMs down with the host, as oned has them now')),
});

export const RecoveryList = z.object({ total: z.number().check(z.int()), recoveries: z.array(RecoverySummary) });

export const StepView = z.object({
  recoveryId: z.string(), step: StepNameSchema, fn: z.string(), status: StepRecordSchema.shape.status,
  input: z.unknown(), output: z.unknown(), error: StepRecordSchema.shape.error,
});

export const ReplayAnswer = z.union([
  z.object({ status: z.enum(['accepted', 'joined', 'duplicate']), recoveryId: z.string() }),
  z.object({ status: z.literal('rejected'), recoveryId: z.string(), code: z.string(), message: z.string() }),
  z.object({ status: z.literal('dry-run'), recovery: RecoverySchema }),
]);

export const DisarmView = DisarmFile;
export const ArmAnswer = z.extend(DisarmFile, { released: z.array(z.string()).check(z.describe('recoveries the disarm held, going on now')) });

export const RunnerStatus = z.looseObject({
  version: z.string(),
  uptimeSeconds: z.number(),
  leader: z.boolean(),
  oned: z.object({
    endpoint: z.string(), reachable: z.optional(z.boolean()).check(z.describe('the last probe\'s answer (absent before the first)')), version: z.optional(z.string()), error: z.optional(z.string()),
    checkedAgoSeconds: z.optional(z.number()), checkingForSeconds: z.optional(z.number()).check(z.describe('how long the probe under way has waited')),
  }),
  journal: z.string(),
  flows: z.object({ running: z.number().check(z.int()), queued: z.number().check(z.int()), inProgress: z.array(RecoverySummary) }),
  waitingForOperator: z.array(RecoverySummary),
  massFailureBrake: z.boolean(),
  disarmed: DisarmView,
  demo: z.boolean(),
});

export const FenceTestResult = z.object({
  hostId: z.number().check(z.int()),
  reachable: z.boolean(),
  power: z.optional(z.enum(['on', 'off'])),
  method: z.string().check(z.describe('the method tested, or "none"')),
  durationMs: z.number(),
  error: z.optional(z.string()),
  at: z.number(),
});

export const PowerOnAnswer = z.looseObject({ hostId: z.number().check(z.int()), method: z.string(), ok: z.boolean() });

const setting = <T extends z.core.$ZodType>(value: T) => z.object({ value, source: z.enum(['host', 'default']) });
const Creds = z.nullable(z.object({ usernameSet: z.boolean(), passwordSet: z.boolean() }));

export const HostView = z.object({
  id: z.number().check(z.int()),
  name: z.string(),
  cluster: z.string(),
  clusterId: z.number().check(z.int()),
  state: z.number().check(z.int()),
  stateName: z.string(),
  vms: z.number().check(z.int()),
  ha: setting(z.boolean()),
  mode: setting(RecoveryModeSchema),
  pause: setting(z.number()),
  fencing: setting(z.boolean()),
  force: setting(z.boolean()),
  converge: z.object({ retries: setting(z.number().check(z.int())), recreate: setting(z.boolean()), unlockLocked: setting(z.boolean()) }).check(z.describe('the converge ladder and lock setting verify uses for this host (ONEHA_VERIFY_RETRIES, ONEHA_VERIFY_RECREATE, ONEHA_UNLOCK_LOCKED over verify.*)')),
  fence: z.object({
    ip: z.nullable(z.string()),
    agent: z.nullable(z.string()),
    options: z.nullable(z.record(z.string(), z.string())),
    optionsInvalid: z.boolean(),
    methods: z.array(z.union([
      z.object({ kind: z.literal('agent'), agent: z.string(), options: z.record(z.string(), z.string()), secretRef: z.optional(z.string()) }),
      z.object({ kind: z.literal('command'), command: z.string() }),
    ])),
  }),
  credentials: z.object({ host: Creds, default: Creds, secretRef: z.optional(z.string()), ref: z.optional(Creds) }),
  lastFenceTest: z.nullable(FenceTestResult),
  recovery: z.nullable(z.object({ id: z.string(), status: RecoveryStatusSchema })),
  problems: z.array(z.string()),
});

export const HostList = z.object({
  total: z.number().check(z.int()),
  defaults: HookOptionsSchema,
  fenceIpRules: z.object({ allowLoopback: z.boolean() }),
  credentials: z.object({ default: Creds }),
  hosts: z.array(HostView),
});

export const CredentialsSet = z.object({ usernameSet: z.boolean(), passwordSet: z.boolean() });
export const SettingsCheck = z.object({
  attributes: z.record(z.string(), z.string()).check(z.describe('template attribute → value ("" clears it)')),
  template: z.string().check(z.describe('the text for one.host.update in merge mode')),
});

export const AgentList = z.object({ agentDir: z.string(), agents: z.array(z.string()) });
export const AgentView = z.object({
  agent: z.string(),
  parameters: z.array(z.object({ name: z.string(), type: z.enum(['string', 'boolean', 'integer', 'second', 'select']), choices: z.optional(z.array(z.string())), description: z.optional(z.string()) })),
  allowed: z.array(z.string()).check(z.describe('the options a host may set')),
});

export const FunctionList = z.array(z.object({
  name: z.string(), description: z.string(), effectful: z.boolean(), ports: z.array(z.string()),
  input: z.record(z.string(), z.unknown()).check(z.describe('JSON schema')), output: z.record(z.string(), z.unknown()).check(z.describe('JSON schema')),
}));
export const InvokeAnswer = z.object({ ok: z.literal(true), function: z.string(), dryRun: z.boolean(), durationMs: z.number(), output: z.unknown() });

export const DemoView = z.object({ enabled: z.boolean(), simUrl: z.optional(z.string()) });
export const OpenApiDocument = z.record(z.string(), z.unknown()).check(z.describe('OpenAPI 3.1'));
export const TextBody = z.string();

export { OperationSchema };

// The API's answers as zod schemas: the OpenAPI document's response schemas
// (defineRoute), built from the schemas the functions, the journal and the
// model already define. test/integration/openapi.test.ts checks real answers
// against them, so they cannot drift from what the handlers send.
import * as z from 'zod';
import { FenceResultSchema } from '../../functions/fence';
import { PlannedActionSchema, SkippedVmSchema, OperationSchema } from '../../functions/select';
import { VmOutcomeSchema } from '../../functions/carryOut';
import { VmVerdictSchema } from '../../functions/verify';
import { HookOptionsSchema, RecoveryModeSchema } from '../../model/hookOptions';
import { DisarmFile } from '../flow/brakes';
import { RecoveryStatusSchema, StepNameSchema, StepRecordSchema, TriggerSchema, RecoverySchema } from '../journal/events';

export const Ok = z.object({ ok: z.literal(true) });

export const RecoverySummary = z.object({
  id: z.string(),
  status: RecoveryStatusSchema,
  reason: z.string().optional(),
  trigger: TriggerSchema,
  hostId: z.number().int().optional(),
  hostName: z.string().optional(),
  receivedAt: z.number(),
  updatedAt: z.number(),
  currentStep: StepNameSchema.optional(),
  joined: z.number().int(),
  releasedBy: z.string().optional(),
  counts: z.object({
    recovered: z.number().describe('VMs verify saw running on another host (DONE, for delete): recovered, not merely accepted'),
    accepted: z.number().describe('VMs whose carry-out call (resched, recover, terminate) oned accepted; they may still not run'),
    stuck: z.number().describe('VMs verify gave up on (their records say why, with oned\'s text)'),
    failed: z.number(), skipped: z.number(), planned: z.number(),
  }),
  mttrMs: z.number().optional().describe('host ERROR (oned\'s time) to the last VM running; only when every planned VM runs'),
});

const VmRecord = VmOutcomeSchema.extend({
  verify: VmVerdictSchema.omit({ result: true, at: true, afterMs: true }).extend({
    result: z.enum(['running', 'done', 'stuck', 'watching']), at: z.number().optional(), afterMs: z.number().optional(),
  }).optional(),
});

export const RecoveryDetail = RecoverySummary.extend({
  payload: z.string().optional().describe('the hook stdin as received (administrators, or plugin.fenceSettingsVisibleTo: all)'),
  payloadRef: z.string().optional(),
  steps: z.array(StepRecordSchema.omit({ fn: true }).extend({ durationMs: z.number().optional() })),
  fence: FenceResultSchema.optional(),
  plan: z.object({ mode: RecoveryModeSchema, actions: z.array(PlannedActionSchema), skipped: z.array(SkippedVmSchema) }).optional(),
  vms: z.array(VmRecord),
  notRecovered: z.array(z.object({ vmId: z.number().int(), vmName: z.string(), reason: z.string().optional() })),
  downVms: z.array(z.object({ vmId: z.number().int(), vmName: z.string(), state: z.string() })).optional().describe('held or fence-failed: the VMs down with the host, as oned has them now'),
});

export const RecoveryList = z.object({ total: z.number().int(), recoveries: z.array(RecoverySummary) });

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
export const ArmAnswer = DisarmFile.extend({ released: z.array(z.string()).describe('recoveries the disarm held, going on now') });

export const RunnerStatus = z.object({
  version: z.string(),
  uptimeSeconds: z.number(),
  leader: z.boolean(),
  oned: z.object({
    endpoint: z.string(), reachable: z.boolean().optional().describe('the last probe\'s answer (absent before the first)'), version: z.string().optional(), error: z.string().optional(),
    checkedAgoSeconds: z.number().optional(), checkingForSeconds: z.number().optional().describe('how long the probe under way has waited'),
  }),
  journal: z.string(),
  flows: z.object({ running: z.number().int(), queued: z.number().int(), inProgress: z.array(RecoverySummary) }),
  waitingForOperator: z.array(RecoverySummary),
  massFailureBrake: z.boolean(),
  disarmed: DisarmView,
  demo: z.boolean(),
}).loose();

export const FenceTestResult = z.object({
  hostId: z.number().int(),
  reachable: z.boolean(),
  power: z.enum(['on', 'off']).optional(),
  method: z.string().describe('the method tested, or "none"'),
  durationMs: z.number(),
  error: z.string().optional(),
  at: z.number(),
});

export const PowerOnAnswer = z.object({ hostId: z.number().int(), method: z.string(), ok: z.boolean() }).loose();

const setting = <T extends z.ZodType>(value: T) => z.object({ value, source: z.enum(['host', 'default']) });
const Creds = z.object({ usernameSet: z.boolean(), passwordSet: z.boolean() }).nullable();

export const HostView = z.object({
  id: z.number().int(),
  name: z.string(),
  cluster: z.string(),
  clusterId: z.number().int(),
  state: z.number().int(),
  stateName: z.string(),
  vms: z.number().int(),
  ha: setting(z.boolean()),
  mode: setting(RecoveryModeSchema),
  pause: setting(z.number()),
  fencing: setting(z.boolean()),
  force: setting(z.boolean()),
  converge: z.object({ retries: setting(z.number().int()), recreate: setting(z.boolean()), unlockLocked: setting(z.boolean()) })
    .describe('the converge ladder and lock setting verify uses for this host (ONEHA_VERIFY_RETRIES, ONEHA_VERIFY_RECREATE, ONEHA_UNLOCK_LOCKED over verify.*)'),
  fence: z.object({
    ip: z.string().nullable(),
    agent: z.string().nullable(),
    options: z.record(z.string(), z.string()).nullable(),
    optionsInvalid: z.boolean(),
    methods: z.array(z.union([
      z.object({ kind: z.literal('agent'), agent: z.string(), options: z.record(z.string(), z.string()), secretRef: z.string().optional() }),
      z.object({ kind: z.literal('command'), command: z.string() }),
    ])),
  }),
  credentials: z.object({ host: Creds, default: Creds, secretRef: z.string().optional(), ref: Creds.optional() }),
  lastFenceTest: FenceTestResult.nullable(),
  recovery: z.object({ id: z.string(), status: RecoveryStatusSchema }).nullable(),
  problems: z.array(z.string()),
});

export const HostList = z.object({
  total: z.number().int(),
  defaults: HookOptionsSchema,
  fenceIpRules: z.object({ allowLoopback: z.boolean() }),
  credentials: z.object({ default: Creds }),
  hosts: z.array(HostView),
});

export const CredentialsSet = z.object({ usernameSet: z.boolean(), passwordSet: z.boolean() });
export const SettingsCheck = z.object({
  attributes: z.record(z.string(), z.string()).describe('template attribute → value ("" clears it)'),
  template: z.string().describe('the text for one.host.update in merge mode'),
});

export const AgentList = z.object({ agentDir: z.string(), agents: z.array(z.string()) });
export const AgentView = z.object({
  agent: z.string(),
  parameters: z.array(z.object({ name: z.string(), type: z.enum(['string', 'boolean', 'integer', 'second', 'select']), choices: z.array(z.string()).optional(), description: z.string().optional() })),
  allowed: z.array(z.string()).describe('the options a host may set'),
});

export const FunctionList = z.array(z.object({
  name: z.string(), description: z.string(), effectful: z.boolean(), ports: z.array(z.string()),
  input: z.record(z.string(), z.unknown()).describe('JSON schema'), output: z.record(z.string(), z.unknown()).describe('JSON schema'),
}));
export const InvokeAnswer = z.object({ ok: z.literal(true), function: z.string(), dryRun: z.boolean(), durationMs: z.number(), output: z.unknown() });

export const DemoView = z.object({ enabled: z.boolean(), simUrl: z.string().optional() });
export const OpenApiDocument = z.record(z.string(), z.unknown()).describe('OpenAPI 3.1');
export const TextBody = z.string();

export { OperationSchema };

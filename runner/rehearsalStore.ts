// The last rehearsal report per host, and a short history of each host's
// rehearsals (the last HISTORY, as summaries: a full report can hold a plan
// of hundreds of VMs), kept in dataDir/rehearsals.json (not in the recovery
// journal: a rehearsal is not a recovery, and must never be resumed or
// counted as one). Written whole and renamed into place, so a crash leaves
// the previous file; read once per runner.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import type { RunnerContext } from './context';
import { RehearsalReportSchema, type RehearsalReport } from './rehearsal';

/** Rehearsals remembered per host: enough to see a trend (a weekly schedule: ten weeks), bounded on a 2,500-host cloud. */
export const HISTORY = 10;

/** One past rehearsal in a host's history (GET /v1/hosts/{id}/rehearsals). */
export const RehearsalSummarySchema = z.object({
  at: z.number().describe('when it ran (ms since the epoch)'),
  trigger: z.enum(['operator', 'scheduled']),
  outcome: z.string().describe('what a failure then would have ended as'),
  reason: z.string(),
  planned: z.number().int().describe('VMs the plan would act on'),
  leftDown: z.number().int().describe('VMs a failure then would have left down'),
  mttrSeconds: z.number().optional().describe('the predicted MTTR'),
  durationMs: z.number(),
});
export type RehearsalSummary = z.infer<typeof RehearsalSummarySchema>;

export const summarise = (r: RehearsalReport): RehearsalSummary => ({
  at: r.at, trigger: r.trigger, outcome: r.outcome, reason: r.reason, planned: r.plan?.actions.length ?? 0, leftDown: r.leftDown.length,
  ...(r.mttr ? { mttrSeconds: r.mttr.seconds } : {}), durationMs: r.durationMs,
});

/** Built when first read: rehearsal.ts (where the report's schema is) imports this module. */
const fileSchema = () => z.record(z.string(), z.union([
  z.object({ last: RehearsalReportSchema, history: z.array(RehearsalSummarySchema) }),
  // The file of a runner from before the history: the last report alone.
  RehearsalReportSchema,
]));

interface HostRehearsals {
  last: RehearsalReport;
  /** Oldest first, at most HISTORY. */
  history: RehearsalSummary[];
}

export class RehearsalStore {
  private readonly file: string;
  private hosts: Record<string, HostRehearsals> = {};
  constructor(dataDir: string) {
    this.file = join(dataDir, 'rehearsals.json');
    if (!existsSync(this.file)) return;
    // A file this version cannot read is set aside, not a reason to stop the runner.
    const parsed = fileSchema().safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
    if (!parsed.success) return;
    for (const [id, v] of Object.entries(parsed.data)) {
      this.hosts[id] = 'last' in v ? (v as HostRehearsals) : { last: v as RehearsalReport, history: [summarise(v as RehearsalReport)] };
    }
  }
  last(hostId: number): RehearsalReport | undefined {
    return this.hosts[String(hostId)]?.last;
  }
  /** The host's last rehearsals, newest first. */
  history(hostId: number): RehearsalSummary[] {
    return [...(this.hosts[String(hostId)]?.history ?? [])].reverse();
  }
  all(): RehearsalReport[] {
    return Object.values(this.hosts).map((h) => h.last);
  }
  async keep(report: RehearsalReport): Promise<void> {
    const key = String(report.hostId);
    const history = [...(this.hosts[key]?.history ?? []), summarise(report)].slice(-HISTORY);
    this.hosts[key] = { last: report, history };
    writeFileSync(this.file + '.tmp', JSON.stringify(this.hosts), { mode: 0o600 });
    renameSync(this.file + '.tmp', this.file);
  }
}

const stores = new WeakMap<object, RehearsalStore>();

/** The runner's one store (keyed by its journal: one per runner). */
export function rehearsalsFor(ctx: Pick<RunnerContext, 'journal' | 'config'>): RehearsalStore {
  let s = stores.get(ctx.journal);
  if (!s) stores.set(ctx.journal, (s = new RehearsalStore(ctx.config.dataDir)));
  return s;
}

/** What readiness (and a console column) shows of a host's last rehearsal: when, its outcome, how many VMs it left down, its MTTR. */
export interface LastRehearsal {
  at: number;
  outcome: RehearsalReport['outcome'];
  leftDown: number;
  mttrSeconds?: number;
}

export function lastRehearsal(ctx: Pick<RunnerContext, 'journal' | 'config'>, hostId: number): LastRehearsal | undefined {
  const r = rehearsalsFor(ctx).last(hostId);
  return r && { at: r.at, outcome: r.outcome, leftDown: r.leftDown.length, ...(r.mttr ? { mttrSeconds: r.mttr.seconds } : {}) };
}

// The last rehearsal report per host, kept in dataDir/rehearsals.json (not in
// the recovery journal: a rehearsal is not a recovery, and must never be
// resumed or counted as one). Written whole and renamed into place, so a
// crash leaves the previous file; read once per runner.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import type { RunnerContext } from './context';
import { RehearsalReportSchema, type RehearsalReport } from './rehearsal';

/** Built when first read: rehearsal.ts (where the report's schema is) imports this module. */
const fileSchema = () => z.record(z.string(), RehearsalReportSchema);

export class RehearsalStore {
  private readonly file: string;
  private reports: Record<string, RehearsalReport> = {};
  constructor(dataDir: string) {
    this.file = join(dataDir, 'rehearsals.json');
    if (!existsSync(this.file)) return;
    // A file this version cannot read is set aside, not a reason to stop the runner.
    const parsed = fileSchema().safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
    if (parsed.success) this.reports = parsed.data;
  }
  last(hostId: number): RehearsalReport | undefined {
    return this.reports[String(hostId)];
  }
  all(): RehearsalReport[] {
    return Object.values(this.reports);
  }
  async keep(report: RehearsalReport): Promise<void> {
    this.reports[String(report.hostId)] = report;
    writeFileSync(this.file + '.tmp', JSON.stringify(this.reports), { mode: 0o600 });
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
export interface RehearsalSummary {
  at: number;
  outcome: RehearsalReport['outcome'];
  leftDown: number;
  mttrSeconds?: number;
}

export function lastRehearsal(ctx: Pick<RunnerContext, 'journal' | 'config'>, hostId: number): RehearsalSummary | undefined {
  const r = rehearsalsFor(ctx).last(hostId);
  return r && { at: r.at, outcome: r.outcome, leftDown: r.leftDown.length, ...(r.mttr ? { mttrSeconds: r.mttr.seconds } : {}) };
}

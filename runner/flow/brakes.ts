// Brakes against false positives, checked right before fencing:
// - mass failure (model/massFailure.ts decides; this keeps it tripped for a window);
// - disarm: a maintenance switch, global or per host, that expires by itself.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from '../../model/zod';
import { massFailureVerdict, type MassFailureConfig } from '../../model/massFailure';
import type { OneApi } from '../../model/ports';

export type { MassFailureConfig };

const DisarmEntry = z.object({ until: z.number(), by: z.string(), reason: z._default(z.string(), '') });
export const DisarmFile = z.object({ global: z.optional(DisarmEntry), hosts: z._default(z.record(z.string(), DisarmEntry), {}) });
export type DisarmState = z.infer<typeof DisarmFile>;

export class DisarmSwitch {
  private state: DisarmState = { hosts: {} };
  private readonly file: string;
  constructor(dataDir: string, private readonly now: () => number) {
    this.file = join(dataDir, 'disarm.json');
    if (existsSync(this.file)) this.state = DisarmFile.parse(JSON.parse(readFileSync(this.file, 'utf8')));
  }
  private save() {
    writeFileSync(this.file + '.tmp', JSON.stringify(this.state), { mode: 0o600 });
    renameSync(this.file + '.tmp', this.file);
  }
  /** hostId undefined = every host. */
  disarm(hostId: number | undefined, untilMs: number, by: string, reason = ''): void {
    const entry = { until: untilMs, by, reason };
    if (hostId === undefined) this.state.global = entry;
    else this.state.hosts[String(hostId)] = entry;
    this.save();
  }
  arm(hostId: number | undefined): void {
    if (hostId === undefined) delete this.state.global;
    else delete this.state.hosts[String(hostId)];
    this.save();
  }
  /** The active disarm for a host, if any; expired ones re-arm silently. */
  active(hostId: number): { scope: 'global' | 'host'; until: number; by: string; reason: string } | undefined {
    const now = this.now();
    const g = this.state.global;
    if (g && g.until > now) return { scope: 'global', ...g };
    const h = this.state.hosts[String(hostId)];
    if (h && h.until > now) return { scope: 'host', ...h };
    return undefined;
  }
  view(): DisarmState {
    const now = this.now();
    return {
      global: this.state.global && this.state.global.until > now ? this.state.global : undefined,
      hosts: Object.fromEntries(Object.entries(this.state.hosts).filter(([, e]) => e.until > now)),
    };
  }
}

export class MassFailureBrake {
  private trippedUntil = 0;
  constructor(private readonly cfg: MassFailureConfig, private readonly now: () => number) {}

  /**
   * `recentFailures`: hosts whose failure reached the runner within the window
   * and is still being handled (they may not all be in ERROR in the pool yet);
   * `fencedRecently`: hosts fenced within the window (they count until back in service).
   */
  async check(one: OneApi, recentFailures: ReadonlySet<number>, fencedRecently: ReadonlySet<number> = new Set()): Promise<string | undefined> {
    const now = this.now();
    const wasTripped = now < this.trippedUntil;
    const v = massFailureVerdict(await one.hostPoolInfo(), recentFailures, this.cfg, wasTripped, fencedRecently);
    if (v.trips) this.trippedUntil = now + this.cfg.windowSeconds * 1000;
    return v.reason;
  }

  get tripped(): boolean {
    return this.now() < this.trippedUntil;
  }
  reset(): void {
    this.trippedUntil = 0;
  }
}

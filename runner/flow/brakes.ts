// Brakes against false positives, checked right before fencing:
// - mass failure: when many HA hosts fail at once the front-end's own
//   network is the likelier culprit, so new flows are held for an operator;
// - disarm: a maintenance switch, global or per host, that expires by itself.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HostState, isHostFailed, type Host } from '../../functions/domain';
import type { OneApi } from '../../functions/ports';
import { hostHaSettings } from '../hostSettings';

export interface MassFailureConfig {
  /** Hold when more than this share of HA-enabled hosts are failed (0..1). */
  share: number;
  /** Also hold when at least this many are failed (0 = off). */
  count: number;
  /** Once tripped, the brake holds new flows for this long; failures this recent count too. */
  windowSeconds: number;
}

const DisarmEntry = z.object({ until: z.number(), by: z.string(), reason: z.string().default('') });
const DisarmFile = z.object({ global: DisarmEntry.optional(), hosts: z.record(z.string(), DisarmEntry).default({}) });
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
   * (they may not all be in ERROR in the pool yet).
   */
  async check(one: OneApi, recentFailures: ReadonlySet<number>): Promise<string | undefined> {
    const now = this.now();
    const wasTripped = now < this.trippedUntil;
    const pool = await one.hostPoolInfo();
    const armed = pool.filter((h: Host) => hostHaSettings(h).enabled && h.state !== HostState.OFFLINE);
    const failed = armed.filter((h) => isHostFailed(h.state) || recentFailures.has(h.id));
    const share = armed.length ? failed.length / armed.length : 0;
    const byShare = share > this.cfg.share;
    const byCount = this.cfg.count > 0 && failed.length >= this.cfg.count;
    if (!byShare && !byCount && !wasTripped) return undefined;
    if (byShare || byCount) this.trippedUntil = now + this.cfg.windowSeconds * 1000;
    // Worded from the pool as it is now, so each held host reads a reason that includes itself.
    const why = byShare ? `more than ${Math.round(this.cfg.share * 100)} %` : byCount ? `at least ${this.cfg.count}` : `the brake tripped within the last ${this.cfg.windowSeconds} s`;
    return `mass failure: ${failed.length} of ${armed.length} HA hosts failed (${failed.map((h) => h.name).join(', ')}), ${why}; held before fencing until an operator releases it`;
  }

  get tripped(): boolean {
    return this.now() < this.trippedUntil;
  }
  reset(): void {
    this.trippedUntil = 0;
  }
}

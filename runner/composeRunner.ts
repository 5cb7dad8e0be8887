// The runner's part of the composition root (compose.ts): the basics plus
// the journal, the brakes, the flow manager and the metrics. Apart from
// compose.ts so the drop-in and the function bundles, which compose only the
// basics, do not load the runner's modules.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { functions } from '../functions/registry';
import { noProgress } from '../model/ports';
import { composeBasics, type Basics, type ComposeOptions } from './compose';
import type { Config } from './config';
import { EventBus } from './eventBus';
import { DisarmSwitch, MassFailureBrake } from './flow/brakes';
import { FlowManager } from './flow/manager';
import { provideSteps } from './flow/steps';
import { DocumentJournalStore } from './journal/documentStore';
import { FileJournalStore } from './journal/fileStore';
import { Journal } from './journal/journal';
import type { JournalStore } from './journal/store';
import { Metrics } from './metrics';

/** The runner's services: the basics plus the journal, the brakes and the flow manager. */
export interface Services extends Basics {
  journal: Journal;
  bus: EventBus;
  metrics: Metrics;
  manager: FlowManager;
  disarm: DisarmSwitch;
  massBrake: MassFailureBrake;
}

export interface RunnerComposeOptions extends Omit<ComposeOptions, 'log' | 'fenceCommand'> {
  /** Replace the journal store (scenario driver). */
  journalStore?: JournalStore;
}

/** Everything `oneha serve` runs on (the HTTP app and the background work are runner.ts's). */
export function compose(config: Config, opts: RunnerComposeOptions = {}): Services {
  const basics = composeBasics(config, opts);
  const { clock, log } = basics;
  // Every step is in the runner's bundle: its flows (and rehearsals) take them without an import.
  provideSteps(functions);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store: JournalStore = opts.journalStore ?? (config.journal.store === 'opennebula'
    ? new DocumentJournalStore(basics.one, config.journal.documentType)
    : new FileJournalStore(config.dataDir, {
      compactBytes: config.journal.compactMegabytes * 2 ** 20, compactSeconds: config.journal.compactSeconds,
      rejected: { maxCount: config.journal.rejectedMax, maxBytes: config.journal.rejectedMegabytes * 2 ** 20 }, log: log.child({ component: 'journal' }),
    }));
  const bus = new EventBus();
  const journal = new Journal(store, bus, () => clock.now(), config.journal.retain);
  const metrics = new Metrics(journal);
  bus.subscribe((e) => metrics.observe(e));
  const disarm = new DisarmSwitch(config.dataDir, () => clock.now());
  const massBrake = new MassFailureBrake(config.brakes.massFailure, () => clock.now());
  const manager = new FlowManager(journal, { one: basics.one, fence: basics.fence, clock, progress: noProgress }, {
    maxFlows: config.concurrency.flows,
    dedupeWindowSeconds: config.dedupeWindowSeconds,
    massWindowSeconds: config.brakes.massFailure.windowSeconds,
    settings: basics.settings,
    fenceMethods: basics.fenceMethods,
    logFor: (f) => log.child(f),
  }, massBrake, disarm);
  return Object.assign(basics, { journal, bus, metrics, manager, disarm, massBrake });
}

/** The hook token: given (tests, demo) or the first line of config.tokenFile. */
export function readToken(config: Config, explicit?: string): string {
  if (explicit) return explicit;
  if (!config.tokenFile) throw new Error('no hook token: set ONEHA_TOKEN_FILE (config key tokenFile) to a file holding the token');
  if (!existsSync(config.tokenFile)) throw new Error(`config key tokenFile: ${config.tokenFile} does not exist`);
  const t = readFileSync(config.tokenFile, 'utf8').split('\n')[0].trim();
  if (t.length < 16) throw new Error(`config key tokenFile: the token in ${config.tokenFile} is shorter than 16 characters`);
  return t;
}

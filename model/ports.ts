// The outside world, as the functions see it. Every effect a function has
// goes through one of these, so a function is deterministic for given inputs
// and port answers, and can run against oned, the simulator or a fake.
import type { Datastore, Host, OneConfig, OneDocument, RaftStatus, User, Vm } from './one';
import type { FenceMethod, PowerAction, PowerAnswer } from './fence';

/** The subset of oned's XML-RPC API oneha uses (OpenNebula XML-RPC reference), typed. */
export interface OneApi {
  systemVersion(): Promise<string>;
  systemConfig(): Promise<OneConfig>;
  hostInfo(id: number): Promise<Host>;
  hostPoolInfo(): Promise<Host[]>;
  /** merge=true is update type 1: other attributes survive. */
  hostUpdate(id: number, template: string, merge: boolean): Promise<number>;
  /** 0 ENABLED, 1 DISABLED, 2 OFFLINE */
  hostStatus(id: number, status: 0 | 1 | 2): Promise<number>;
  vmInfo(id: number): Promise<Vm>;
  /** one.vmpool.info(filter, start, end, state): short bodies. */
  vmPoolInfo(filter: number, start: number, end: number, state: number): Promise<Vm[]>;
  /** one.vmpool.infoextended(filter, start, end, state): full bodies (custom USER_TEMPLATE attributes included). */
  vmPoolInfoExtended(filter: number, start: number, end: number, state: number): Promise<Vm[]>;
  /** one.vmpool.infoset("id,id,...", extended): a known set of VMs in one call. */
  vmPoolInfoSet(ids: number[], extended: boolean): Promise<Vm[]>;
  /** Note oned's order: action name first. */
  vmAction(action: string, id: number): Promise<number>;
  vmRecover(id: number, operation: number): Promise<number>;
  /** one.vm.lock(id, level): 1 USE, 2 MANAGE, 3 ADMIN, 4 ALL. */
  vmLock(id: number, level: number): Promise<number>;
  vmUnlock(id: number): Promise<number>;
  datastorePoolInfo(): Promise<Datastore[]>;
  userInfo(id: number): Promise<User>;
  zoneRaftStatus(): Promise<RaftStatus>;
  documentAllocate(template: string, type: number): Promise<number>;
  documentInfo(id: number): Promise<OneDocument>;
  documentUpdate(id: number, template: string, merge: boolean): Promise<number>;
  documentDelete(id: number): Promise<number>;
  documentPoolInfo(filter: number, start: number, end: number, type: number): Promise<OneDocument[]>;
}

/** Runs one power action of one fence method against one host. */
export interface FencePort {
  power(method: FenceMethod, action: PowerAction, host: Host): Promise<PowerAnswer>;
}

export interface Clock {
  /** Milliseconds since the epoch (virtual in scenario tests). */
  now(): number;
  /** Resolves after ms, or at once when `signal` aborts (so a stopped runner leaves no timer behind). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export type LogFields = Record<string, unknown>;
export interface Log {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Progress of a long step (one event per VM acted on), for the journal and the live view. */
export interface Progress {
  emit(event: { kind: string } & Record<string, unknown>): void;
  /**
   * Journals a record of the running step and resolves once it is durable:
   * for an effect that must be on record before it starts (a fence attempt),
   * so a step resumed after a crash knows what was in flight. Absent where
   * nothing is journaled (a function run alone).
   */
  commit?(record: Record<string, unknown>): Promise<void>;
}

export interface Ports {
  one: OneApi;
  fence: FencePort;
  clock: Clock;
  log: Log;
  progress: Progress;
  /**
   * Aborted when the flow wants a watching step to end early (a hook joined
   * with another -p during the wait); the step says so in its output. Absent
   * for a function run alone.
   */
  interrupt?: AbortSignal;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const abort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  }),
};

export const silentLog: Log = { info() {}, warn() {}, error() {} };
export const noProgress: Progress = { emit() {} };

// The flow engine: run(fn, input, as?) runs one recovery function as a
// journaled step. The step-started event carries the function's name and
// its exact input, so any step can be run again by hand with
// `oneha invoke <fn>` (see `oneha show <recovery> --step <name> --input`).
// The output type is the function's own; its policy (retry, reusable) comes
// from its definition. A step that already finished is not run again when a
// flow resumes, unless the function says its output is not reusable.
import type { z } from 'zod';
import type { RecoveryFunction } from '../../functions/define';
import { invoke } from '../../functions/invoke';
import { classify, describeError } from '../../model/errors';
import type { Ports } from '../../model/ports';
import { retry } from '../../model/retry';
import { finishedOutput, type NewEvent, type Recovery, type StepName } from '../journal/events';

export interface StepPolicy {
  /** Tries for a step that failed on a transient oned error (busy, down, slow). */
  stepTries: number;
  /** First delay between tries; it doubles, up to 16 s. */
  retryDelayMs: number;
  /** Beyond stepTries, transient errors are tried through until this time (ms): the recovery's deadline for them. */
  transientUntil?: number;
}

export interface Engine {
  /**
   * Runs `fn` as the journaled step `as` (default: the function's name); resumed flows reuse its output.
   * `interrupt`: the step's Ports.interrupt, for a watching step the flow may cut short.
   */
  run<I extends z.core.$ZodType, O extends z.core.$ZodType, P extends keyof Ports>(fn: RecoveryFunction<I, O, P>, input: z.input<I>, as?: StepName, interrupt?: AbortSignal): Promise<z.output<O>>;
  /** Runs `fn` afresh, not journaled: for looks that must never be reused (the last look before fencing). */
  look<I extends z.core.$ZodType, O extends z.core.$ZodType, P extends keyof Ports>(fn: RecoveryFunction<I, O, P>, input: z.input<I>, what?: string): Promise<z.output<O>>;
  /** The same retry policy for a call of the runner around the flow (the brakes read the host pool). */
  persist<T>(what: string, call: () => Promise<T>): Promise<T>;
}

export function flowEngine(rec: Recovery, ports: Ports, record: (e: NewEvent) => Promise<void>, policy: StepPolicy): Engine {
  const hostId = () => (rec.hostId !== undefined && rec.hostId >= 0 ? rec.hostId : undefined);
  // Progress (one event per VM acted on or watched) is journaled as it happens, so a resumed flow skips what is settled.
  // A durable record (a fence attempt about to start) goes into the journal of the step that runs now.
  let current: StepName | undefined;
  const stepPorts: Ports = {
    ...ports,
    progress: {
      emit: (e) => { ports.progress.emit(e); void record({ type: 'vm', outcome: e }).catch(() => {}); },
      commit: (attempt) => (current ? record({ type: 'attempt', step: current, attempt }) : Promise.resolve()),
    },
  };
  const persist = <T>(what: string, call: () => Promise<T>, once = false): Promise<T> => retry({
    tries: once ? 1 : policy.stepTries, delayMs: policy.retryDelayMs, backoff: 'exponential', maxDelayMs: 16_000,
    until: once || policy.transientUntil === undefined ? undefined : { at: policy.transientUntil, now: () => ports.clock.now() },
    onRetry: (e) => ports.log.warn(`${what}: ${describeError(e)}; trying again`, { hostId: hostId() }),
  }, call, ports.clock);
  const attempt = <I extends z.core.$ZodType, O extends z.core.$ZodType, P extends keyof Ports>(fn: RecoveryFunction<I, O, P>, input: z.input<I>, name: string, interrupt?: AbortSignal) =>
    persist(name, () => invoke(fn, input, interrupt ? { ...stepPorts, interrupt } : stepPorts), fn.retry === false);

  return {
    async run(fn, input, as, interrupt) {
      const step = (as ?? fn.name) as StepName;
      const done = finishedOutput<z.output<typeof fn.output>>(rec, step);
      if (done !== undefined && (fn.reusable?.(done) ?? true)) return done;
      await record({ type: 'step-started', step, ...(fn.name !== step ? { fn: fn.name } : {}), input });
      current = step;
      try {
        const output = await attempt(fn, input, step, interrupt);
        await record({ type: 'step-finished', step, output });
        return output;
      } catch (e) {
        await record({ type: 'step-failed', step, error: { code: classify(e).code, message: describeError(e) } });
        throw e;
      } finally {
        current = undefined;
      }
    },
    look: (fn, input, what) => attempt(fn, input, what ?? fn.name),
    persist: (what, call) => persist(what, call),
  };
}

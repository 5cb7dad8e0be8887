// The step functions the recovery flow runs after decode, loaded when a flow
// first gets past decode: the drop-in decides on its payload (and refuses a
// bad one) before compiling the other steps and their schemas (bench
// `startup`). The runner has them all in its bundle anyway and hands them
// over when it is composed (composeRunner.ts): its flows never wait on a real
// import, which keeps the virtual-clock scenarios deterministic.
import type { functions } from '../../functions/registry';

export type Steps = typeof functions;

let loaded: Steps | undefined;

/** The runner's step functions, given once at start. */
export function provideSteps(steps: Steps): void {
  loaded = steps;
}

/** The step functions if loaded or given, without waiting: a flow that has them takes them at once. */
export function loadedSteps(): Steps | undefined {
  return loaded;
}

/** Loads the step functions (functions/registry.ts, its own chunk in dist/oneha.mjs). */
export async function loadSteps(): Promise<Steps> {
  return (loaded ??= (await import('../../functions/registry')).functions);
}

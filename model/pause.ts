// How long a recovery may wait for its host (-p, ONEHA_PAUSE, defaults.pause).
// No zod here: the admin console bundles this file as is.

/**
 * The longest wait (-p, ONEHA_PAUSE, defaults.pause) in monitoring cycles:
 * 1000 cycles is more than half a day at oned's default interval. A bigger
 * number is a typo, and one past 2^53 would not even survive as a number.
 */
export const MAX_PAUSE_CYCLES = 1000;

/** Why `text` is not a pause in cycles (phrased to follow the flag or attribute name), or undefined. */
export function pauseProblem(text: string): string | undefined {
  const shown = text.length > 24 ? `${text.slice(0, 24)}...` : text;
  if (!/^\d+$/.test(text) || text.length > 6 || Number(text) > MAX_PAUSE_CYCLES) {
    return `takes a whole number of monitoring cycles from 0 to ${MAX_PAUSE_CYCLES}, got "${shown}"`;
  }
  return undefined;
}

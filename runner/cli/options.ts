// Option values the CLI checks itself, so a wrong one is named with what it
// must be (never a validator's "expected number, received null").
import { CliError, EXIT } from './exitCodes';

/** A whole number option (at least `min`), or undefined when not given. */
export function wholeNumber(raw: unknown, option: string, min = 0): number | undefined {
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new CliError(EXIT.badInput, `--${option} takes a whole number${min ? ` of at least ${min}` : ''}, not "${String(raw)}"`);
  return n;
}

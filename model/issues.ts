// Validation problems as sentences a person can act on. A rejection reason
// (an HTTP 400, a journaled "rejected" recovery, a refused setting) is read by
// an operator, so it never shows a validator's raw output (glyphs, paths as
// arrays, JSON); each problem names its field and says what is wrong.
import type * as z from './zod';

type Issue = Pick<z.core.$ZodIssue, 'path' | 'message'> & { code?: string; keys?: string[] };

/** The dotted name of a field ("fenceOptions.ssh_options"), or "" for the whole value. */
export function fieldName(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

function sentence(s: string): string {
  const t = s.trim().replace(/\s+/g, ' ');
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

export function describeIssue(i: Issue, what = 'the value'): string {
  if (i.code === 'unrecognized_keys' && i.keys?.length) {
    const where = fieldName(i.path);
    return sentence(`${where ? `${where}: ` : ''}${i.keys.map((k) => `"${k}"`).join(', ')} ${i.keys.length > 1 ? 'are not settings' : 'is not a setting'} of ${where || what}`);
  }
  const field = fieldName(i.path);
  return sentence(field ? `${field}: ${i.message}` : i.message);
}

/** Every issue as a sentence, joined; `what` names the whole value for issues without a field. */
export function describeIssues(issues: readonly Issue[], what?: string): string {
  return issues.map((i) => describeIssue(i, what)).join(' ');
}

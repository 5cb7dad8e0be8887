// The PUT /v1/hosts/:id/settings body and the template attributes it writes,
// both derived from the policy table's rows that carry a `body`.
import * as z from '../zod';
import { FIELDS, type FieldName, type FieldValue } from './fields';

type Editable = { [K in FieldName]: (typeof FIELDS)[K] extends { body: object } ? K : never }[FieldName];
export const EDITABLE_FIELDS = (Object.keys(FIELDS) as FieldName[]).filter((k) => 'body' in FIELDS[k] && FIELDS[k].body) as Editable[];

type BodyValue<K extends Editable> = (typeof FIELDS)[K]['body'] extends { clear: true } ? FieldValue<K> | null : FieldValue<K>;
export type HostSettings = { [K in Editable]?: BodyValue<K> };

const shape = Object.fromEntries(EDITABLE_FIELDS.map((k) => {
  const b = FIELDS[k].body as { schema: z.ZodMiniType; clear: boolean; describe: string };
  return [k, z.optional((b.clear ? z.nullable(b.schema) : b.schema)).check(z.describe(b.describe))];
}));

export const HostSettingsBody = (z.strictObject(shape) as unknown as z.ZodMiniType<HostSettings>).check(z.refine((b) => Object.keys(b).length > 0, 'nothing to change: name at least one setting'));

/** The template attributes a settings change writes; '' clears (OpenNebula merge semantics). */
export function settingsToAttributes(b: HostSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of EDITABLE_FIELDS) {
    const v = b[k];
    if (v === undefined) continue;
    const f = FIELDS[k] as { attr: string; write(v: unknown): string };
    out[f.attr] = v === null ? '' : f.write(v);
  }
  return out;
}

/** `KEY = "value"` lines for one.host.update; values are already free of quotes and backslashes, escaped anyway. */
export function templateUpdateText(attrs: Record<string, string>): string {
  return Object.entries(attrs).map(([k, v]) => `${k} = "${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join('\n') + '\n';
}

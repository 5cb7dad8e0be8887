// The shared OpenNebula samples, read once for tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SHARED = join(import.meta.dirname, '..', '..', '..', 'shared');
export const sample = (name: string) => readFileSync(join(SHARED, 'opennebula', 'samples', name), 'utf8');
/** oned sends no xmlns; the samples carry one only for xmllint. */
export const asOned = (xml: string) => xml.replace(/<\?xml[^>]*>\s*/, '').replace(/<!--[\s\S]*?-->\s*/g, '').replace(/ xmlns="[^"]*"/, '');
export const hostErrorXml = () => asOned(sample('host_error.xml'));
export const hookPayload = (flags: string, xml = hostErrorXml()) => `${Buffer.from(xml).toString('base64')} ${flags}`.trim();

// The fence agents installed on this front-end. What a host's fence settings
// mean is the host policy codec's business (model/hostPolicy/).
import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isFenceAgentName } from '../../model/hostPolicy/agentName';

/** Executable fence_* programs in `dir`, sorted. */
export async function listInstalledAgents(dir = '/usr/sbin'): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const ok = await Promise.all(
    names.filter(isFenceAgentName).map(async (n) => {
      try {
        await access(join(dir, n), constants.X_OK);
        return n;
      } catch {
        return undefined;
      }
    }),
  );
  return ok.filter((n): n is string => !!n).sort();
}

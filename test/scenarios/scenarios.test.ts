// Every folder under cases/ is a failure scenario (README.md), replayed
// through the real runner against the simulated OpenNebula on one virtual
// clock and compared byte for byte with its log.expect. UPDATE_GOLDEN=1
// rewrites the goldens (review the diff).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from './driver';

const casesDir = join(import.meta.dirname, 'cases');
const cases = readdirSync(casesDir).sort();

describe('failure scenarios (the runner and simulated oned on a virtual clock)', () => {
  it('has scenarios', () => expect(cases.length).toBeGreaterThanOrEqual(15));
  for (const name of cases) {
    it(name, async () => {
      const dir = join(casesDir, name);
      const got = await runScenario(dir);
      const golden = join(dir, 'log.expect');
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) {
        if (process.env.CI) throw new Error(`${name}: no log.expect (run UPDATE_GOLDEN=1 locally and review it)`);
        writeFileSync(golden, got);
      }
      expect(got).toBe(readFileSync(golden, 'utf8'));
    });
  }
});

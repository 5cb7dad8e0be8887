// Every folder under cases/ is a failure scenario (README.md), replayed
// through the real runner against the simulated OpenNebula on one virtual
// clock and compared byte for byte with its log.expect. UPDATE_GOLDEN=1
// rewrites the goldens (review the diff).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from './driver';
import { parseTimeline } from './timeline';

const casesDir = join(import.meta.dirname, 'cases');
const cases = readdirSync(casesDir).sort();

describe('failure scenarios (the runner and simulated oned on a virtual clock)', () => {
  it('has scenarios', () => expect(cases.length).toBeGreaterThanOrEqual(15));
  it('refuses a timeline it cannot replay, naming the line and the grammar', () => {
    expect(() => parseTimeline('0 fail host 1\n5 fial host 1\n', 'cmd')).toThrow(/cmd:2: unknown command "fial host 1"; one of: fail host N/);
    expect(() => parseTimeline('on step-begun fence restart runner\n', 'cmd')).toThrow(/cmd:1: "on" takes one of step-started/);
    expect(() => parseTimeline('soon fail host 1\n', 'cmd')).toThrow(/cmd:1: a line starts with a time/);
    const t = parseTimeline('# c\n10 restore host 1\n-5 fail host 1\non call one.vm.action restart runner\n', 'cmd');
    expect(t.timed.map((e) => [e.at, e.words.join(' ')])).toEqual([[-5000, 'fail host 1'], [10000, 'restore host 1']]);
    expect(t.triggers).toMatchObject([{ event: 'call', what: 'one.vm.action', words: ['restart', 'runner'] }]);
  });
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

// Smoke test of the benchmarks' plumbing (not their figures): a tiny
// recovery run counts the calls it should, and plugin-size reads sizes.json.
import { afterAll, describe, expect, it } from 'vitest';
import { killAll } from '../../bench/lib/procs';
import { renderMarkdown } from '../../bench/lib/report';
import { run as pluginSize } from '../../bench/plugin-size';
import { run as recovery } from '../../bench/recovery-1000';

afterAll(() => killAll());

describe('bench smoke', () => {
  it('recovery: both sides recover every VM, with the expected calls', async () => {
    const r = await recovery({ vms: 24, runs: 1 });
    const row = (m: string) => r.rows.find((x) => x.metric.startsWith(m))!;
    expect(row('VMs recovered').verdict).toBe('PASS');
    // oneha: host.info + infoset + datastorepool + hostpool (the plan's capacity) + fresh infoset + 24 actions.
    expect(row('oneha calls').value).toBe('29');
    // host_error.rb: pool + datastorepool + 24 x (vm.info + resched).
    expect(row('baseline calls').value).toBe('50');
    expect(renderMarkdown(r)).toContain('| oneha / floor |');
  });

  it('plugin-size: a verdict, or "not built"', async () => {
    const r = await pluginSize();
    expect(r.rows.length).toBeGreaterThan(0);
    expect(['PASS', 'FAIL', 'N/A']).toContain(r.rows[0].verdict);
  });
});

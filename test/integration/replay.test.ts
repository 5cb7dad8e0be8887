// A journaled step can be run again by hand: the journal holds the function
// each step ran and its exact input (step-started), so
//   oneha show <recovery> --step select --input > in.json
//   oneha invoke select --input in.json
// gives the journaled output again. Real processes: simulator, runner, CLI.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, killAll, run } from '../helpers/processes';
import { startRunnerWithRecovery, type RunnerHandle } from '../helpers/runnerProcess';

let r: RunnerHandle;
let recoveryId = '';
const dir = mkdtempSync(join(tmpdir(), 'oneha-replay-'));
const cli = (args: string[]) => run(process.execPath, [BUNDLE, ...args], { env: { ...r.env, ONEHA_URL: r.url } });

beforeAll(async () => {
  ({ r, recoveryId } = await startRunnerWithRecovery());
});
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('replaying a journaled step through oneha invoke', () => {
  it('select: the journaled input run again gives the journaled output', async () => {
    const input = await cli(['show', recoveryId, '--step', 'select', '--input']);
    expect(input.code, input.stderr).toBe(0);
    expect(input.stderr).toContain('oneha invoke select --input');
    const journaled = JSON.parse(input.stdout);
    // the exact input, not a summary: the host, every VM and datastore read, the options
    expect(journaled.host.id).toBe(1);
    expect(journaled.vms.length).toBeGreaterThan(0);
    expect(journaled.options).toMatchObject({ mode: 'migrate', pause: 0 });
    const file = join(dir, 'select.json');
    writeFileSync(file, input.stdout);

    const again = await cli(['invoke', 'select', '--input', file]);
    expect(again.code, again.stderr).toBe(0);
    const output = await cli(['show', recoveryId, '--step', 'select', '--output']);
    expect(JSON.parse(again.stdout)).toEqual(JSON.parse(output.stdout));
    expect(JSON.parse(again.stdout).actions.length).toBeGreaterThan(0);
  });

  it('recover names the function it ran (migrate here) and journals exactly what it was given', async () => {
    const step = (await r.api('GET', `/v1/recoveries/${recoveryId}/steps/recover`)).json;
    expect(step.fn).toBe('migrate');
    const plan = (await r.api('GET', `/v1/recoveries/${recoveryId}/steps/select`)).json.output;
    expect(step.input.actions).toEqual(plan.actions);
    // dry run through the CLI: the same input, re-read against oned, changes nothing (each VM has moved already)
    const file = join(dir, 'recover.json');
    writeFileSync(file, JSON.stringify(step.input));
    const again = await cli(['invoke', 'migrate', '--input', file, '--dry-run']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).outcomes.map((o: { outcome: string }) => o.outcome)).toEqual(plan.actions.map(() => 'already-done'));
  });

  it('an unknown step is a 404 that lists the steps the recovery has', async () => {
    const res = await r.api('GET', `/v1/recoveries/${recoveryId}/steps/nope`);
    expect(res.status).toBe(404);
    expect(res.json.error.message).toMatch(/steps: decode, wait, fence, inventory, select, recover, verify, finish/);
  });
});

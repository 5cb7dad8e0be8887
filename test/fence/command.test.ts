// A fence_host.sh-style command as a fence method, with a script that reads
// its stdin the way OpenNebula's ft/fence_host.sh does (base64 -d | xmllint
// --xpath of /HOST/TEMPLATE/FENCE_IP).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FenceMethod } from '../../model/fence';
import { JsonLogger } from '../../runner/log';
import { createFenceRig, testHost, type FenceRig } from '../helpers/bmc/fenceRig';
import { requireTools, TOOLS } from '../helpers/bmc/tools';

let dir: string;
let rig: FenceRig;

const FENCE_HOST_SH = (out: string) => `#!/bin/sh
# The shape of OpenNebula's remotes/hooks/ft/fence_host.sh
HOST_TEMPLATE=$(cat)
FENCE_IP=$(echo "$HOST_TEMPLATE" | base64 -d | xmllint --xpath 'string(/HOST/TEMPLATE/FENCE_IP)' -)
NAME=$(echo "$HOST_TEMPLATE" | base64 -d | xmllint --xpath 'string(/HOST/NAME)' -)
if [ -z "$FENCE_IP" ]; then echo "Fence ip not found" >&2; exit 1; fi
echo "$FENCE_IP $NAME" > '${out}'
exit "\${FENCE_EXIT:-0}"
`;

const alive = (pid: number) => {
  try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
};

beforeAll(() => {
  requireTools(TOOLS.xmllint);
  dir = mkdtempSync(join(tmpdir(), 'oneha-fencecmd-'));
  writeFileSync(join(dir, 'fence_host.sh'), FENCE_HOST_SH(join(dir, 'out')), { mode: 0o755 });
  rig = createFenceRig();
});
afterAll(() => {
  rig?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('fence command (fence_host.sh compatible)', () => {
  const cmd = (command: string): FenceMethod => ({ kind: 'command', command });

  it('hands the script the base64 host XML; exit 0 = fenced, flagged unverified', async () => {
    const r = await rig.fence(testHost(11, { FENCE_IP: '10.1.2.3' }), [cmd(join(dir, 'fence_host.sh'))]);
    expect(r).toMatchObject({ outcome: 'fenced', verified: false });
    expect(r.evidence).toMatch(/command exited 0/);
    expect(r.power).toBeUndefined();
    expect(readFileSync(join(dir, 'out'), 'utf8').trim()).toBe('10.1.2.3 node11');
  });

  it('fails on a non-zero exit, quoting what the script said', async () => {
    const r = await rig.fence(testHost(12, {}), [cmd(join(dir, 'fence_host.sh'))]);
    expect(r.outcome).toBe('failed');
    expect(r.reason).toMatch(/the fence command exited 1: Fence ip not found/);
    // the attempt is logged once (by the fence step, not again by the port), then the verdict;
    // the fence level has its own name: "level" is the severity
    const lines = rig.logLines.map((l) => JSON.parse(l)).filter((l) => l.hostId === 12 && /Fence ip not found/.test(l.msg));
    expect(lines.map((l) => l.level)).toEqual(['warn', 'error']);
    expect(lines[0]).toMatchObject({ level: 'warn', fenceLevel: 1, action: 'off', ok: false });
    const json: string[] = [];
    new JsonLogger({ write: (l) => json.push(l) }).warn(lines[0].msg, { hostId: 12, fenceLevel: 1 });
    expect(JSON.parse(json[0])).toMatchObject({ level: 'warn', fenceLevel: 1 });
    expect(json[0]).not.toContain('level_');
    const r2 = await rig.fence(testHost(13, { FENCE_IP: '10.1.2.4' }), [cmd(`FENCE_EXIT=3 ${join(dir, 'fence_host.sh')}`)]);
    expect(r2.reason).toMatch(/exited 3/);
  });

  it('kills a command that hangs, with its children, at the deadline', async () => {
    const pidFile = join(dir, 'child.pid');
    const t0 = Date.now();
    const r = await rig.fence(testHost(14, { FENCE_IP: '10.1.2.5' }), [cmd(`sleep 30 & echo $! > '${pidFile}'; wait`)], {
      port: rig.port({ commandTimeoutMs: 500 }),
    });
    expect(Date.now() - t0).toBeLessThan(5000); // 10x the 0.5 s deadline; the command sleeps 30 s
    expect(r.outcome).toBe('failed');
    expect(r.reason).toMatch(/did not finish within 0.5 s \(killed\)/);
    expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });
});

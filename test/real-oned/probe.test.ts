// The readiness hook probe against a real oned: oneha's probe hook (install.sh's
// probe.hook, created with `onehook create`) is an API hook on one.hook.update.
// The runner, run as systemd runs it, updates that hook with a nonce; oned's
// real hook manager (onehem-server) runs the installed onehook.sh with $API,
// and the runner notes the probe and does nothing else. Every assertion on
// the hook side reads oned: the hook's template and its execution records.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callInfoXml } from '../../sim/xml';
import { killAll, startProcess, until, type Proc } from '../helpers/processes';
import { call, hookExecutions, hookId, runnerEnv, xml, type Layout } from './oned';
import { onedReady, onedRelease } from './ready';

let l: Layout;
let probeHook: number;
let proc: Proc | undefined;
let hookEnv = '';
let hookEnvText = '';
const t0 = Date.now();

async function api(path: string): Promise<any> {
  const token = readFileSync(join(l.prefix, 'etc/oneha/token'), 'utf8').trim();
  const res = await fetch(`http://127.0.0.1:${l.runnerPort}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}
/** The hook part of a fresh computation (it waits for its probe up to readiness.probeTimeoutSeconds). */
const hookPart = async () => (await api('/v1/readiness?refresh=1')).hosts[0].parts.find((p: { key: string }) => p.key === 'hook');

beforeAll(async () => {
  l = await onedReady();
  probeHook = await hookId('oneha_probe');
  hookEnv = join(l.prefix, 'etc/oneha/hook.env');
  hookEnvText = readFileSync(hookEnv, 'utf8');
  proc = await startProcess([join(l.prefix, 'usr/lib/oneha/oneha.mjs'), 'serve'], runnerEnv(l), (x) => x.includes('start-up reconciliation'), 60_000);
});
// Registered first, so run last (after hooks run in reverse): the next file's turn once this one's runner has stopped.
afterAll(() => onedRelease());
afterAll(async () => {
  if (hookEnvText) writeFileSync(hookEnv, hookEnvText); // owner and mode stay (oneadmin, 0600)
  if (proc && proc.child.exitCode === null) {
    const exited = proc.exited;
    proc.child.kill('SIGTERM');
    await exited;
  }
  killAll();
});

describe('the readiness hook probe on a real oned', () => {
  it('comes back through oned\'s hook manager: the part passes, oned recorded onehook.sh\'s run, nothing was journaled, $API is what the simulator sends', async () => {
    const part = await until(async () => ((p) => (p.ok === true ? p : undefined))(await hookPart()), 300_000, 'the probe back');
    expect(part.detail).toMatch(/^hook \d+ \(oneha_host_error: oneha\/onehook.sh\) installed; .*the probe sent at \S+ came back through oned's hook manager in \d+\.\d s/);
    // oned's side: the nonce merged into the probe hook's template, and the run that carried it.
    const nonce = String(xml(await call('one.hook.info', probeHook, false)).HOOK[0].TEMPLATE.ONEHA_PROBE);
    expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    const runs = await hookExecutions(probeHook);
    const matched = runs.filter((r) => r.rc === 0 && r.stdout === 'oneha: probe matched\n');
    expect(matched.length, JSON.stringify(runs)).toBeGreaterThan(0);
    // The CALL_INFO the real hook manager passed for the last one.hook.update is, byte for byte, what the simulator passes.
    const info = xml(await call('one.hook.info', probeHook, false)).HOOK[0];
    const last = [info.HOOKLOG.HOOK_EXECUTION_RECORD].flat().at(-1);
    const text = `ONEHA_PROBE = "${nonce}"`;
    expect(Buffer.from(String(last.ARGUMENTS), 'base64').toString('utf8'))
      .toBe(callInfoXml(true, ['****', String(probeHook), text, '1'], ['true', String(probeHook), '0']));
    // A test event is not a failure: no recovery since this file started, no hook event counted.
    expect(((await api('/v1/recoveries?limit=100')).recoveries as Array<{ receivedAt: number }>).filter((r) => r.receivedAt >= t0)).toEqual([]);
  });

  it('a wrong token in hook.env: the probe is lost, the part fails with exit 2 from the probe hook\'s own record; fixed, it passes again', async () => {
    writeFileSync(hookEnv, hookEnvText.replace(/^ONEHA_TOKEN=.*$/m, 'ONEHA_TOKEN=not-the-token'));
    const lost = await until(async () => ((p) => (p.ok === false && / exited 2,/.test(p.detail) ? p : undefined))(await hookPart()), 400_000, 'the probe counted lost');
    expect(lost.detail).toMatch(/did not come back within 60 s; onehook.sh \(execution \d+ at \S+\) exited 2, the runner refused its token: oneha: wrong token \(401\)$/);
    expect(lost.fix).toMatch(/ONEHA_TOKEN/);
    writeFileSync(hookEnv, hookEnvText);
    await until(async () => (await hookPart()).ok === true || undefined, 300_000, 'the probe back');
  });
});

// `oneha hook host-error` as an operator would point an existing hook's
// COMMAND at it: real CLI process, real simulator process, real XML-RPC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MUTATING_METHODS } from '../../sim/rpc';
import { BUNDLE, hostPayload, rawCall, killAll, requireBuild, ROOT, run, sim, startSim, tempDir, writeFile } from '../helpers/processes';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';

let s: Awaited<ReturnType<typeof startSim>>;
let dir: string;
const mutating = async () => ((await sim(s.control, 'GET', '/calls')).calls as { method: string; params: unknown[]; ok: boolean }[])
  .filter((c) => MUTATING_METHODS.has(c.method)).map((c) => `${c.method}(${c.params.slice(1).map((p) => JSON.stringify(p)).join(', ')})`);

beforeAll(async () => {
  requireBuild();
  dir = tempDir();
  writeFile(dir, 'one_auth', 'oneadmin:oneadmin\n');
  writeFile(dir, 'bad_auth', 'oneadmin:wrong\n');
  // An operator's fence_host.sh: base64 host XML on stdin, exit 0 = fenced.
  writeFile(dir, 'x.sh', `#!/bin/sh\nbase64 -d | grep -o '<FENCE_IP><!\\[CDATA\\[[^]]*' > "${dir}/fenced"\nexit 0\n`, 0o755);
  writeFile(dir, 'fail.sh', '#!/bin/sh\ncat >/dev/null\necho "BMC says no" >&2\nexit 1\n', 0o755);
});
afterAll(() => killAll());

/** Through `oneha` (bin/oneha.mjs, the ES module entry), or as /usr/bin/oneha runs it: its own CommonJS build. */
const ENTRY = { cli: join(ROOT, 'bin', 'oneha.mjs'), installed: join(ROOT, 'dist', 'oneha-dropin.cjs') };
const hook = (payload: string, env: Record<string, string>, fence = join(dir, 'x.sh'), entry = ENTRY.cli) =>
  run(process.execPath, [entry, 'hook', 'host-error', '--fence-command', fence], {
    input: payload, cwd: dir, env: { ONE_XMLRPC: s.url, ONE_AUTH: join(dir, 'one_auth'), HOME: dir, ONEHA_CONFIG: '', ...env },
  });

describe('oneha hook host-error (drop-in for host_error.rb)', () => {
  beforeAll(async () => {
    s = await startSim('sample');
    await sim(s.control, 'POST', '/hosts/1/fail');
  });

  it('makes exactly the expected one.vm.action / one.vm.recover calls, after the fence command ran (run as /usr/bin/oneha runs it)', async () => {
    await sim(s.control, 'DELETE', '/calls');
    // The steps after decode and the fence come from dist/oneha-dropin-later.cjs, on the first file's modules.
    const r = await hook(await hostPayload(s.url, 1, '-m -p 0'), {}, join(dir, 'x.sh'), ENTRY.installed);
    expect(r.stderr).toMatch(/host=1 .*resched done: one\.vm\.action\("resched", 41\)/);
    expect(r.code).toBe(0);
    expect(await mutating()).toEqual(['one.vm.action("resched", 41)', 'one.vm.action("resched", 44)', 'one.host.status(1, 1)']);
    // The fence command got the host XML (fence_host.sh reads FENCE_IP from it).
    expect(readFileSync(join(dir, 'fenced'), 'utf8')).toContain('10.0.100.12');
    // One line per decision, with the host id, in the spirit of host_error.rb's log.
    expect(r.stderr).toMatch(/\[I\] host=1 vm=42 VM 42 \(db-01\) left alone: system datastore 100/);
    expect(r.stderr).toMatch(/finished: completed/);
  });

  it('exit 255 and no VM touched when fencing fails', async () => {
    // The first recovery left the host DISABLED; an operator enables it, then it fails again.
    await rawCall(s.url, 'one.host.status', [1, 0]);
    await sim(s.control, 'POST', '/hosts/1/fail');
    await sim(s.control, 'DELETE', '/calls');
    const r = await hook(await hostPayload(s.url, 1, '-r -p 0'), {}, join(dir, 'fail.sh'));
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/BMC says no/);
    expect(await mutating()).toEqual([]);
  });

  it('bad arguments: exit 2 with the reason', async () => {
    const r = await hook(await hostPayload(s.url, 1, '-m -x'), {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown flag "-x"/);
    const r2 = await hook('!!notbase64 -m', {});
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/not base64/);
  });

  it('wrong credentials: exit 3 with AUTHENTICATION', async () => {
    const r = await hook(await hostPayload(s.url, 1, '-m -p 1'), { ONE_AUTH: join(dir, 'bad_auth') });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/AUTHENTICATION: \[one\.host\.info\] User couldn't be authenticated/);
  });

  it('oned unreachable: exit 3 naming the endpoint', async () => {
    const r = await hook(await hostPayload(s.url, 1, '-m -p 0'), { ONE_XMLRPC: 'http://127.0.0.1:9/RPC2' });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach oned at http:\/\/127\.0\.0\.1:9\/RPC2: connection refused/);
  }, 60_000);

  it('the payload can also come on argv (ARGUMENTS_STDIN = no)', async () => {
    await rawCall(s.url, 'one.host.status', [1, 0]);
    await sim(s.control, 'POST', '/hosts/1/fail');
    const payload = await hostPayload(s.url, 1, '-d -p 0');
    const r = await run(process.execPath, [BUNDLE, 'hook', 'host-error', '--fence-command', join(dir, 'x.sh'), ...payload.split(' ')], {
      cwd: dir, env: { ONE_XMLRPC: s.url, ONE_AUTH: join(dir, 'one_auth'), HOME: dir },
    });
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'fenced'))).toBe(true);
  });

  it('on a terminal, the wait counts down to fencing; in a log it does not', async () => {
    await rawCall(s.url, 'one.host.status', [1, 0]);
    await sim(s.control, 'POST', '/hosts/1/fail');
    const payload = writeFile(dir, 'payload', await hostPayload(s.url, 1, '-m -p 1'));
    const config = writeFile(dir, 'wait.json', JSON.stringify({ monitoring: { intervalSeconds: 3, pollSeconds: 0.5 } }));
    const env = { ONE_XMLRPC: s.url, ONE_AUTH: join(dir, 'one_auth'), HOME: dir, ONEHA_CONFIG: config };
    const cmd = `${process.execPath} ${join(ROOT, 'bin', 'oneha.mjs')} hook host-error --fence-command ${join(dir, 'x.sh')} < ${payload}`;
    const tty = await run('script', ['-qec', cmd, '/dev/null'], { cwd: dir, env });
    expect(tty.stdout).toMatch(/waiting for host 1 to come back: \d+ s left before fencing/);
    expect(tty.stdout).toMatch(/finished: completed/);
    await rawCall(s.url, 'one.host.status', [1, 0]);
    await sim(s.control, 'POST', '/hosts/1/fail');
    const plain = await hook(await hostPayload(s.url, 1, '-m -p 1'), { ONEHA_CONFIG: config });
    expect(plain.stderr).not.toMatch(/left before fencing/);
    expect(plain.stderr).toMatch(/waiting 1 cycles of 3s/);
  }, 60_000);
});


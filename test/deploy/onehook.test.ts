// deploy/onehook/onehook.sh against a fake runner, run the way OpenNebula's
// hook execution manager runs a hook (see hookHarness.ts).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import {
  accepted, freePort, HOOK_SCRIPT, hookEnvDir, hookPayload, REPO, rejected, runHook, startFakeRunner,
  type FakeRunner,
} from './hookHarness';

const TOKEN = '3f1c9a0be2d84c7e95a61d0f7b2e4c88a9d3e6f1b0c25a7d84e9f6a3c1b0d2e4';

type Ctx = Pick<TestContext, 'onTestFinished'>;

async function runner(ctx: Ctx, answer: Parameters<typeof startFakeRunner>[0], port?: number): Promise<FakeRunner> {
  const r = await startFakeRunner(answer, port);
  ctx.onTestFinished(() => r.close());
  return r;
}

function envFor(ctx: Ctx, url: string, token = TOKEN) {
  const { dir, envFile } = hookEnvDir(url, token);
  ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, env: { ONEHA_HOOK_ENV: envFile } };
}

// Independent tests (own runner, own port, own temp dir): run them side by side,
// which keeps the several-second retry/budget cases from adding up.
describe.concurrent('deploy/onehook/onehook.sh', () => {
  it('is executable and POSIX sh (HEM runs COMMAND directly)', ({ expect }) => {
    expect(readFileSync(HOOK_SCRIPT, 'utf8').startsWith('#!/bin/sh\n')).toBe(true);
    execFileSync('test', ['-x', HOOK_SCRIPT]);
  });

  it('delivers the payload byte for byte with the bearer token and prints the recovery id', async (ctx) => {
    const { expect } = ctx;
    const r = await runner(ctx, () => accepted('r-42'));
    const { dir, env } = envFor(ctx, r.url);
    const payload = hookPayload('-m -p 5');
    const run = await runHook({ payload, env, cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`oneha: recovery r-42 accepted ${r.url}/v1/recoveries/r-42\n`);
    expect(r.received).toHaveLength(1);
    const [req] = r.received;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/hooks/host-error');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.headers['content-type']).toBe('text/plain');
    expect(req.body.equals(payload)).toBe(true); // no newline added, nothing re-encoded
  });

  it('an API hook\'s $API (the probe hook) goes to /v1/hooks/probe, unchanged, and prints what the runner made of it', async (ctx) => {
    const { expect } = ctx;
    const r = await runner(ctx, (req) => ({ status: 200, json: req.url === '/v1/hooks/probe' ? { probe: 'matched', sentAt: 1, returnedAt: 2 } : {} }));
    const { dir, env } = envFor(ctx, r.url);
    // What a real oned's hook manager writes: base64 of "<CALL_INFO>\n  <RESULT>1...", no newline.
    const payload = Buffer.from(Buffer.from('<CALL_INFO>\n  <RESULT>1</RESULT>\n</CALL_INFO>').toString('base64'));
    const run = await runHook({ payload, env, cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('oneha: probe matched\n');
    expect(r.received.map((x) => x.url)).toEqual(['/v1/hooks/probe']);
    expect(r.received[0].body.equals(payload)).toBe(true);
    expect(r.received[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('keeps trailing newlines and odd bytes exactly as given', async (ctx) => {
    const { expect } = ctx;
    const r = await runner(ctx, () => accepted());
    const { dir, env } = envFor(ctx, r.url + '/'); // a trailing slash in ONEHA_URL is fine too
    const payload = Buffer.concat([hookPayload('-r -f -p 0'), Buffer.from('\t \n\n')]);
    const run = await runHook({ payload, env, cwd: dir });
    expect(run.code).toBe(0);
    expect(r.received[0].url).toBe('/v1/hooks/host-error');
    expect(r.received[0].body.equals(payload)).toBe(true);
  });

  it('reports joined / duplicate answers as success', async (ctx) => {
    const { expect } = ctx;
    const r = await runner(ctx, () => accepted('r-1', 'duplicate'));
    const { dir, env } = envFor(ctx, r.url);
    const run = await runHook({ payload: hookPayload(), env, cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('recovery r-1 duplicate');
  });

  it('reaches a local runner even with a proxy or a ~/.curlrc in the hook\'s environment', async (ctx) => {
    const { expect } = ctx;
    const r = await runner(ctx, () => accepted());
    const { dir, env } = envFor(ctx, r.url);
    writeFileSync(join(dir, '.curlrc'), 'header = "Authorization: Bearer from-curlrc"\nproxy = "http://127.0.0.1:9"\n');
    const run = await runHook({
      payload: hookPayload(), cwd: dir,
      env: { ...env, HOME: dir, http_proxy: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', all_proxy: 'http://127.0.0.1:9' },
    });
    expect(run.code).toBe(0);
    expect(r.received[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('takes the payload from argv when the hook has ARGUMENTS_STDIN = no', async (ctx) => {
    const { expect } = ctx;
    const r = await runner(ctx, () => accepted());
    const { dir, env } = envFor(ctx, r.url);
    const words = hookPayload('-m -p 5').toString().split(' ');
    const run = await runHook({ args: words, payload: '', env, cwd: dir });
    expect(run.code).toBe(0);
    expect(r.received[0].body.toString()).toBe(words.join(' '));
  });

  it('never puts the token on a command line (ps would show it)', async (ctx) => {
    const { expect } = ctx;
    const r = await runner(ctx, () => accepted());
    const { dir, env } = envFor(ctx, r.url);
    const realCurl = execFileSync('sh', ['-c', 'command -v curl']).toString().trim();
    const shim = join(dir, 'bin');
    const log = join(dir, 'curl-argv.log');
    execFileSync('mkdir', ['-p', shim]);
    writeFileSync(join(shim, 'curl'), `#!/bin/sh\nprintf '%s\\n' "$@" >> '${log}'\nexec '${realCurl}' "$@"\n`);
    chmodSync(join(shim, 'curl'), 0o755);
    const run = await runHook({ payload: hookPayload(), env: { ...env, PATH: `${shim}:${process.env.PATH}` }, cwd: dir });
    expect(run.code).toBe(0);
    const argv = readFileSync(log, 'utf8');
    expect(argv).toContain('/v1/hooks/host-error'); // the shim really ran
    expect(argv).not.toContain(TOKEN);
    expect(r.received[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('a wrong token fails at once with a clear message', async (ctx) => {
    const { expect } = ctx;
    const r = await runner(ctx, () => rejected(401, 'unauthorized', 'missing or wrong bearer token'));
    const { dir, env } = envFor(ctx, r.url, 'not-the-token');
    const run = await runHook({ payload: hookPayload(), env, cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('oneha: wrong token (401)\n');
    expect(r.received).toHaveLength(1); // no retries: retrying cannot help
  });

  it('a malformed payload (400) fails at once with the runner\'s message', async (ctx) => {
    const { expect } = ctx;
    const msg = 'unknown flag "-x": host_error flags are -m, -r, -d, -f, -p N, -u';
    const r = await runner(ctx, () => rejected(400, 'unknown-flag', msg));
    const { dir, env } = envFor(ctx, r.url);
    const run = await runHook({ payload: hookPayload('-m -x'), env, cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(`oneha: payload rejected: ${msg} (400)\n`);
    expect(r.received).toHaveLength(1);
  });

  it('a payload too large (413) fails at once', async (ctx) => {
    const { expect } = ctx;
    const r = await runner(ctx, () => rejected(413, 'too-large', 'payload larger than 1 MiB'));
    const { dir, env } = envFor(ctx, r.url);
    const run = await runHook({ payload: hookPayload(), env, cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('oneha: payload rejected: payload larger than 1 MiB (413)\n');
  });

  it('retries while the runner is down (~2 s) and succeeds once it is up', async (ctx) => {
    const { expect } = ctx;
    const port = await freePort();
    const { dir, env } = envFor(ctx, `http://127.0.0.1:${port}`);
    const payload = hookPayload();
    let r: FakeRunner | undefined;
    const up = new Promise<void>((resolve) => setTimeout(async () => {
      r = await runner(ctx, () => accepted('r-late'), port);
      resolve();
    }, 2000));
    const run = await runHook({ payload, env: { ...env, ONEHA_HOOK_BUDGET: '10' }, cwd: dir });
    await up;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('recovery r-late accepted');
    expect(run.ms).toBeGreaterThanOrEqual(2000);
    expect(r!.received).toHaveLength(1);
    expect(r!.received[0].body.equals(payload)).toBe(true);
  }, 15_000);

  it('retries a runner that cannot accept (503) and resends the same bytes', async (ctx) => {
    const { expect } = ctx;
    const r = await runner(ctx, (_req, n) => (n < 2 ? rejected(503, 'unavailable', 'starting') : accepted('r-3')));
    const { dir, env } = envFor(ctx, r.url);
    const payload = hookPayload('-d -p 1');
    const run = await runHook({ payload, env, cwd: dir });
    expect(run.code).toBe(0);
    expect(r.received).toHaveLength(3);
    for (const req of r.received) expect(req.body.equals(payload)).toBe(true);
    // backoff between tries: ~1 s then ~2 s
    expect(r.received[1].at - r.received[0].at).toBeGreaterThanOrEqual(900);
    expect(r.received[2].at - r.received[1].at).toBeGreaterThanOrEqual(1900);
  }, 15_000);

  it('gives up within its budget when the runner stays down', async (ctx) => {
    const { expect } = ctx;
    const port = await freePort();
    const { dir, env } = envFor(ctx, `http://127.0.0.1:${port}`);
    const run = await runHook({ payload: hookPayload(), env: { ...env, ONEHA_HOOK_BUDGET: '3' }, cwd: dir });
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(`oneha: runner unreachable at http://127.0.0.1:${port} for 3s (last: connection refused)\n`);
    expect(run.ms).toBeGreaterThanOrEqual(2000); // it did wait and retry
    expect(run.ms).toBeLessThan(30_000); // 10x the budget: it gave up by itself
  }, 45_000);

  it('gives up within its budget when the runner answers 503 throughout', async (ctx) => {
    const { expect } = ctx;
    const r = await runner(ctx, () => rejected(503, 'unavailable', 'journal full'));
    const { dir, env } = envFor(ctx, r.url);
    const run = await runHook({ payload: hookPayload(), env: { ...env, ONEHA_HOOK_BUDGET: '3' }, cwd: dir });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^oneha: runner unreachable at http:\/\/127\.0\.0\.1:\d+ for 3s \(last: HTTP 503\)\n$/);
    expect(r.received.length).toBeGreaterThanOrEqual(2);
    expect(run.ms).toBeLessThan(30_000); // 10x the budget
  }, 45_000);

  it('a runner that accepts the connection but never answers cannot hold the hook past its budget', async (ctx) => {
    const { expect } = ctx;
    const r = await runner(ctx, () => 'hang');
    const { dir, env } = envFor(ctx, r.url);
    const run = await runHook({ payload: hookPayload(), env: { ...env, ONEHA_HOOK_BUDGET: '3' }, cwd: dir });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('(last: timed out)');
    expect(run.ms).toBeLessThan(30_000); // 10x the budget
  }, 45_000);

  it('fails clearly without its settings file or without a payload', async (ctx) => {
    const { expect } = ctx;
    const dir = mkdtempSync(join(tmpdir(), 'oneha-hook-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const missing = join(dir, 'nope.env');
    const noEnv = await runHook({ payload: hookPayload(), env: { ONEHA_HOOK_ENV: missing }, cwd: dir });
    expect(noEnv.code).toBe(1);
    expect(noEnv.stderr).toBe(`oneha: cannot read ${missing}\n`);

    const r = await runner(ctx, () => accepted());
    const { env } = envFor(ctx, r.url);
    const empty = await runHook({ payload: '', env, cwd: dir });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('empty hook payload');
    expect(r.received).toHaveLength(0);
  });
});

describe('deploy/onehook/host_error.hook', () => {
  const text = readFileSync(join(REPO, 'deploy/onehook/host_error.hook'), 'utf8');
  const attrs = Object.fromEntries(
    text.split('\n')
      .filter((l) => /^[A-Z_]+\s*=/.test(l))
      .map((l) => {
        const m = /^([A-Z_]+)\s*=\s*"?(.*?)"?\s*$/.exec(l)!;
        return [m[1], m[2]];
      }),
  );

  it('is the state hook on HOST ERROR that runs onehook.sh with host_error.rb\'s arguments on stdin', () => {
    expect(attrs).toEqual({
      NAME: 'oneha_host_error',
      TYPE: 'state',
      RESOURCE: 'HOST',
      STATE: 'ERROR',
      REMOTE: 'no',
      COMMAND: 'oneha/onehook.sh',
      ARGUMENTS: '$TEMPLATE -m -p 5',
      ARGUMENTS_STDIN: 'yes', // only the literal yes works (HOOKS.md §2)
      TIMEOUT: '60',
    });
  });

  it('TIMEOUT leaves room for the script\'s retry budget (install.test.ts checks where COMMAND points)', () => {
    const budget = Number(/budget=\$\{ONEHA_HOOK_BUDGET:-(\d+)\}/.exec(readFileSync(HOOK_SCRIPT, 'utf8'))![1]);
    expect(budget + 1 + 5).toBeLessThanOrEqual(Number(attrs.TIMEOUT)); // +1 s clock granularity, +5 s slack
  });
});

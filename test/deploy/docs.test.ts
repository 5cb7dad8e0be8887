// The docs and examples describe what is shipped: every config key and
// environment variable is documented, links resolve, the hook script's exit
// codes are explained, and the runbook covers the cases it must.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_MEANING, exitCodeTable } from '../../runner/cli/exitCodes';
import { usage } from '../../runner/cli/main';
import { HOOK_SCRIPT, REPO } from './hookHarness';
import { hostRef } from '../../model/hostPolicy/secretRef';

const read = (p: string) => readFileSync(join(REPO, p), 'utf8');
const DOCS = ['configuration.md', 'host-settings.md', 'runbook.md', 'timers.md', 'upgrade-from-host_error.md'];

/** "a.b.c" for every leaf of a JSON object (a record like fence.options counts as a leaf). */
function leafKeys(o: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length && k !== 'options'
      ? leafKeys(v as Record<string, unknown>, `${prefix}${k}.`)
      : [`${prefix}${k}`]);
}

describe('docs', () => {
  it('all five guides exist', () => {
    for (const d of DOCS) expect(existsSync(join(REPO, 'docs', d)), d).toBe(true);
  });

  it('configuration.md documents every key of oneha.json.example and every key oneha promises', () => {
    const doc = read('docs/configuration.md');
    const example = JSON.parse(read('deploy/oneha.json.example'));
    const promised = [
      'listen', 'tokenFile', 'dataDir', 'one.endpoint', 'one.authFile', 'one.timeoutMs', 'concurrency.vms', 'concurrency.flows',
      'defaults.mode', 'defaults.pause', 'defaults.fencing', 'fence.command', 'fence.agent', 'fence.options', 'fence.timeoutMs',
      'fence.retries', 'brakes.massFailure.share', 'brakes.massFailure.count', 'brakes.massFailure.windowSeconds',
      'afterRecovery.hostStatus', 'journal.store', 'verify.pollSeconds', 'verify.deadlineSeconds.migrate', 'verify.retries',
      'verify.recreate', 'verify.backoffSeconds', 'verify.unlockLocked', 'retries.deadlineSeconds',
    ];
    for (const k of new Set([...leafKeys(example), ...promised])) expect(doc, k).toContain(`\`${k}\``);
    expect(example.concurrency.vms).toBe(8);
    expect(example.brakes.massFailure.share).toBe(0.5);
  });

  it('every environment variable is in oneha.env.example and configuration.md', () => {
    const env = read('deploy/oneha.env.example');
    const doc = read('docs/configuration.md');
    for (const v of ['ONE_XMLRPC', 'ONE_AUTH', 'ONEHA_LISTEN', 'ONEHA_TOKEN_FILE', 'ONEHA_DATA_DIR', 'ONEHA_FENCE_COMMAND',
      'ONEHA_CONFIG', 'ONEHA_SECRETS_FILE', 'ONEHA_FENCE_USERNAME', 'ONEHA_FENCE_PASSWORD', 'ONEHA_URL']) {
      expect(env, v).toMatch(new RegExp(`^#?${v}=`, 'm'));
      expect(doc, v).toContain(`\`${v}\``);
    }
    // and nothing in the example is undocumented
    for (const m of env.matchAll(/^#?([A-Z_]+)=/gm)) expect(doc, m[1]).toContain(`\`${m[1]}\``);
    // the hook script's own variables
    for (const v of ['ONEHA_HOOK_ENV', 'ONEHA_HOOK_BUDGET']) {
      expect(readFileSync(HOOK_SCRIPT, 'utf8')).toContain(v);
      expect(doc).toContain(`\`${v}\``);
    }
  });

  it('relative links between docs and to deploy/ resolve', () => {
    for (const d of DOCS) {
      const text = read(`docs/${d}`);
      for (const m of text.matchAll(/\]\(([^)#:\s]+)(#[^)]*)?\)/g)) {
        expect(existsSync(join(REPO, 'docs', m[1])), `${d} links to ${m[1]}`).toBe(true);
      }
    }
  });

  it('the runbook explains every exit code of the hook script', () => {
    const codes = [...readFileSync(HOOK_SCRIPT, 'utf8').matchAll(/\bfail (\d+) /g)].map((m) => m[1]);
    expect(new Set(codes)).toEqual(new Set(['1', '2', '3', '4']));
    const runbook = read('docs/runbook.md');
    for (const c of [...codes, '0', '255']) expect(runbook, `exit ${c}`).toMatch(new RegExp(`^\\| ${c} \\|`, 'm'));
  });

  it('the runbook covers held recoveries, fencing failures, returning hosts, replay, fence-test and onehook', () => {
    const runbook = read('docs/runbook.md');
    for (const s of ['## A recovery held after a mass failure', '## A fencing failure', '## A host comes back after being fenced',
      '## Replaying a recovery', '## Testing a host\'s fencing', '## Reading `onehook show` and `onehook retry`',
      'oneha release', 'oneha replay <id> --from', '--dry-run', 'oneha fence-test', 'onehost enable', 'onehook retry <hook id> <execution id>']) {
      expect(runbook, s).toContain(s);
    }
  });

  it('timers.md covers the monitord timers and SSH, with both worked examples', () => {
    const t = read('docs/timers.md');
    for (const s of ['BEACON_HOST', 'MONITORING_INTERVAL_HOST', 'MANAGER_TIMER', 'ConnectTimeout', '190 s', '34 s']) expect(t, s).toContain(s);
    // the worked example's totals are the sums of their rows
    const row = (label: string) => /\| ([^|]+) \| ([^|]+) \|$/m.exec(t.split('\n').find((l) => l.startsWith(`| ${label}`))!)!;
    const secs = (cell: string) => Number(/(\d+) s(?![\s\S]*\d+ s)/.exec(cell.replace(/\(.*\)/, ''))![1]);
    const labels = ['1. to ERROR', '2. pause', '3. fencing', '4. scheduler', '5. boot'];
    for (const col of [1, 2] as const) {
      const sum = labels.reduce((a, l) => a + secs(row(l)[col]), 0);
      const total = Number(/≈ (\d+) s/.exec(row('**total**')[col])![1]);
      expect(total, `column ${col}`).toBe(sum);
    }
  });

  it('the upgrade guide goes through the foreground drop-in, then the runner, and back', () => {
    const u = read('docs/upgrade-from-host_error.md');
    const stage1 = u.indexOf('## Stage 1');
    const stage2 = u.indexOf('## Stage 2');
    expect(stage1).toBeGreaterThan(0);
    expect(stage2).toBeGreaterThan(stage1);
    expect(u).toContain('oneha hook host-error');
    expect(u).toContain('ft/fence_host.sh');
    expect(u).toContain('/usr/share/oneha/host_error.hook');
    expect(u.match(/Roll back stage/g)).toHaveLength(2);
    const wrapper = read('deploy/onehook/host_error_foreground.sh');
    expect(wrapper).toContain('hook host-error');
    expect(wrapper).toContain('ft/fence_host.sh');
  });

  it('oneha.env.example describes the secrets file with the keys the runner looks up (host:<id>, not host names)', () => {
    const env = read('deploy/oneha.env.example');
    expect(hostRef(7)).toBe('host:7');
    expect(env).toContain('keyed "host:<id>"');
    expect(env).not.toMatch(/keyed by (the )?host name/i);
  });

  it('credentials are never suggested on a host template', () => {
    const hs = read('docs/host-settings.md');
    for (const block of hs.matchAll(/```sh\n([\s\S]*?)```/g)) expect(block[1]).not.toMatch(/PASSWORD|passw/i);
  });
});

describe('examples against the runner', () => {
  const configTs = join(REPO, 'runner/config.ts');

  it('oneha.json.example and the JSON examples in configuration.md pass the runner\'s config validation', async () => {
    expect(existsSync(configTs), 'runner/config.ts (the runner\'s config schema) is missing').toBe(true);
    const { loadConfig } = await import(/* @vite-ignore */ configTs) as { loadConfig: (env: Record<string, string>, o?: unknown) => unknown };
    const fs = await import('node:fs');
    const os = await import('node:os');
    const tmp = fs.mkdtempSync(join(os.tmpdir(), 'oneha-cfg-'));
    try {
      const blocks = [read('deploy/oneha.json.example'),
        ...[...read('docs/configuration.md').matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => !b.includes('password'))];
      expect(blocks.length).toBeGreaterThanOrEqual(2);
      for (const [i, b] of blocks.entries()) {
        const file = join(tmp, `c${i}.json`);
        fs.writeFileSync(file, b);
        expect(() => loadConfig({ ONEHA_CONFIG: file }), b).not.toThrow();
      }
      // the environment the installer writes is accepted too
      const env: Record<string, string> = {};
      for (const m of read('deploy/oneha.env.example').matchAll(/^([A-Z_]+)=(.*)$/gm)) env[m[1]] = m[2];
      env.ONEHA_CONFIG = join(REPO, 'deploy/oneha.json.example');
      expect(() => loadConfig(env)).not.toThrow();
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('the README lists the CLI\'s exit codes exactly as `oneha --help` does (one table, in runner/cli/exitCodes.ts)', () => {
    const readme = read('README.md');
    for (const [code, text] of Object.entries(EXIT_MEANING)) expect(readme).toContain(`| ${code} | ${text} |`);
    expect(usage()).toContain(exitCodeTable());
  });

  it('nothing cites a notes file the repository does not have (the API notes, by section)', () => {
    const cited = new RegExp(`\\b${['API', 'md'].join('\\.')} §`); // spelled so that this file does not match itself
    const files = execFileSync('git', ['ls-files'], { cwd: REPO, encoding: 'utf8' }).split('\n').filter((f) => /\.(ts|mjs|md|sh|json)$/.test(f));
    const citing = files.filter((f) => existsSync(join(REPO, f)) && cited.test(read(f)));
    expect(citing).toEqual([]);
  });

  it('every `oneha <command>` the docs use exists in the CLI', () => {
    const known = new Set([...usage().matchAll(/^ {2}oneha ([a-z-]+)/gm)].map((m) => m[1]));
    expect(known.size).toBeGreaterThan(3);
    const used = new Set<string>();
    for (const d of readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md'))) {
      for (const m of read(`docs/${d}`).matchAll(/`oneha ([a-z][a-z-]*)/g)) used.add(m[1]);
      for (const block of read(`docs/${d}`).matchAll(/```sh\n([\s\S]*?)```/g)) {
        for (const m of block[1].matchAll(/^\s*(?:\$ )?oneha ([a-z][a-z-]*)/gm)) used.add(m[1]);
      }
    }
    expect([...used].filter((c) => !known.has(c)), `docs use commands the CLI does not have (CLI: ${[...known].join(', ')})`).toEqual([]);
    expect(used.size).toBeGreaterThan(3);
  });
});

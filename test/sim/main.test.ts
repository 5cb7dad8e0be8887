// sim/main.ts as a child process: ready line, serving, SIGTERM.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { call } from './helpers';

const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function run(args: string[]) {
  const child = spawn(TSX, [join(ROOT, 'sim', 'main.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', resolve);
    child.on('exit', () => resolve(''));
  });
  return { child, exited, firstLine, stderr: () => stderr };
}

describe('sim/main.ts', () => {
  it('prints one ready line, serves the scenario, exits 0 on SIGTERM', async () => {
    const p = run(['--scenario', 'sim/scenarios/demo.json', '--port', '0']);
    const line = await p.firstLine;
    const ready = JSON.parse(line);
    expect(ready).toEqual({ ready: true, url: `http://127.0.0.1:${ready.port}/RPC2`, port: expect.any(Number) });
    expect((await call(ready.url, 'one.hostpool.info', []))[1]).toContain('<NAME>kvm-node-04</NAME>');
    expect((await call(ready.url, 'one.user.info', [-1], 'viewer:viewer'))[1]).toContain('<GNAME>users</GNAME>');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 15_000);

  it('built-in scenario names and clear errors', async () => {
    const p = run(['--scenario', 'sample']);
    const ready = JSON.parse(await p.firstLine);
    expect((await call(ready.url, 'one.vm.info', [46]))[1]).toContain('<NAME>worker-03</NAME>');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    const bad = run(['--scenario', join(ROOT, 'package.json')]);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('invalid scenario');
    expect(bad.stderr()).toContain('hosts');
  }, 15_000);
});

// Readiness through the real runner and CLI against the simulator over real
// XML-RPC: the API (list and one host), the CLI's tables, the Prometheus
// gauges, and the reads it takes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, killAll, requireBuild, run, startSim } from '../helpers/processes';
import { startRunner, type RunnerHandle } from '../helpers/runnerProcess';

const GB = 1024 * 1024;
const cloud = {
  hosts: [
    { id: 0, name: 'node-a', memory: 16 * GB, template: { FENCE_IP: '10.0.0.1' } },
    { id: 1, name: 'node-b', memory: 16 * GB, template: { FENCE_IP: '10.0.0.2', ONEHA_FENCING: 'NO' } },
    { id: 2, name: 'node-c', memory: 16 * GB, template: { FENCE_IP: '10.0.0.3', RESERVED_MEM: String(12 * GB) } },
  ],
  datastores: [
    { id: 0, name: 'system', type: 'SYSTEM', tmMad: 'shared' },
    { id: 1, name: 'default', type: 'IMAGE', tmMad: 'shared' },
    { id: 100, name: 'local_system', type: 'SYSTEM', tmMad: 'ssh', shared: 'NO' },
  ],
  vms: [
    { id: 10, name: 'db', state: 'RUNNING', memory: 8192, history: [{ hostId: 0, dsId: 0 }] },
    { id: 11, name: 'scratch', state: 'RUNNING', memory: 8192, history: [{ hostId: 0, dsId: 100 }], userTemplate: { ONEHA_HA: 'NO' } },
    { id: 12, name: 'web', state: 'RUNNING', memory: 1024, history: [{ hostId: 1, dsId: 100 }] },
    { id: 13, name: 'cache', state: 'RUNNING', memory: 2048, history: [{ hostId: 2, dsId: 0 }] },
  ],
};

let r: RunnerHandle;
beforeAll(async () => {
  requireBuild();
  const s = await startSim(cloud);
  r = await startRunner(s.url);
});
afterAll(() => killAll());

describe('readiness (API, CLI, metrics) against the simulator', () => {
  it('GET /v1/readiness: a score per host with its parts and fixes, and the reserve per cluster from three reads', async () => {
    const res = await r.api('GET', '/v1/readiness');
    expect(res.status, res.text).toBe(200);
    expect(res.json.reads).toEqual(['one.hostpool.info', 'one.vmpool.infoextended(-2, -1, -1, -1)', 'one.datastorepool.info']);
    const by = (id: number) => res.json.hosts.find((h: { hostId: number }) => h.hostId === id);
    const failing = (id: number) => by(id).parts.filter((p: { ok: boolean | null }) => p.ok === false).map((p: { key: string }) => p.key);
    // node-a: db (8 GB) has 15 GB free on node-b and 4 GB on node-c (12 GB reserved); scratch opted out.
    expect(failing(0)).toEqual([]);
    // node-b: fencing off; its VM is on a local datastore.
    expect(failing(1)).toEqual(['fencing', 'datastores']);
    expect(by(1).parts.find((p: { key: string }) => p.key === 'fencing').fix).toMatch(/ONEHA_FENCING = "YES"/);
    // Fenced by the runner's command: no credentials needed, no status-only test possible; hook and clock unknown here.
    expect(by(0).parts.find((p: { key: string }) => p.key === 'fenceTest').ok).toBeNull();
    expect(by(0).score).toBe(100);
    expect(by(1).score).toBe(42); // 25 of the 60 known points (no fence level: credentials and test unknown)
    expect(res.json.clusters[0]).toMatchObject({ clusterId: 0, hosts: 3 });
  });

  it('GET /v1/hosts/:id/readiness: one host with its cluster\'s reserve; 404 for no host, 400 for a bad id', async () => {
    const one = await r.api('GET', '/v1/hosts/2/readiness');
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ hostId: 2, hostName: 'node-c', cluster: { clusterId: 0 } });
    expect((await r.api('GET', '/v1/hosts/99/readiness')).status).toBe(404);
    expect((await r.api('GET', '/v1/hosts/x/readiness')).status).toBe(400);
  });

  it('oneha readiness prints a table (worst first) and the reserve; with a host, each part and the fixes; gauges follow', async () => {
    const cli = (args: string[]) => run(process.execPath, [BUNDLE, ...args], { env: { ...r.env, ONEHA_URL: r.url } });
    const all = await cli(['readiness']);
    expect(all.code, all.stderr).toBe(0);
    const lines = all.stdout.split('\n');
    expect(lines[0]).toMatch(/^ID +HOST +SCORE +MISSING$/);
    expect(lines[1]).toMatch(/^ +1 +node-b +42 % +fencing, datastores$/);
    expect(all.stdout).toMatch(/^CAPACITY RESERVE$/m);
    const b = await cli(['readiness', 'node-b']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/^SCORE +: 42 %$/m);
    expect(b.stdout).toMatch(/^NO +fencing configured +20 +fencing is off/m);
    expect(b.stdout).toMatch(/^FIX$/m);
    expect(JSON.parse((await cli(['readiness', '1', '--json'])).stdout).score).toBe(42);
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metrics).toMatch(/^oneha_host_readiness_score\{host_id="1",host="node-b"\} 42$/m);
    expect(metrics).toMatch(/^oneha_cluster_reserve_ok\{cluster_id="0"\} [01]$/m);
  });
});

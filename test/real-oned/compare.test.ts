// The simulator next to a real oned: the same small cloud on both (the
// simulator's scenario is read from the real one), the same calls (the
// methods oneha uses), and the replies compared: element paths and their
// order, pool order, states, error codes and messages, xmlrpc-c faults, and
// the state paths of a host failure, a resched and a recreate. Every
// difference found must be one of those sim/README.md lists, with why it does
// not matter; a new one, or a listed one that went away, fails the test.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../sim/server';
import type { Scenario } from '../../sim/scenario';
import { ROOT, rawCall, until } from '../helpers/processes';
import { call, deployVms, failHost, hookId, host, HOST, ONED_URL, restoreHost, templateId, xml, type HostView, type Layout } from './oned';
import { onedReady, onedRelease } from './ready';
import { diffShapes, values, type ShapeDiff } from './shape';

/** The differences sim/README.md accepts (its "Differences from a real oned" table, first column). */
function acceptedDifferences(): string[] {
  const md = readFileSync(join(ROOT, 'sim/README.md'), 'utf8');
  const section = md.slice(md.indexOf('## Differences from a real oned'));
  const table = section.slice(0, section.indexOf('\n## ') > 0 ? section.indexOf('\n## ') : undefined);
  return [...table.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
}

type Reply = { ok: true; value: unknown } | { ok: false; message: string; code: number; objectId: number } | { fault: number; message: string };

async function reply(url: string, method: string, params: unknown[], session = 'oneadmin:oneadmin'): Promise<Reply> {
  try {
    const r = await rawCall(url, method, params, session);
    return r[0] ? { ok: true, value: r[1] } : { ok: false, message: String(r[1]), code: Number(r[2]), objectId: Number(r[3]) };
  } catch (e) {
    const f = e as { faultCode?: number; faultString?: string; message: string };
    if (f.faultCode === undefined) throw e;
    return { fault: f.faultCode, message: f.faultString ?? '' };
  }
}

let l: Layout;
let sim: Simulator;
let hA: HostView;
let vms: { shared: number[]; local: number; hold: number };
/** Found differences, checked against sim/README.md at the end. */
const found = new Set<string>();
const note = (key: string) => found.add(key);
/** Shape differences, by what the XML is: a host's XML is one thing whether one.host.info, the pool or a hook payload serves it. */
function noteShapes(what: string, d: ShapeDiff) {
  const host = (p: string) => p.replace(/^HOST_POOL\//, '');
  const label = /^(one\.host\.info|one\.hostpool\.info|failed host|hook payload)$/.test(what) ? 'host XML' : what;
  const f = label === 'host XML' ? host : (p: string) => p;
  for (const p of d.missing) note(`${label}: no ${f(p)}`);
  for (const p of d.extra) note(`${label}: extra ${f(p)}`);
  for (const o of d.order) note(`${label}: order ${f(o)}`);
}

/** What oneha never reads, or what is data of the dummy drivers rather than of oned. */
const IGNORE = [
  /\/TEMPLATE\/./, // free-form template attributes (probes' monitoring data, user attributes)
  /\/USER_TEMPLATE\/./,
  /^HOST(_POOL\/HOST)?\/HOST_SHARE\/(PCI_DEVICES|NUMA_NODES)/, // the dummy IM's fake hardware
  /^HOST(_POOL\/HOST)?\/MONITORING\/./, // host monitoring samples (absent from pool replies anyway)
  /^VM(_POOL\/VM)?\/MONITORING\/./, // VM monitoring samples
];

async function scenarioFromReal(): Promise<Scenario> {
  const hosts = xml(await call('one.hostpool.info')).HOST_POOL.HOST.map((h: any) => ({
    id: +h.ID, name: h.NAME, state: +h.STATE, cluster: h.CLUSTER, clusterId: +h.CLUSTER_ID,
    cpu: +h.HOST_SHARE.TOTAL_CPU, memory: +h.HOST_SHARE.TOTAL_MEM, imMad: h.IM_MAD, vmMad: h.VM_MAD,
  }));
  const dsPool = xml(await call('one.datastorepool.info')).DATASTORE_POOL.DATASTORE;
  const datastores = [dsPool].flat().map((d: any) => ({
    id: +d.ID, name: d.NAME, type: +d.TYPE, tmMad: d.TM_MAD, dsMad: d.DS_MAD || undefined,
    ...(+d.TYPE === 1 ? { shared: d.TEMPLATE.SHARED } : {}),
  }));
  const vmPool = xml(await call('one.vmpool.infoextended', -2, -1, -1, -1)).VM_POOL?.VM ?? [];
  const vmList = vmPool.map((v: any) => ({
    id: +v.ID, name: v.NAME, state: +v.STATE, lcmState: +v.LCM_STATE, cpu: +v.TEMPLATE.CPU, memory: +v.TEMPLATE.MEMORY,
    vcpu: +v.TEMPLATE.VCPU, resched: +v.RESCHED as 0 | 1,
    history: (v.HISTORY_RECORDS?.HISTORY ?? []).map((x: any) => ({ hostId: +x.HID, dsId: +x.DS_ID, action: +x.ACTION })),
  }));
  // The oneha hook, with a command that does nothing: its executions are compared, not what it runs.
  const hooks = (xml(await call('one.hookpool.info', -2, -1, -1)).HOOK_POOL?.HOOK ?? []).map((h: any) => ({
    id: +h.ID, name: h.NAME, command: '/bin/true', arguments: h.TEMPLATE.ARGUMENTS, argumentsStdin: true,
    ...(h.TYPE === 'api' ? { type: 'api' as const, call: h.TEMPLATE.CALL } : { state: h.TEMPLATE.STATE }),
  }));
  return {
    hosts, datastores, vms: vmList, hooks,
    config: { version: String(await call('one.system.version')) },
    options: { schedulerIntervalMs: 1000, bootDelayMs: 300 },
  } as Scenario;
}

beforeAll(async () => {
  l = await onedReady();
  const pool = await Promise.all([0, 1, 2, 3].map(host));
  hA = await until(async () => (await Promise.all(pool.map((h) => host(h.id)))).find((h) => h.state === HOST.MONITORED), 120_000, 'a MONITORED host');
  const shared = await deployVms('vm-shared', hA.id, 2, 'cmp');
  const [local] = await deployVms('vm-local', hA.id, 1, 'cmp');
  const hold = Number(await call('one.template.instantiate', await templateId('vm-shared'), 'cmp-hold', true, '', false));
  vms = { shared, local, hold };
  sim = await startSimulator({ scenario: await scenarioFromReal(), port: 0 });
});

// Registered first, so run last (after hooks run in reverse): the next file's turn once this one's runner has stopped.
afterAll(() => onedRelease());
afterAll(async () => {
  await sim?.close();
  if (hA) {
    for (const id of [...(vms?.shared ?? []), vms?.local, vms?.hold]) if (id !== undefined) await call('one.vm.recover', id, 3).catch(() => {});
    if ((await host(hA.id)).state !== HOST.MONITORED) await restoreHost(l, hA);
  }
  if (!sim) return; // the oned did not start: the file has failed already
  const accepted = acceptedDifferences();
  // Checked here so that one report lists every difference at once.
  expect([...found].sort(), 'differences found vs sim/README.md').toEqual(accepted.sort());
});

const both = (method: string, ...params: unknown[]) => Promise.all([reply(ONED_URL, method, params), reply(sim.url, method, params)]);

describe('the simulator next to a real oned', () => {
  it('read replies: same element paths in the same order (what is not is a listed difference)', async () => {
    const calls: [string, ...unknown[]][] = [
      ['one.host.info', hA.id, false], ['one.hostpool.info'],
      ['one.vm.info', vms.shared[0], false], ['one.vmpool.info', -2, -1, -1, -1], ['one.vmpool.infoextended', -2, -1, -1, -1],
      ['one.vmpool.infoset', vms.shared.join(','), false], ['one.vmpool.infoset', vms.shared.join(','), true],
      ['one.datastorepool.info'], ['one.datastore.info', 100, false],
      ['one.user.info', 0, false], ['one.zone.raftstatus'], ['one.documentpool.info', -2, -1, -1, 1042],
    ];
    for (const [method, ...params] of calls) {
      const [r, s] = await both(method, ...params);
      expect([method, 'ok' in r && r.ok, 'ok' in s && s.ok]).toEqual([method, true, true]);
      noteShapes(method, diffShapes(String((r as { value: unknown }).value), String((s as { value: unknown }).value), IGNORE));
    }
  });

  it('pools come in the same order (oned: descending IDs)', async () => {
    for (const [method, params, path] of [
      ['one.hostpool.info', [], 'HOST_POOL/HOST/ID'],
      ['one.vmpool.info', [-2, -1, -1, -1], 'VM_POOL/VM/ID'],
      ['one.datastorepool.info', [], 'DATASTORE_POOL/DATASTORE/ID'],
    ] as const) {
      const [r, s] = await both(method, ...params);
      const [ri, si] = [r, s].map((x) => values(String((x as { value: unknown }).value), path));
      if (ri.join() !== si.join()) note(`${method}: order of IDs`);
      expect(si.slice().sort()).toEqual(ri.slice().sort());
    }
  });

  it('raft status and version as a solo oned reports them', async () => {
    const [r, s] = await both('one.zone.raftstatus');
    for (const p of ['RAFT/STATE', 'RAFT/TERM', 'RAFT/LOG_INDEX', 'RAFT/LOG_TERM', 'RAFT/COMMIT', 'RAFT/LEADER_ID', 'RAFT/SERVER_ID']) {
      const [rv, sv] = [r, s].map((x) => values(String((x as { value: unknown }).value), p).join());
      if (rv !== sv) note(`one.zone.raftstatus: ${p} ${rv} (real) vs ${sv}`);
    }
  });

  it('errors: same codes, messages and object ids; xmlrpc-c faults the same', async () => {
    const cases: [string, ...unknown[]][] = [
      ['one.vm.info', 99999, false],
      ['one.host.info', 99999, false],
      ['one.vm.action', 'no-such-action', vms.shared[0]],
      ['one.vm.action', 'resched', vms.hold],
      ['one.vm.action', 'resched', 99999],
      ['one.vm.recover', vms.shared[0], 9],
      ['one.vm.recover', 99999, 3],
      ['one.host.status', 99999, 1],
      ['one.vmpool.infoset', '1,x', false],
      ['one.document.info', 99999, false],
      ['one.vm.migrate', vms.hold, hA.id, false, false, -1],
      ['one.vm.deploy', vms.shared[0], hA.id, false, -1],
      ['one.vm.recover', vms.hold, 1],
      ['one.host.status', hA.id, 9],
      ['one.vm.info', 'x'], // a string where an integer goes
      ['one.vm.info', 1.5],
      ['one.vm.info', vms.shared[0], 1], // an integer where a boolean goes
      ['one.vm.action', 5, vms.shared[0]], // an integer where a string goes
      ['one.vm.info'], // a parameter missing
      ['one.vm.delete', 1], // no such method
    ];
    for (const [method, ...params] of cases) {
      const [r, s] = await both(method, ...params);
      const show = (x: Reply) => ('fault' in x ? `fault ${x.fault} ${x.message}` : x.ok ? 'ok' : `${x.code} ${x.message} (object ${x.objectId})`);
      if (show(r) !== show(s)) {
        note(`${method}(${params.map((p) => JSON.stringify(p)).join(', ')}): ${show(r)}`);
        console.log(`real: ${show(r)}\nsim:  ${show(s)}`);
      }
    }
    const [r, s] = await Promise.all([reply(ONED_URL, 'one.vm.info', [0], 'oneadmin:wrong'), reply(sim.url, 'one.vm.info', [0], 'oneadmin:wrong')]);
    expect(s).toEqual(r);
  });

  it('a host failure: the host in ERROR, its VMs UNKNOWN, the ERROR hook run with the host as it failed', async () => {
    const hook = await hookId('oneha_host_error');
    const runs = (url: string) => reply(url, 'one.hook.info', [hook, false]).then((x) => values(String((x as { value: unknown }).value), 'HOOK/HOOKLOG/HOOK_EXECUTION_RECORD/ARGUMENTS'));
    const [realRuns, simRuns] = [(await runs(ONED_URL)).length, (await runs(sim.url)).length];
    sim.cloud.failHost(hA.id);
    await failHost(l, hA);
    for (const url of [ONED_URL, sim.url]) {
      await until(async () => (await runs(url)).length > (url === ONED_URL ? realRuns : simRuns), 60_000, `the ERROR hook on ${url}`);
    }
    // monitord sets ERROR again at each manager timer (5 s): oned then shows PREV_STATE 3.
    await new Promise((r) => setTimeout(r, 8000));
    const [r, s] = await both('one.host.info', hA.id, false);
    const [rx, sx] = [r, s].map((x) => String((x as { value: unknown }).value));
    for (const p of ['HOST/STATE', 'HOST/PREV_STATE']) if (values(rx, p).join() !== values(sx, p).join()) note(`failed host: ${p} ${values(rx, p)} (real) vs ${values(sx, p)}`);
    expect(values(sx, 'HOST/TEMPLATE/ERROR')).toHaveLength(values(rx, 'HOST/TEMPLATE/ERROR').length);
    noteShapes('failed host', diffShapes(rx, sx, IGNORE));
    for (const id of [...vms.shared, vms.local]) {
      const [rv, sv] = await both('one.vm.info', id, false);
      const st = (x: Reply) => ['VM/STATE', 'VM/LCM_STATE', 'VM/RESCHED'].map((p) => values(String((x as { value: unknown }).value), p).join()).join('/');
      if (st(rv) !== st(sv)) note(`VM on the failed host: ${st(rv)} (real) vs ${st(sv)}`);
    }
    // What the hook got: the host as it entered ERROR (STATE 3, PREV_STATE 2), base64 in HOOKLOG.
    const payload = async (url: string) => Buffer.from((await runs(url)).at(-1)!.split(' ')[0], 'base64').toString();
    const [rp, sp] = [await payload(ONED_URL), await payload(sim.url)];
    for (const p of ['HOST/STATE', 'HOST/PREV_STATE']) if (values(rp, p).join() !== values(sp, p).join()) note(`hook payload: ${p} ${values(rp, p)} (real) vs ${values(sp, p)}`);
    noteShapes('hook payload', diffShapes(rp, sp, IGNORE));
  });

  const step = (st: unknown, lcm: unknown, resched: unknown, records: number) => `${st}/${lcm} resched=${resched} records=${records}`;

  /** Distinct (STATE/LCM_STATE, RESCHED, history records) the real VM shows, polled, until RUNNING with a new record. */
  async function realPath(id: number, records: number, before: string): Promise<string[]> {
    const seen: string[] = [before];
    const end = Date.now() + 90_000;
    for (;;) {
      const v = String((await reply(ONED_URL, 'one.vm.info', [id, false]) as { value: unknown }).value);
      const [st, lcm, resched] = ['VM/STATE', 'VM/LCM_STATE', 'VM/RESCHED'].map((p) => values(v, p)[0]);
      const h = values(v, 'VM/HISTORY_RECORDS/HISTORY/SEQ').length;
      const now = step(st, lcm, resched, h - records);
      if (seen.at(-1) !== now) seen.push(now);
      if (st === '3' && lcm === '3' && h > records) return seen;
      if (Date.now() > end) throw new Error(`real oned: VM ${id} not RUNNING again: ${seen.join(' -> ')}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  }
  /**
   * Every step the simulator's VM takes, recorded as it changes (a poll can miss a step of a few
   * hundred ms on a loaded machine, e.g. the wait for the scheduler's next pass): the real path,
   * polled, must be a subsequence of it.
   */
  function simPath(id: number, records: number, before: string): () => Promise<string[]> {
    const v = sim.cloud.vm(id)!;
    const seen: string[] = [before];
    const touch = v.touch.bind(v);
    v.touch = () => {
      touch();
      const now = step(v.state, v.lcmState, v.resched, v.history.length - records);
      if (seen.at(-1) !== now) seen.push(now);
    };
    return async () => {
      await until(() => v.state === 3 && v.lcmState === 3 && v.history.length > records, 90_000, `simulator: VM ${id} RUNNING again: ${seen.join(' -> ')}`);
      v.touch = touch;
      return seen;
    };
  }
  const within = (real: string[], simulated: string[]) => {
    let i = 0;
    for (const x of simulated) if (x === real[i]) i++;
    return i === real.length;
  };

  it('resched of an UNKNOWN VM and recover --recreate go through the same states', async () => {
    for (const [id, call1] of [[vms.shared[0], ['one.vm.action', 'resched', vms.shared[0]]], [vms.shared[1], ['one.vm.recover', vms.shared[1], 4]]] as const) {
      const v = String((await reply(ONED_URL, 'one.vm.info', [id, false]) as { value: unknown }).value);
      const records = values(v, 'VM/HISTORY_RECORDS/HISTORY/SEQ').length;
      const before = step(values(v, 'VM/STATE')[0], values(v, 'VM/LCM_STATE')[0], values(v, 'VM/RESCHED')[0], 0);
      const simulated = simPath(id, records, before);
      const [method, ...params] = call1;
      const [r, s] = await both(method, ...params);
      expect([r, s]).toEqual([{ ok: true, value: id }, { ok: true, value: id }]);
      const [rp, sp] = await Promise.all([realPath(id, records, before), simulated()]);
      if (!within(rp, sp)) note(`${method === 'one.vm.action' ? 'resched' : 'recover --recreate'} path: ${rp.join(' -> ')} (real) vs ${sp.join(' -> ')}`);
    }
  });
});

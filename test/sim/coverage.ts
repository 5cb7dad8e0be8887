// Boots simulators in the states worth covering (a host in ERROR, VMs in
// UNKNOWN with several history records, DONE/HOLD/PENDING VMs, a locked
// document, hook executions, empty pools) and collects every kind of XML
// reply over real XML-RPC, each with the XSD it must validate against.
import { startSimulator, type Simulator } from '../../sim/server';
import { ADMIN, call, fixture } from './helpers';

export interface Served {
  name: string;
  /** Schema file in shared/opennebula/xsd. */
  xsd: string;
  /** Expected root element. */
  root: string;
  xml: string;
}

async function get(sim: Simulator, out: Served[], name: string, xsd: string, root: string, method: string, params: unknown[], session = ADMIN) {
  const r = await call(sim.url, method, params, session);
  if (!r[0]) throw new Error(`${name}: ${method} failed: ${r[1]}`);
  out.push({ name, xsd, root, xml: r[1] as string });
}

/** Every kind of XML the simulator serves. Closes the simulators it started. */
export async function collectServed(): Promise<Served[]> {
  const out: Served[] = [];
  const sim = await startSimulator({
    scenario: {
      ...fixture('coverage.json'),
      hooks: [
        { state: 'ERROR', name: 'host_error', command: '/bin/cat', arguments: '$TEMPLATE -m -p 0', argumentsStdin: true },
        { state: 'ERROR', name: 'failing', command: '/bin/false', arguments: '$TEMPLATE -r' },
        { type: 'api', call: 'one.hook.update', name: 'probe', command: '/bin/cat', arguments: '$API', argumentsStdin: true },
      ],
    },
  });
  try {
    sim.cloud.failHost(1);
    await sim.hooksIdle();
    const [ok] = await call(sim.url, 'one.vm.action', ['resched', 41]);
    if (!ok) throw new Error('resched 41 failed');
    for (let i = 0; i < 200 && sim.cloud.vm(41)!.lcmState !== 3; i++) await new Promise((r) => setTimeout(r, 5));
    await call(sim.url, 'one.user.login', ['oneadmin', '', 3600]);
    const doc = await call(sim.url, 'one.document.allocate', ['NAME = "oneha-journal"\nBODY = "{\\"flows\\":[]}"', 4200]);
    await call(sim.url, 'one.document.lock', [doc[1], 1]);
    await call(sim.url, 'one.vm.lock', [42, 2]);

    for (const id of [0, 1, 2, 3]) await get(sim, out, `host ${id}`, 'host.xsd', 'HOST', 'one.host.info', [id]);
    // the HOST document a hook received (STATE 3, PREV_STATE 2)
    const run = sim.hookRuns.find((r) => r.hookName === 'host_error');
    if (!run) throw new Error('the ERROR hook did not run');
    out.push({ name: 'hook $TEMPLATE', xsd: 'host.xsd', root: 'HOST', xml: Buffer.from(run.arguments.split(' ')[0], 'base64').toString('utf8') });
    await get(sim, out, 'host pool', 'host_pool.xsd', 'HOST_POOL', 'one.hostpool.info', []);
    for (const id of [41, 42, 43, 44, 45, 46, 47, 48, 49]) await get(sim, out, `vm ${id}`, 'vm.xsd', 'VM', 'one.vm.info', [id]);
    await get(sim, out, 'vm pool -2', 'vm_pool.xsd', 'VM_POOL', 'one.vmpool.info', [-2, -1, -1, -2]);
    await get(sim, out, 'vm pool -1', 'vm_pool.xsd', 'VM_POOL', 'one.vmpool.info', [-2, -1, -1, -1]);
    await get(sim, out, 'vm pool page', 'vm_pool.xsd', 'VM_POOL', 'one.vmpool.info', [-2, 2, -3, -2]);
    await get(sim, out, 'vm pool viewer', 'vm_pool.xsd', 'VM_POOL', 'one.vmpool.info', [-2, -1, -1, -1], 'viewer:viewer');
    await get(sim, out, 'vm pool extended', 'vm_pool_extended.xsd', 'VM_POOL', 'one.vmpool.infoextended', [-2, -1, -1, -2]);
    await get(sim, out, 'vm infoset', 'vm_pool.xsd', 'VM_POOL', 'one.vmpool.infoset', ['41,42,46,999', false]);
    await get(sim, out, 'vm infoset extended', 'vm_pool_extended.xsd', 'VM_POOL', 'one.vmpool.infoset', ['41,42,47', true]);
    await get(sim, out, 'vm pool no match', 'vm_pool.xsd', 'VM_POOL', 'one.vmpool.info', [-2, -1, -1, 11]);
    await get(sim, out, 'datastore pool', 'datastore_pool.xsd', 'DATASTORE_POOL', 'one.datastorepool.info', []);
    for (const id of [0, 1, 2, 100, 101]) await get(sim, out, `datastore ${id}`, 'datastore.xsd', 'DATASTORE', 'one.datastore.info', [id]);
    await get(sim, out, 'config admin', 'opennebula_configuration.xsd', 'OPENNEBULA_CONFIGURATION', 'one.system.config', []);
    await get(sim, out, 'config viewer', 'opennebula_configuration.xsd', 'OPENNEBULA_CONFIGURATION', 'one.system.config', [], 'viewer:viewer');
    await get(sim, out, 'user self (token)', 'user.xsd', 'USER', 'one.user.info', [-1]);
    await get(sim, out, 'user 2', 'user.xsd', 'USER', 'one.user.info', [2]);
    await get(sim, out, 'user viewer self', 'user.xsd', 'USER', 'one.user.info', [-1], 'viewer:viewer');
    await get(sim, out, 'raft leader', 'raftstatus.xsd', 'RAFT', 'one.zone.raftstatus', []);
    await get(sim, out, 'document 3', 'document.xsd', 'DOCUMENT', 'one.document.info', [3]);
    await get(sim, out, 'document locked', 'document.xsd', 'DOCUMENT', 'one.document.info', [doc[1]]);
    await get(sim, out, 'document pool 100', 'document_pool.xsd', 'DOCUMENT_POOL', 'one.documentpool.info', [-2, -1, -1, 100]);
    await get(sim, out, 'document pool 4200', 'document_pool.xsd', 'DOCUMENT_POOL', 'one.documentpool.info', [-2, -1, -1, 4200]);
    // An API hook's $API: an applied call (with text to escape) and a refused one.
    await call(sim.url, 'one.hook.update', [2, 'ONEHA_PROBE = "<a&b>"', 1]);
    await call(sim.url, 'one.hook.update', [99, 'X = 1', 1]);
    await sim.hooksIdle();
    for (const [i, r] of sim.hookRuns.filter((x) => x.hookName === 'probe').entries()) {
      out.push({ name: `hook $API ${i}`, xsd: 'api_info.xsd', root: 'CALL_INFO', xml: Buffer.from(r.stdin!, 'base64').toString('utf8') });
    }
    await get(sim, out, 'hook 0 with log', 'hook.xsd', 'HOOK', 'one.hook.info', [0]);
    await get(sim, out, 'api hook 2 with log', 'hook.xsd', 'HOOK', 'one.hook.info', [2]);
    await get(sim, out, 'hook 1 with log', 'hook.xsd', 'HOOK', 'one.hook.info', [1]);
    await get(sim, out, 'hook pool', 'hook_pool.xsd', 'HOOK_POOL', 'one.hookpool.info', []);
    await get(sim, out, 'acl pool', 'acl_pool.xsd', 'ACL_POOL', 'one.acl.info', []);
  } finally {
    await sim.close();
  }

  const empty = await startSimulator({ scenario: fixture('empty.json') });
  try {
    await get(empty, out, 'empty host pool', 'host_pool.xsd', 'HOST_POOL', 'one.hostpool.info', []);
    await get(empty, out, 'empty vm pool', 'vm_pool.xsd', 'VM_POOL', 'one.vmpool.info', [-2, -1, -1, -2]);
    await get(empty, out, 'empty vm pool extended', 'vm_pool_extended.xsd', 'VM_POOL', 'one.vmpool.infoextended', [-2, -1, -1, -2]);
    await get(empty, out, 'empty infoset', 'vm_pool.xsd', 'VM_POOL', 'one.vmpool.infoset', ['1,2', false]);
    await get(empty, out, 'empty document pool', 'document_pool.xsd', 'DOCUMENT_POOL', 'one.documentpool.info', [-2, -1, -1, 100]);
    await get(empty, out, 'empty hook pool', 'hook_pool.xsd', 'HOOK_POOL', 'one.hookpool.info', []);
    await get(empty, out, 'default datastore pool', 'datastore_pool.xsd', 'DATASTORE_POOL', 'one.datastorepool.info', []);
    await get(empty, out, 'config with MONITORING_INTERVAL_HOST', 'opennebula_configuration.xsd', 'OPENNEBULA_CONFIGURATION', 'one.system.config', []);
    await get(empty, out, 'raft solo', 'raftstatus.xsd', 'RAFT', 'one.zone.raftstatus', []);
    await get(empty, out, 'default user', 'user.xsd', 'USER', 'one.user.info', [0]);
  } finally {
    await empty.close();
  }
  return out;
}

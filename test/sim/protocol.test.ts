// oned's XML-RPC surface: reply arrays, faults, argument order, error codes
// and messages, authentication and authorization, pools and templates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument, parseHost, parseUser, parseVmPool } from '../../model/oneXml';
import { startSimulator, type Simulator } from '../../sim/server';
import { ADMIN, call, fixture, methodCallXml, ok, rawCall } from './helpers';

let sim: Simulator;
const VIEWER = 'viewer:viewer';

beforeAll(async () => {
  sim = await startSimulator({ scenario: fixture('coverage.json') });
});
afterAll(async () => {
  await sim.close();
});

describe('reply layout', () => {
  it('success is [true, result, 0] with i4 ints', async () => {
    expect(await call(sim.url, 'one.system.version', [])).toEqual([true, '7.5.80', 0]);
    const raw = await rawCall(sim.url, methodCallXml('one.vm.action', ['<string>oneadmin:oneadmin</string>', '<string>poweroff</string>', '<i4>45</i4>']));
    expect(raw.status).toBe(200);
    expect(raw.text).toContain('<value><boolean>1</boolean></value>');
    expect(raw.text).toContain('<value><i4>45</i4></value>');
    expect(raw.text.match(/<value>/g)).toHaveLength(4); // the array + 3 elements
  });

  it('failure is [false, "[method] message", code, object id, i8 -1]', async () => {
    const raw = await rawCall(sim.url, methodCallXml('one.vm.info', ['<string>oneadmin:oneadmin</string>', '<int>4242</int>']));
    expect(raw.text).toContain('<value><boolean>0</boolean></value>');
    expect(raw.text).toContain('<value><string>[one.vm.info] Error getting virtual machine [4242].</string></value>');
    expect(raw.text).toContain('<value><i4>1024</i4></value>');
    expect(raw.text).toContain('<value><i4>4242</i4></value>');
    expect(raw.text).toContain('<value><i8>-1</i8></value>');
    expect(await call(sim.url, 'one.vm.info', [4242])).toEqual([false, '[one.vm.info] Error getting virtual machine [4242].', 1024, 4242, '-1']);
  });

  it('XML bodies travel escaped inside <string>', async () => {
    const raw = await rawCall(sim.url, methodCallXml('one.host.info', ['<string>oneadmin:oneadmin</string>', '<i4>0</i4>']));
    expect(raw.text).toContain('<value><string>&lt;HOST&gt;&lt;ID&gt;0&lt;/ID&gt;');
    expect(raw.text).not.toContain('<HOST>');
  });
});

describe('faults (xmlrpc-c) for unknown methods and bad parameters', () => {
  const fault = async (method: string, params: unknown[]) => {
    const e = await call(sim.url, method, params).then(() => undefined, (x: { faultCode?: number; faultString?: string }) => x);
    expect(e, `${method} should fault`).toBeDefined();
    return e as { faultCode: number; faultString: string };
  };

  it('unknown methods (one.vm.delete does not exist)', async () => {
    const f = await fault('one.vm.delete', [41]);
    expect(f.faultCode).toBe(-506);
    expect(f.faultString).toContain('one.vm.delete');
  });

  it('one.vm.action with swapped arguments', async () => {
    const f = await fault('one.vm.action', [41, 'resched']);
    expect(f.faultCode).toBe(-501);
    expect(f.faultString).toBe('Parameter that is supposed to be a string is not'); // xmlrpc-c's text, as a real oned answers
    expect(sim.cloud.vm(41)!.resched).toBe(0);
  });

  it('missing mandatory parameters (vmpool.info needs 4 ints)', async () => {
    expect((await fault('one.vmpool.info', [-2])).faultString).toBe('Not enough parameters');
    expect((await fault('one.documentpool.info', [-2, -1, -1])).faultCode).toBe(-501);
    expect((await fault('one.vm.recover', [41])).faultCode).toBe(-501);
  });

  it('wrong types: string ids, int booleans, a non-string session', async () => {
    expect((await fault('one.vm.info', ['41'])).faultString).toBe('Parameter that is supposed to be integer is not');
    expect((await fault('one.vmpool.infoset', ['41', 1])).faultString).toBe('Parameter that is supposed to be boolean is not');
    const raw = await rawCall(sim.url, methodCallXml('one.system.version', ['<int>1</int>']));
    expect(raw.text).toContain('<name>faultCode</name>');
  });

  it('malformed requests and other paths', async () => {
    const bad = await rawCall(sim.url, '<methodCall><methodName>x</methodName><params><param><value><foo/></value></param></params></methodCall>');
    expect(bad.text).toContain('<fault>');
    expect((await fetch(sim.url)).status).toBe(405);
    expect((await fetch(sim.url.replace('/RPC2', '/nope'))).status).toBe(404);
  });

  it('extra parameters are ignored, as xmlrpc-c does', async () => {
    expect((await call(sim.url, 'one.hookpool.info', [-2, -1, -1]))[0]).toBe(true);
    expect((await call(sim.url, 'one.host.info', [0, false, 'extra']))[0]).toBe(true);
  });
});

describe('authentication and authorization', () => {
  it('bad sessions answer AUTHENTICATION on every method', async () => {
    for (const session of ['oneadmin:wrong', 'nobody:x', 'oneadmin', '']) {
      expect(await call(sim.url, 'one.system.version', [], session)).toEqual([false, "[one.system.version] User couldn't be authenticated, aborting call.", 256, -1, '-1']);
    }
    expect((await call(sim.url, 'one.host.info', [0], 'viewer:oneadmin'))[2]).toBe(256);
  });

  it('login tokens work as passwords until revoked', async () => {
    const token = await ok<string>(sim.url, 'one.user.login', 'viewer', '', 60);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect((await call(sim.url, 'one.user.info', [-1], `viewer:${token}`))[0]).toBe(true);
    await ok(sim.url, 'one.user.login', 'viewer', token, 0);
    expect((await call(sim.url, 'one.user.info', [-1], `viewer:${token}`))[2]).toBe(256);
    expect((await call(sim.url, 'one.user.login', ['oneadmin', '', 60], VIEWER))[2]).toBe(512);
  });

  it('ADMIN VM operations need the oneadmin group', async () => {
    const r = await call(sim.url, 'one.vm.action', ['resched', 43], VIEWER);
    expect(r.slice(0, 4)).toEqual([false, '[one.vm.action] User [1] : Not authorized to perform ADMIN VM [43].', 512, 43]);
    expect((await call(sim.url, 'one.vm.recover', [43, 3], VIEWER))[2]).toBe(512);
    expect((await call(sim.url, 'one.vm.migrate', [43, 0, false], VIEWER))[2]).toBe(512);
    // MANAGE on its own VM is fine; on somebody else's it is not
    expect((await call(sim.url, 'one.vm.action', ['poweroff', 44], VIEWER))[2]).toBe(512);
    expect((await call(sim.url, 'one.vm.info', [44], VIEWER))[2]).toBe(512);
    expect((await call(sim.url, 'one.vm.info', [43], VIEWER))[0]).toBe(true);
    expect((await call(sim.url, 'one.host.status', [0, 1], VIEWER))[2]).toBe(512);
    expect((await call(sim.url, 'one.host.update', [0, 'A = "1"', 1], VIEWER))[2]).toBe(512);
    expect((await call(sim.url, 'one.user.info', [0], VIEWER))[2]).toBe(512);
    expect(parseUser(await ok(sim.url, 'one.user.info', -1))).toMatchObject({ id: 0, groups: [0] });
  });

  it('non-admins see a reduced one.system.config and only their VMs', async () => {
    const cfg = (await call(sim.url, 'one.system.config', [], VIEWER))[1] as string;
    expect(cfg).toContain('<DB><TIMEOUT>');
    expect(cfg).not.toContain('<BACKEND>');
    const pool = parseVmPool((await call(sim.url, 'one.vmpool.info', [-2, -1, -1, -2], VIEWER))[1]);
    expect(pool.map((v) => v.id)).toEqual([43]);
  });
});

describe('NO_EXISTS and argument values', () => {
  it('names the missing object and its id', async () => {
    expect((await call(sim.url, 'one.host.info', [77])).slice(0, 4)).toEqual([false, '[one.host.info] Error getting host [77].', 1024, 77]);
    expect((await call(sim.url, 'one.vm.action', ['resched', 999])).slice(0, 4)).toEqual([false, '[one.vm.action] Error getting virtual machine [999].', 1024, 999]);
    expect((await call(sim.url, 'one.vm.recover', [999, 3])).slice(2, 4)).toEqual([1024, 999]);
    expect((await call(sim.url, 'one.host.status', [77, 1])).slice(2, 4)).toEqual([1024, 77]);
    expect((await call(sim.url, 'one.host.update', [77, 'A=1'])).slice(2, 4)).toEqual([1024, 77]);
    expect((await call(sim.url, 'one.document.info', [55])).slice(1, 4)).toEqual(['[one.document.info] Error getting document [55].', 1024, 55]);
    expect((await call(sim.url, 'one.datastore.info', [55]))[2]).toBe(1024);
    expect((await call(sim.url, 'one.user.info', [55]))[2]).toBe(1024);
    expect((await call(sim.url, 'one.hook.info', [55]))[2]).toBe(1024);
  });

  it('unsupported action names are ACTION errors, checked before the VM exists', async () => {
    for (const a of ['delete', 'migrate', 'boot', 'shutdown', 'x']) {
      expect((await call(sim.url, 'one.vm.action', [a, 999])).slice(1, 3)).toEqual([`[one.vm.action] Action "${a}" is not supported`, 2048]);
    }
  });

  it('pool filter and state filter values', async () => {
    expect((await call(sim.url, 'one.vmpool.info', [-5, -1, -1, -1])).slice(1, 3)).toEqual(['[one.vmpool.info] Incorrect filter_flag.', 4096]);
    expect((await call(sim.url, 'one.vmpool.info', [-2, -1, -1, 12])).slice(1, 3)).toEqual(['[one.vmpool.info] Incorrect state filter', 4096]);
    expect((await call(sim.url, 'one.vmpool.info', [-2, -1, -1, -3]))[2]).toBe(4096);
    expect((await call(sim.url, 'one.vmpool.info', [-2, -1, -1, -1, 'NAME=web']))[2]).toBe(8192);
    expect((await call(sim.url, 'one.vmpool.info', [-2, -1, -1, -1, '']))[0]).toBe(true);
  });

  it('pool ranges, pages, owners and states', async () => {
    const ids = async (...p: number[]) => parseVmPool(await ok(sim.url, 'one.vmpool.info', ...p)).map((v) => v.id);
    expect(await ids(-2, -1, -1, -2)).toEqual([49, 48, 47, 46, 45, 44, 43, 42, 41]);
    expect(await ids(-2, -1, -1, -1)).toEqual([49, 48, 46, 45, 44, 43, 42, 41]);
    expect(await ids(-2, 43, 45, -2)).toEqual([45, 44, 43]);
    expect(await ids(-2, 46, -1, -2)).toEqual([49, 48, 47, 46]);
    expect(await ids(-2, 0, -2, -2)).toEqual([49, 48]);
    expect(await ids(-2, 2, -2, -2)).toEqual([47, 46]);
    expect(await ids(-2, -1, -1, 5)).toEqual([43]);
    expect(await ids(-2, -1, -1, 6)).toEqual([47]);
    expect(await ids(2, -1, -1, -2)).toEqual([44, 42, 41]);
    expect(await ids(-3, -1, -1, -2)).toEqual([49, 48, 47, 46, 45]);
  });
});

describe('host.update and host.status', () => {
  it('merges OpenNebula template syntax (single and multi-line) and XML', async () => {
    await ok(sim.url, 'one.host.update', 0, 'ONEHA_HA = "YES"', 1);
    await ok(sim.url, 'one.host.update', 0, 'ONEHA_MODE="migrate"\nONEHA_PAUSE = 3\n# comment\nONEHA_NOTE = "line one\nline two with \\"quotes\\""', 1);
    await ok(sim.url, 'one.host.update', 0, '<TEMPLATE><ONEHA_FENCE><![CDATA[ipmi]]></ONEHA_FENCE><ONEHA_PAUSE>4</ONEHA_PAUSE></TEMPLATE>', 1);
    const t = parseHost(await ok(sim.url, 'one.host.info', 0)).template;
    expect(t).toMatchObject({ ONEHA_HA: 'YES', ONEHA_MODE: 'migrate', ONEHA_PAUSE: '4', ONEHA_FENCE: 'ipmi', FENCE_IP: '10.0.100.11', HOSTNAME: 'kvm-node-01' });
    expect(t.ONEHA_NOTE).toBe('line one\nline two with "quotes"');
    // alphabetical, CDATA
    const xml = await ok<string>(sim.url, 'one.host.info', 0);
    const keys = [...xml.split('<TEMPLATE>')[1].split('</TEMPLATE>')[0].matchAll(/<([A-Z_]+)><!\[CDATA\[/g)].map((m) => m[1]);
    expect(keys).toEqual([...keys].sort());
  });

  it('type 0 replaces the whole template; other types are RPC_API errors; syntax errors INTERNAL', async () => {
    await ok(sim.url, 'one.host.update', 2, 'ONLY = "this"');
    expect(parseHost(await ok(sim.url, 'one.host.info', 2)).template).toEqual({ ONLY: 'this' });
    expect((await call(sim.url, 'one.host.update', [2, 'A = "1"', 2])).slice(1, 3)).toEqual(['[one.host.update] Wrong update type', 4096]);
    const r = await call(sim.url, 'one.host.update', [2, 'A = "unterminated', 1]);
    expect(r[2]).toBe(8192);
    expect(r[1]).toMatch(/^\[one.host.update\] Cannot update template\. Parse error/);
    expect((await call(sim.url, 'one.host.update', [2, '<TEMPLATE><A>1</B></TEMPLATE>', 1]))[2]).toBe(8192);
  });

  it('status 0/1/2, anything else INTERNAL "Wrong status code"', async () => {
    await ok(sim.url, 'one.host.status', 0, 1);
    expect(sim.cloud.host(0)!.state).toBe(4);
    await ok(sim.url, 'one.host.status', 0, 0);
    expect(sim.cloud.host(0)!.state).toBe(2);
    await ok(sim.url, 'one.host.status', 2, 2);
    expect(sim.cloud.host(2)!.state).toBe(8);
    expect((await call(sim.url, 'one.host.status', [0, 3])).slice(1, 4)).toEqual(['[one.host.status] Wrong status code', 8192, -1]);
  });
});

describe('documents', () => {
  it('allocate, info, update (replace/merge), pool by type, delete', async () => {
    const id = await ok<number>(sim.url, 'one.document.allocate', 'NAME = "lease"\nBODY = "{\\"holder\\":\\"a\\"}"', 4300);
    expect(parseDocument(await ok(sim.url, 'one.document.info', id))).toEqual({ id, name: 'lease', type: 4300, body: '{"holder":"a"}' });
    await ok(sim.url, 'one.document.update', id, '<TEMPLATE><BODY><![CDATA[{"holder":"b"}]]></BODY><EXTRA>1</EXTRA></TEMPLATE>', 1);
    expect(parseDocument(await ok(sim.url, 'one.document.info', id)).body).toBe('{"holder":"b"}');
    await ok(sim.url, 'one.document.update', id, 'BODY = "{}"', 0);
    expect(await ok<string>(sim.url, 'one.document.info', id)).not.toContain('EXTRA');
    const anon = await ok<number>(sim.url, 'one.document.allocate', 'BODY = "x"', 4300);
    expect(parseDocument(await ok(sim.url, 'one.document.info', anon)).name).toBe(`document-${anon}`);
    const pool = await ok<string>(sim.url, 'one.documentpool.info', -2, -1, -1, 4300);
    expect(pool.match(/<DOCUMENT>/g)).toHaveLength(2);
    expect(await ok<string>(sim.url, 'one.documentpool.info', -2, -1, -1, 4301)).toBe('<DOCUMENT_POOL></DOCUMENT_POOL>');
    await ok(sim.url, 'one.document.delete', anon);
    expect((await call(sim.url, 'one.document.info', [anon]))[2]).toBe(1024);
    // other users' documents
    expect((await call(sim.url, 'one.document.info', [id], VIEWER))[2]).toBe(512);
  });

  it('lock: test mode fails on a locked document, locks block update/delete, unlock by owner or admin', async () => {
    const id = await ok<number>(sim.url, 'one.document.allocate', 'NAME = "l"', 4400);
    await ok(sim.url, 'one.document.lock', id, 1, true);
    expect(await ok<string>(sim.url, 'one.document.info', id)).toMatch(/<LOCK><LOCKED>1<\/LOCKED><OWNER>0<\/OWNER><TIME>\d+<\/TIME><REQ_ID>\d+<\/REQ_ID><\/LOCK>/);
    const again = await call(sim.url, 'one.document.lock', [id, 1, true]);
    expect(again[2]).toBe(2048);
    expect(again[1]).toMatch(/^\[one.document.lock\] \d+$/);
    expect((await call(sim.url, 'one.document.update', [id, 'A = "1"', 1]))[2]).toBe(32768);
    expect((await call(sim.url, 'one.document.delete', [id]))[2]).toBe(32768);
    expect((await call(sim.url, 'one.document.lock', [id, 5]))[1]).toBe('[one.document.lock] Wrong lock level specified');
    await ok(sim.url, 'one.document.unlock', id);
    await ok(sim.url, 'one.document.update', id, 'A = "1"', 1);
    await ok(sim.url, 'one.document.lock', id, 3);
    await ok(sim.url, 'one.document.update', id, 'A = "2"', 1); // ADMIN level does not block MANAGE
  });
});

describe('raft', () => {
  it('serves RAFT and refuses mutating calls while electing', async () => {
    expect(await ok<string>(sim.url, 'one.zone.raftstatus')).toContain('<STATE>3</STATE>');
    sim.cloud.raft.state = 1;
    try {
      expect((await call(sim.url, 'one.vm.action', ['resched', 41])).slice(1, 3)).toEqual(['[one.vm.action] Cannot process request, oned cluster in election mode', 8192]);
      expect((await call(sim.url, 'one.vm.info', [41]))[0]).toBe(true);
    } finally {
      sim.cloud.raft.state = 3;
    }
  });
});

describe('session string', () => {
  it('is the first parameter of every call and never logged', async () => {
    sim.resetCalls();
    await call(sim.url, 'one.vm.info', [41], ADMIN);
    expect(sim.calls).toEqual([expect.objectContaining({ seq: expect.any(Number), method: 'one.vm.info', params: ['<session>', 41], ok: true, code: 0 })]);
  });
});

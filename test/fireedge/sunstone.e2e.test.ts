// The acceptance of oneha's Sunstone plugin, all real: FireEdge Sunstone
// (shared/fireedge) against the simulated oned, the plugin installed by
// deploy/sunstone/plugin.sh into FireEdge's own modules directory, the
// runner as a process, fence_ipmilan against ipmi_sim, headless Chromium.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../sim/server';
import type { Scenario } from '../../sim/scenario';
import { CHROMIUM_ARGS, chromiumPath, hostTemplate, requireBuilt, rpc, startDemo } from '../e2e/helpers';
import { startIpmiSim, type IpmiSim } from '../helpers/bmc/ipmiSim';
import { goTo, pluginScript, signIn, startFireEdge, type FireEdge } from '../helpers/fireedge';
import { freePort, killAll, ROOT } from '../helpers/processes';
import { startRunner, type RunnerHandle } from '../helpers/runnerProcess';

let sim: Simulator;
let runner: RunnerHandle;
let fe: FireEdge;
let browser: Browser;
let bmc: IpmiSim;
let admin: Page;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  requireBuilt();
  const scenario = JSON.parse(readFileSync(join(ROOT, 'sim', 'scenarios', 'demo.json'), 'utf8')) as Scenario;
  sim = await startSimulator({ scenario });
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  [runner, bmc, browser] = await Promise.all([
    // Reconciliation notices a host in ERROR (no hook here) and starts its recovery.
    startRunner(sim.url, { plugin: { allowedOrigins: [origin] }, reconcile: { intervalSeconds: 1 } }),
    startIpmiSim({ username: 'ipmiadmin', password: 'bmc-secret-1' }),
    chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS }),
  ]);
  fe = await startFireEdge({
    onedUrl: sim.url, port,
    beforeStart: async (f) => {
      await pluginScript(f, 'install', runner.url);
      // Group "users" (viewer) gets the admin view too, so a non-admin reaches the HA pages.
      const views = join(f.oneLocation, 'etc', 'fireedge', 'sunstone', 'views', 'sunstone-views.yaml');
      writeFileSync(views, readFileSync(views, 'utf8').replace(/^groups:\n/m, 'groups:\n    users:\n        - admin\n'));
    },
  });
  admin = await newPage();
  await signIn(admin, fe, 'oneadmin', 'oneadmin');
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await fe?.stop();
  await Promise.all([sim?.close(), bmc?.stop()]);
  killAll();
});

async function newPage(): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  contexts.push(ctx);
  const p = await ctx.newPage();
  // FireEdge forks a worker per API call: on a loaded machine a page takes minutes, not seconds.
  p.setDefaultTimeout(180_000);
  p.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  return p;
}

/** The HA hosts page with the runner's data in (FENCE_IP shown for every host). */
async function openHaHosts(p: Page) {
  await goTo(p, fe, '/ha');
  await p.locator('[data-cy=oneha-hosts][data-runner=yes] [data-cy=oneha-host-3]').waitFor();
}

/** FireEdge answers slowly on a busy machine (a worker process per API call): wait for conditions, generously. */
const poll = <T>(fn: () => T | Promise<T>, interval = 250) => expect.poll(fn, { timeout: 180_000, interval });

const SIDEBAR_GROUP = '[data-cy="high availability"]';

/** Host 3 fenced by fence_ipmilan against ipmi_sim with its BMC credentials, as the fence test below sets it through the page. */
async function fenceHost3ByIpmiSim() {
  const settings = { fenceAgent: 'fence_ipmilan', fenceIp: '127.0.0.1', fenceOptions: { ipport: String(bmc.port), lanplus: '1', cipher: '3', power_wait: '0', power_timeout: '5' } };
  expect((await runner.api('PUT', '/v1/hosts/3/settings', settings)).status).toBe(200);
  expect((await runner.api('PUT', '/v1/hosts/3/credentials', { username: 'ipmiadmin', password: 'bmc-secret-1' })).status).toBe(200);
}

async function select(p: Page, hostId: number) {
  await p.locator(`[data-cy=oneha-host-${hostId}] td`).first().click();
  await p.locator('[data-cy=oneha-host-settings]').waitFor();
}

describe('the plugin in Sunstone, as oneadmin', { timeout: 600_000 }, () => {
  it('adds a "High Availability" group to the sidebar whose Hosts page lists every host with the runner\'s data', async () => {
    await admin.locator(SIDEBAR_GROUP).waitFor();
    await openHaHosts(admin);
    for (const id of [0, 1, 2, 3]) await poll(() => admin.locator(`[data-cy=oneha-host-${id}]`).innerText()).toContain(`kvm-node-0${id + 1}`);
    expect(await admin.locator('[data-cy=oneha-host-1]').innerText()).toMatch(/MONITORED[\s\S]*migrate \(inherited\)[\s\S]*127\.0\.0\.1/);
  });

  it('readiness: a score per host coloured as Sunstone\'s own badges, a panel with each part and its fix, a warning when the cluster is full', async () => {
    type Part = { key: string; label: string; ok: boolean | null; detail: string; fix?: string };
    // Host 3 with a BMC that answers a fence test: the part that lifts it to a green score here (no hook is installed in this cloud).
    await fenceHost3ByIpmiSim();
    expect((await runner.api('POST', '/v1/hosts/3/fence-test')).json.reachable).toBe(true);
    const ready = (await runner.api('GET', '/v1/readiness?refresh=1')).json as { hosts: Array<{ hostId: number; score: number | null; parts: Part[] }> };
    await openHaHosts(admin);
    for (const x of ready.hosts) {
      await poll(() => admin.locator(`[data-cy=oneha-host-${x.hostId}] [data-cy=oneha-readiness]`).innerText()).toBe(x.score === null ? 'HA off' : `${x.score} %`);
    }
    // The colour is Sunstone's own: a host at 100 % wears the same badge colours as its MONITORED state tag (both "success").
    const full = ready.hosts.find((x) => x.score !== null && x.score >= 90)!;
    expect(full.hostId).toBe(3);
    const weak = ready.hosts.find((x) => x.score !== null && x.score < 90 && x.parts.some((p) => p.ok === false && p.fix))!;
    const style = (hostId: number, column: number) => admin.locator(`[data-cy=oneha-host-${hostId}] td:nth-child(${column}) > *`).first()
      // the tag and everything in it (its dot, its label): colours, backgrounds, borders and fills
      .evaluate((el) => [el, ...el.querySelectorAll('*')].map((e) => {
        const s = getComputedStyle(e);
        return `${s.color} ${s.backgroundColor} ${s.borderColor} ${s.fill}`;
      }).join(' | '));
    // Polled: when the score changes (the computation before the fence test showed a warning), the tag's colours
    // pass through MUI's transition for a moment before they settle.
    const stateTag = await style(full.hostId, 3);
    await poll(() => style(full.hostId, 10)).toBe(stateTag);
    expect(await style(weak.hostId, 10)).not.toBe(await style(full.hostId, 10)); // a warning wears another colour
    // A host with a part missing: its panel lists every part, and the fix of each one that fails.
    await select(admin, weak.hostId);
    const panel = admin.locator('[data-cy=oneha-readiness-panel]');
    await panel.waitFor();
    expect(await panel.locator('[data-cy=oneha-readiness-score]').innerText()).toBe(`${weak.score} %`);
    for (const part of weak.parts) {
      const row = panel.locator(`[data-cy=oneha-part-${part.key}]`);
      expect(await row.innerText()).toContain(part.detail);
      // StatusTag passes its title through FireEdge's translations (UNKNOWN reads "Unknown").
      expect((await row.locator('[data-cy=oneha-part-result]').innerText()).toUpperCase()).toBe(part.ok === null ? 'UNKNOWN' : part.ok ? 'PASS' : 'FAIL');
      expect(await row.locator('[data-cy=oneha-part-fix]').innerText()).toBe(part.ok === false ? part.fix ?? '' : '');
    }
    expect(await admin.locator('[data-cy=oneha-reserve-warning]').count()).toBe(0);
    // The cluster full: every host's memory reserved (RESERVED_MEM, as an admin sets it), so no host's VMs fit elsewhere.
    const ids = ready.hosts.map((x) => x.hostId);
    for (const id of ids) expect((await rpc(sim.url, 'one.host.update', [id, 'RESERVED_MEM = "100%"', 1]))[0]).toBe(true);
    // The runner recomputes readiness in the background (readiness.refreshSeconds); an operator's `oneha readiness --refresh` does it now.
    const recompute = async () => expect((await runner.api('GET', '/v1/readiness?refresh=1')).status).toBe(200);
    try {
      await recompute();
      // the page's next list refresh (every 5 s) brings it
      await poll(() => admin.locator('[data-cy=oneha-reserve-warning]').innerText())
        .toMatch(/Capacity reserve gone[\s\S]*Cluster default: the N\+1 capacity reserve is gone\. If its worst host failed now, VMs needing CPU [\d.]+, MEMORY \d+ MB would stay down/);
    } finally {
      for (const id of ids) await rpc(sim.url, 'one.host.update', [id, 'RESERVED_MEM = ""', 1]);
    }
    await recompute();
    await poll(() => admin.locator('[data-cy=oneha-reserve-warning]').count()).toBe(0);
  });

  it('switching HA off writes ONEHA_HA = NO through FireEdge; FireEdge\'s own host page shows it', async () => {
    await openHaHosts(admin);
    const sw = admin.locator('[data-cy=oneha-host-1] [data-cy=oneha-ha-switch] input');
    expect(await sw.isChecked()).toBe(true);
    await sw.click();
    await poll(async () => (await hostTemplate(sim.url, 1)).ONEHA_HA).toBe('NO');
    // written by FireEdge as oneadmin (server_cipher session), in merge mode: FENCE_IP is still there
    const update = sim.calls.filter((c) => c.method === 'one.host.update').at(-1)!;
    expect(update.params.slice(1)).toEqual([1, 'ONEHA_HA = "NO"\n', 1]);
    expect((await hostTemplate(sim.url, 1)).FENCE_IP).toBe('127.0.0.1');
    await admin.locator('[data-cy=oneha-host-1] [data-cy=oneha-host-link]').click();
    await poll(() => admin.url()).toMatch(/\/host\/1$/);
    await poll(() => admin.locator('text=ONEHA_HA').count()).toBeGreaterThan(0);
    const row = admin.locator('tr, li, div').filter({ hasText: /^\s*ONEHA_HA\s*NO\s*$/ });
    await poll(() => row.count()).toBeGreaterThan(0);
    // and back: the browser's Back returns to the HA hosts page with that host open (?host=1)
    await admin.goBack();
    await poll(() => admin.url()).toMatch(/\/ha\?host=1$/);
    await poll(() => admin.locator('[data-cy=oneha-host-settings]').innerText()).toContain('kvm-node-02: HA settings');
  });

  it('FENCE_IP: an invalid one is refused as typed with the field named, a valid one is written and FireEdge shows it', async () => {
    await openHaHosts(admin);
    await select(admin, 2);
    const field = admin.locator('[data-cy=oneha-fence-ip] input');
    await field.fill('300.1.2.3');
    await poll(() => admin.locator('[data-cy=oneha-fence-ip]').innerText()).toContain('"300.1.2.3" is not an IP address or host name');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await admin.locator('[data-cy=oneha-save]').isDisabled()).toBe(true);
    await field.fill('10.20.30.40');
    await admin.locator('[data-cy=oneha-save]').click();
    await poll(async () => (await hostTemplate(sim.url, 2)).FENCE_IP).toBe('10.20.30.40');
    await goTo(admin, fe, '/host/2');
    const row = admin.locator('tr, li, div').filter({ hasText: /^\s*FENCE_IP\s*10\.20\.30\.40\s*$/ });
    await poll(() => row.count()).toBeGreaterThan(0);
  });

  it('the runner\'s check refuses an invalid FENCE_IP naming the field, and writes nothing', async () => {
    const good = await runner.api('POST', '/v1/hosts/2/settings/check', { fenceIp: '10.1.1.1', ha: false });
    expect(good.json).toEqual({ attributes: { ONEHA_HA: 'NO', FENCE_IP: '10.1.1.1' }, template: 'ONEHA_HA = "NO"\nFENCE_IP = "10.1.1.1"\n' });
    const bad = await runner.api('POST', '/v1/hosts/2/settings/check', { fenceIp: 'bmc..example' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].path).toEqual(['fenceIp']);
    expect((await hostTemplate(sim.url, 2)).FENCE_IP).toBe('10.20.30.40');
  });

  it('a fence test runs fence_ipmilan against ipmi_sim and shows the BMC\'s answer', async () => {
    await openHaHosts(admin);
    await select(admin, 3);
    await admin.locator('[data-cy=oneha-fence-ip] input').fill('127.0.0.1');
    await admin.locator('label:has-text("Fence agent") + div input').fill('fence_ipmilan');
    await admin.locator('label:has-text("Agent options") + div input').fill(`ipport=${bmc.port} lanplus=1 cipher=3 power_wait=0 power_timeout=5`);
    await admin.locator('[data-cy=oneha-save]').click();
    await poll(async () => (await hostTemplate(sim.url, 3)).ONEHA_FENCE_AGENT).toBe('fence_ipmilan');
    await admin.locator('label:has-text("User") + div input').fill('ipmiadmin');
    await admin.locator('label:has-text("Password") + div input').fill('bmc-secret-1');
    await admin.locator('button:has-text("Set")').click();
    await poll(() => admin.locator('[data-cy=oneha-creds-state]').innerText()).toContain('password set');
    await admin.locator('[data-cy=oneha-fence-test]').click();
    const result = admin.locator('[data-cy=oneha-fence-result]');
    await result.waitFor({ timeout: 180_000 });
    expect(await result.innerText()).toMatch(/BMC reachable: power on \(.*fence_ipmilan/);
    expect(await admin.content()).not.toContain('bmc-secret-1');
  });

  it('rehearse: "What if it died now" on the selected host shows the plan in tier order and a predicted MTTR, its fence level asked for status only', async () => {
    // Host 3 fenced by fence_ipmilan against ipmi_sim (as the fence test above leaves it), and restart tiers on its two VMs.
    await fenceHost3ByIpmiSim();
    expect((await rpc(sim.url, 'one.vm.update', [18, 'ONEHA_PRIORITY = "HIGHEST"\nONEHA_READY = "GUEST"\nONEHA_READY_TIMEOUT = "90"', 1]))[0]).toBe(true);
    expect((await rpc(sim.url, 'one.vm.update', [19, 'ONEHA_PRIORITY = "LOW"', 1]))[0]).toBe(true);
    try {
      await openHaHosts(admin);
      await select(admin, 3);
      const panel = admin.locator('[data-cy=oneha-rehearsal]');
      await poll(() => panel.innerText()).toContain('Never rehearsed');
      await panel.locator('[data-cy=oneha-rehearse]').click();
      const report = panel.locator('[data-cy=oneha-rehearsal-report]');
      await report.waitFor();
      const r = (await runner.api('GET', '/v1/hosts/3/rehearsal')).json as { outcome: string; plan: { actions: Array<{ vmId: number }> }; leftDown: Array<{ vmId: number; reason: string }>; mttr: { seconds: number }; fence: { levels: Array<{ result: string }> } };
      expect(r.outcome).toBe('completed');
      expect(r.plan.actions.map((a) => a.vmId)).toEqual([18, 19]); // HIGHEST before LOW, whatever their ids
      expect(await report.locator('[data-cy=oneha-rehearsal-plan] tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-vm'))))).toEqual([18, 19]);
      // Its tier and what lets the next one start: the guest's READY = YES, 90 s at most.
      expect(await report.locator('[data-cy=oneha-plan-vm-18]').innerText()).toMatch(/^HIGHEST\s+GUEST: RUNNING and READY=YES \(at most 90 s\)\s+api-02 \(#18\)\s+resched/);
      expect(await report.locator('[data-cy=oneha-plan-vm-19] [data-cy=oneha-plan-ready]').innerText()).toBe('RUNNING (at most 600 s)');
      expect(await report.locator('[data-cy=oneha-rehearsal-mttr]').innerText()).toMatch(new RegExp(`^Predicted MTTR: ${r.mttr.seconds} s: wait [\\d.]+ s \\+ fence [\\d.]+ s \\+ vms [\\d.]+ s$`));
      expect(r.fence.levels[0].result).toBe('status: power ON'); // ipmi_sim asked for its power state, and only that
      expect(await report.innerText()).toContain('Fence level 1: fence_ipmilan: status: power ON');
      for (const v of r.leftDown) expect(await report.locator(`[data-cy=oneha-left-down-${v.vmId}]`).first().innerText()).toContain(v.reason);
      // nothing touched: the host still runs, its VMs too
      expect((await rpc(sim.url, 'one.host.info', [3]))[1]).toMatch(/<STATE>2<\/STATE>/);
    } finally {
      for (const vm of [18, 19]) await rpc(sim.url, 'one.vm.update', [vm, 'ONEHA_PRIORITY = "MEDIUM"\nONEHA_READY = "RUNNING"\nONEHA_READY_TIMEOUT = "600"', 1]);
    }
  });

  it('a failed host\'s recovery appears live on the Recoveries page, step by step, until its VMs run elsewhere', async () => {
    await goTo(admin, fe, '/ha/recoveries');
    await admin.locator('[data-cy=oneha-recoveries]').waitFor();
    // A wait of 8 monitoring cycles (8 s here) leaves the page time to show the recovery running.
    expect((await runner.api('PUT', '/v1/hosts/0/settings', { pause: 8 })).status).toBe(200);
    sim.cloud.failHost(0);
    const detail = admin.locator('[data-cy=oneha-recovery-detail]');
    await detail.waitFor({ timeout: 180_000 });
    const seen = new Set<string>();
    await poll(async () => {
      seen.add((await detail.getAttribute('data-status')) ?? '');
      return detail.getAttribute('data-status');
    }, 300).toBe('completed');
    expect([...seen].some((s) => s === 'running' || s === 'received')).toBe(true);
    const text = await detail.innerText();
    expect(text).toContain('Fence the host');
    expect(text).toMatch(/web-01 \(#10\)[\s\S]*recovered/);
    expect(text).toMatch(/db-01 \(#12\)[\s\S]*recovered/);
    // verify's columns, per VM: where it runs now and after how long
    for (const vm of [10, 12]) {
      const row = admin.locator(`[data-cy=oneha-vm-${vm}]`);
      expect(await row.locator('[data-cy=oneha-vm-check]').innerText()).toBe('running');
      expect(await row.locator('[data-cy=oneha-vm-runs-on]').innerText()).toMatch(/^kvm-node-0[234] \(#[123]\)$/);
      expect(await row.locator('[data-cy=oneha-vm-to-running]').innerText()).toMatch(/^\d+(\.\d+)? (ms|s|min)/);
    }
    // Reconciled (no hook here): no "Read the hook event" step, on this page nor on the runner's own page.
    const id = (await detail.getAttribute('data-id'))!;
    const rec = (await runner.api('GET', `/v1/recoveries/${id}`)).json;
    expect(rec.trigger).toBe('reconciled');
    expect(rec.steps.map((s: { name: string }) => s.name)).toContain('decode');
    expect(text).not.toContain('Read the hook event');
    expect(text).toContain('Wait for the host to come back');
    const own = await newPage();
    await own.goto(`${runner.url}/plugin/`);
    await own.fill('#username', 'oneadmin');
    await own.fill('#password', 'oneadmin');
    await own.click('form.signin button[type=submit]');
    await own.waitForSelector('#current-user');
    await own.goto(`${runner.url}/plugin/#/recoveries/${id}`);
    await own.waitForSelector('.timeline .step[data-step="wait"]');
    expect(await own.locator('.timeline').innerText()).not.toContain('Read the hook event');
    expect(await own.locator('.timeline .step[data-step="decode"]').count()).toBe(0);
    await own.context().close();
  });

  it('a dead BMC: "Confirm host is down" on the Recoveries page, behind the host\'s name typed exactly; the recovery goes on', async () => {
    // Fence settings an admin broke: fencing host 2 fails before any agent runs (or the mass brake holds it).
    expect((await rpc(sim.url, 'one.host.update', [2, 'ONEHA_FENCE_AGENT = "fence_ipmilan"\nONEHA_FENCE_OPTIONS = "lanplus=1 passwd=oops"', 1]))[0]).toBe(true);
    sim.cloud.failHost(2);
    const latest = async () => (await runner.api('GET', '/v1/recoveries?host=2')).json.recoveries[0] as { id: string; status: string } | undefined;
    await poll(async () => (await latest())?.status).toMatch(/^(fence-failed|held)$/);
    const id = (await latest())!.id;
    await admin.locator(`[data-cy="oneha-recovery-${id}"] td`).first().click();
    const detail = admin.locator(`[data-cy=oneha-recovery-detail][data-id="${id}"]`);
    await poll(() => detail.getAttribute('data-status')).toMatch(/^(fence-failed|held)$/);
    await admin.locator('[data-cy=oneha-confirm-down]').click();
    const dialog = admin.locator('[data-cy=oneha-confirm-down-dialog]');
    await dialog.waitFor();
    const submit = dialog.locator('[data-cy=oneha-confirm-down-submit]');
    expect(await submit.isDisabled()).toBe(true);
    await dialog.locator('[data-cy=oneha-confirm-down-reason]').fill('power cables pulled, checked on site');
    await dialog.locator('[data-cy=oneha-confirm-down-name]').fill('kvm-node-02');
    expect(await submit.isDisabled()).toBe(true); // another host's name
    expect((await latest())!.status).toMatch(/^(fence-failed|held)$/);
    await dialog.locator('[data-cy=oneha-confirm-down-name]').fill('kvm-node-03');
    expect(await submit.isDisabled()).toBe(false);
    await submit.click();
    await poll(async () => (await latest())!.status).toMatch(/^(completed|degraded)$/);
    await poll(() => detail.locator('[data-cy=oneha-fence-evidence]').innerText()).toMatch(/CONFIRMED DOWN[\s\S]*confirmed by oneadmin at .*power cables pulled, checked on site/);
    expect(await admin.locator('[data-cy=oneha-confirm-down]').count()).toBe(0);
  });
});

describe('permissions are OpenNebula\'s', { timeout: 600_000 }, () => {
  it('a user without MANAGE sees read-only controls, and a forced write is refused by oned', async () => {
    const viewer = await newPage();
    await signIn(viewer, fe, 'viewer', 'viewer');
    await openHaHosts(viewer);
    await viewer.locator('[data-cy=oneha-read-only]').waitFor();
    await viewer.locator(SIDEBAR_GROUP).waitFor();
    expect(await viewer.locator('[data-cy=oneha-host-0] [data-cy=oneha-ha-switch] input').isDisabled()).toBe(true);
    const before = await hostTemplate(sim.url, 0);
    // bypass the page: FireEdge's API as viewer, straight to one.host.update
    const r = await viewer.evaluate(async () => {
      const res = await fetch('/fireedge/api/host/update/0', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ template: 'ONEHA_HA = "NO"', replace: 1 }) });
      return { status: res.status, body: await res.json() };
    });
    expect(r.body.id).not.toBe(200);
    expect(JSON.stringify(r.body)).toContain('Not authorized to perform MANAGE HOST [0]');
    expect(await hostTemplate(sim.url, 0)).toEqual(before);
    expect(sim.calls.filter((c) => c.method === 'one.host.update' && !c.ok).at(-1)?.code).toBe(512);
  });
});

describe('Sunstone never depends on the runner or on the plugin', { timeout: 600_000 }, () => {
  it('runner stopped: the dashboard and hosts pages load, the HA pages say the runner is unreachable', async () => {
    await runner.kill();
    const p = admin;
    await goTo(p, fe, '/dashboard');
    await p.locator('[data-cy=dashboard-panel]').waitFor();
    await goTo(p, fe, '/host');
    await poll(() => p.locator('text=kvm-node-04').count()).toBeGreaterThan(0);
    await goTo(p, fe, '/ha');
    await poll(() => p.locator('[data-cy=oneha-runner-unreachable]').innerText()).toContain('oneha runner is unreachable');
    expect(await p.locator('[data-cy=oneha-host-0]').innerText()).toContain('kvm-node-01');
    await goTo(p, fe, '/ha/recoveries');
    await poll(() => p.locator('[data-cy=oneha-recoveries] [data-cy=oneha-runner-unreachable]').count()).toBe(1);
  });

  it('uninstalled: Sunstone loads with no fallback editor and no High Availability entry', async () => {
    const out = await pluginScript(fe, 'uninstall');
    expect(out).toContain('removed OnehaModule');
    // The browser that had the plugin loaded reloads Sunstone (still signed in).
    const p = admin;
    await p.reload({ waitUntil: 'domcontentloaded' });
    await p.locator('[data-cy=main-layout]').waitFor();
    expect(await p.locator('#inline-remotes-config-editor').count()).toBe(0);
    await goTo(p, fe, '/host');
    await poll(() => p.locator('text=kvm-node-04').count()).toBeGreaterThan(0);
    expect(await p.locator('[data-cy=sidebar]').count()).toBe(1);
    expect(await p.locator(SIDEBAR_GROUP).count()).toBe(0);
    expect(await p.evaluate(() => localStorage.getItem('usingLocalRemotesFallbackConfig'))).toBeNull();
  });
});

describe('npm start with FireEdge', { timeout: 600_000 }, () => {
  it('starts FireEdge with the plugin and prints its URL; signed in there, the High Availability pages show the demo\'s hosts', async () => {
    await fe.stop(); // done with it: one FireEdge at a time on a small machine
    // What `npm start` runs after building (the build already ran for this suite).
    const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
    const cmd = start.split('&&').at(-1)!.trim().split(/\s+/);
    expect(cmd.slice(0, 3)).toEqual(['node', 'dist/oneha.mjs', 'demo']);
    expect(cmd).toContain('--fireedge');
    const demo = await startDemo({ args: cmd.slice(3), timeoutMs: 300_000 });
    try {
      expect(demo.sunstone).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fireedge\/sunstone$/);
      await poll(() => demo.output()).toContain(`Sunstone       ${demo.sunstone}`);
      const site = { sunstone: demo.sunstone! };
      const p = await newPage();
      await signIn(p, site, 'oneadmin', 'oneadmin');
      await p.locator(SIDEBAR_GROUP).waitFor();
      await goTo(p, site, '/ha');
      // the plugin reached the demo's runner with single sign-on: every host with the runner's data
      await p.locator('[data-cy=oneha-hosts][data-runner=yes] [data-cy=oneha-host-3]').waitFor();
      expect(await p.locator('[data-cy=oneha-host-0]').innerText()).toContain('kvm-node-01');
      await p.context().close();
    } finally {
      await demo.stop();
    }
  });
});

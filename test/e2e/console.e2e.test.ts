// The runner's page without rough edges, in Chromium at 1440×900, 1024×768
// and 900 px wide: an unverified fence reads as a warning with its evidence,
// a failed one as an error; fence-failed recoveries list the VMs that are
// down; no sideways overflow; 24 h times; no 401 in the browser console; a
// force control; confirmations that say what they do; the demo's
// restore/enable.
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath, hostTemplate, requireBuilt, rpc, startDemo, type Demo } from './helpers';

const SIZES = [{ width: 1440, height: 900 }, { width: 1024, height: 768 }, { width: 900, height: 800 }];

let demo: Demo;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
const api = async (method: string, path: string) => {
  const res = await fetch(`${demo.runnerUrl}${path}`, { method, headers: { authorization: `Bearer ${demo.token}` } });
  return res.json() as Promise<any>;
};
// A recovery ends when its VMs run (verify): on a loaded machine that takes minutes, so a generous deadline.
const settled = (hostId: number) => async () => {
  for (const end = Date.now() + 150_000; Date.now() < end;) {
    const r = (await api('GET', `/v1/recoveries?host=${hostId}`)).recoveries.find((x: { status: string }) => !['running', 'received'].includes(x.status));
    if (r) return r;
    await new Promise((ok) => setTimeout(ok, 250));
  }
  throw new Error(`no settled recovery of host ${hostId}`);
};

beforeAll(async () => {
  requireBuilt();
  [demo, browser] = await Promise.all([startDemo(), chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS })]);
  const ctx = await browser.newContext({ viewport: SIZES[0], colorScheme: 'light', reducedMotion: 'reduce' });
  page = await ctx.newPage();
  // A deadline for a page that never comes, not a speed target: at load 10 a page took over 15 s.
  page.setDefaultTimeout(45_000);
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
}, 60_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await demo?.stop();
}, 20_000);

describe('the runner\'s page (Chromium, three window sizes)', () => {
  it('loads without a 401 in the browser console and signs in', async () => {
    await page.goto(`${demo.runnerUrl}/plugin/`);
    await page.waitForSelector('#username');
    await page.fill('#username', 'oneadmin');
    await page.fill('#password', 'oneadmin');
    await page.click('form.signin button[type=submit]');
    await page.waitForSelector('#current-user');
    expect(consoleErrors).toEqual([]);
  });

  it('a fence command that exited 0 is shown as unverified (a warning, with the evidence), never a green FENCED', async () => {
    await fetch(`${demo.controlUrl}/hosts/1/fail`, { method: 'POST' });
    const r = await settled(1)();
    await page.goto(`${demo.runnerUrl}/plugin/#/recoveries/${r.id}`);
    await page.waitForSelector('#rec-status .chip');
    expect(await page.getAttribute('#rec-status .chip', 'class')).toContain('chip-warning');
    expect(await page.textContent('#rec-status')).toMatch(/FENCE UNVERIFIED/);
    expect(await page.getAttribute('.step[data-step="fence"] .chip', 'class')).toContain('chip-warning');
    expect(await page.textContent('#fence-outcome')).toBe('FENCED (UNVERIFIED)');
    expect(await page.textContent('.detail')).toMatch(/no BMC confirmed the host is off/);
    expect(await page.textContent('.detail')).toMatch(/command exited 0/); // the evidence
  });

  it('each VM\'s verify columns: where it runs and after how long, or why it is stuck with oned\'s text', async () => {
    const r = await settled(1)();
    const detail = await api('GET', `/v1/recoveries/${r.id}`);
    await page.goto(`${demo.runnerUrl}/plugin/#/recoveries/${r.id}`);
    await page.waitForSelector('#vm-outcomes tbody tr');
    const rows = await page.$$eval('#vm-outcomes tbody tr', (trs) => trs.map((tr) => ({
      vm: Number(tr.getAttribute('data-vm')),
      check: tr.querySelector('.vm-check')?.textContent, runsOn: tr.querySelector('.vm-runs-on')?.textContent,
      toRunning: tr.querySelector('.vm-to-running')?.textContent, detail: tr.querySelector('.vm-detail')?.textContent,
    })));
    const verified = (detail.vms as Array<{ vmId: number; verify?: { result: string; hostId?: number; hostName?: string; oned?: string } }>).filter((v) => v.verify);
    expect(verified.length).toBeGreaterThan(0);
    for (const v of verified) {
      const row = rows.find((x) => x.vm === v.vmId)!;
      expect(row.check, `VM ${v.vmId}`).toBe(v.verify!.result);
      if (v.verify!.result === 'running') {
        expect(row.runsOn).toBe(`${v.verify!.hostName} (#${v.verify!.hostId})`);
        expect(v.verify!.hostId).not.toBe(1);
        expect(row.toRunning).toMatch(/^\d+(\.\d+)? (ms|s|min)/);
      } else if (v.verify!.result === 'stuck' && v.verify!.oned) {
        expect(row.detail).toContain(`oned: "${v.verify!.oned}"`);
      }
    }
  });

  it('at 1440×900 a recovery fits the window, and no column is cut short or wrapped while there is room', async () => {
    const r = await settled(1)();
    await page.setViewportSize(SIZES[0]);
    await page.goto(`${demo.runnerUrl}/plugin/#/recoveries/${r.id}`);
    await page.waitForSelector('#vm-outcomes tbody tr');
    const fit = await page.evaluate(() => ({ page: document.documentElement.scrollHeight, bottom: document.querySelector('.detail')!.getBoundingClientRect().bottom + window.scrollY }));
    expect(fit.bottom, 'the recovery\'s bottom edge').toBeLessThanOrEqual(900);
    expect(fit.page, 'the page\'s height').toBeLessThanOrEqual(900);
    // Short cells (state, action, where it runs, times) on one line; only the reasons (.wrap) wrap.
    const lines = (sel: string) => page.$$eval(sel, (tds) => tds.map((td) => {
      const range = document.createRange();
      range.selectNodeContents(td);
      // One line is ~22 px (text or a chip); a wrapped cell's content is twice that.
      return { text: td.textContent, height: range.getBoundingClientRect().height };
    }).filter((x) => x.height > 32));
    expect(await lines('#vm-outcomes td:not(.wrap)')).toEqual([]);
    // No cell of the lists is cut short (an ellipsis) at this width.
    for (const view of ['#/hosts', '#/recoveries']) {
      await page.goto(`${demo.runnerUrl}/plugin/${view}`);
      await page.waitForSelector('.grid tbody tr[data-key], .grid tbody tr[data-id]');
      const cut = await page.$$eval('.grid th, .grid tbody td', (cells) => cells.filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent));
      expect(cut, view).toEqual([]);
    }
  });

  it('a fence-failed recovery is red everywhere and lists the VMs that are down, with their state from oned', async () => {
    expect((await rpc(demo.simUrl, 'one.host.update', [0, 'ONEHA_FENCE_AGENT = "fence_ipmilan"\nONEHA_FENCE_OPTIONS = "lanplus=1 passwd=oops"', 1]))[0]).toBe(true);
    await fetch(`${demo.controlUrl}/hosts/0/fail`, { method: 'POST' });
    const r = await settled(0)();
    expect(r.status).toBe('fence-failed');
    await page.goto(`${demo.runnerUrl}/plugin/#/recoveries/${r.id}`);
    await page.waitForSelector('#rec-status:has-text("FENCE-FAILED")');
    expect(await page.getAttribute('#rec-status .chip', 'class')).toContain('chip-error');
    expect(await page.getAttribute('.operator', 'class')).toContain('note-error'); // chip and banner agree
    const down = await page.$$eval('#vm-outcomes tbody tr', (rows) => rows.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    const onHost = (await api('GET', '/v1/hosts/0')).vms;
    expect(down.length).toBe(onHost);
    for (const row of down) {
      expect(row[2]).toMatch(/^[A-Z_]+(\/[A-Z_]+)?$/); // oned's state
      expect(row[4]).toBe('down');
    }
    const release = await page.$('#release-recovery');
    await release!.click();
    await page.waitForSelector('dialog.dialog[open]');
    expect(await page.textContent('dialog.dialog[open]')).toMatch(/power it off through its BMC/);
    expect(await page.getAttribute('dialog.dialog[open] button:has-text("Release")', 'class')).toMatch(/danger/);
    await page.click('dialog.dialog[open] button:has-text("Cancel")');
  });

  it('a dead BMC: "Confirm host is down" asks why and the host\'s name typed exactly; the recovery goes on with the operator\'s word as evidence', async () => {
    const r = (await api('GET', '/v1/recoveries?host=0')).recoveries[0];
    expect(r.status).toBe('fence-failed');
    await page.goto(`${demo.runnerUrl}/plugin/#/recoveries/${r.id}`);
    await page.click('#confirm-down');
    const dlg = 'dialog.dialog[open]';
    await page.waitForSelector(`${dlg}:has-text("Confirm kvm-node-01 (#0) is down?")`);
    const submit = `${dlg} button:has-text("Confirm down and recover")`;
    expect(await page.getAttribute(submit, 'class')).toMatch(/danger/);
    expect(await page.isDisabled(submit)).toBe(true);
    await page.fill('#confirm-down-reason', 'power cables pulled, checked on site');
    expect(await page.isDisabled(submit)).toBe(true); // the name is not typed yet
    await page.fill('#confirm-down-name', 'kvm-node-02');
    expect(await page.isDisabled(submit)).toBe(true); // another host's name
    expect((await api('GET', `/v1/recoveries/${r.id}`)).status).toBe('fence-failed');
    await page.fill('#confirm-down-name', 'kvm-node-01');
    expect(await page.isDisabled(submit)).toBe(false);
    await page.click(submit);
    await page.waitForSelector('.toast:has-text("confirmed down")');
    const done = await settled(0)();
    expect(done.id).toBe(r.id);
    expect(['completed', 'degraded']).toContain(done.status);
    await page.waitForSelector('#fence-outcome:has-text("CONFIRMED DOWN")', { timeout: 30_000 });
    expect(await page.textContent('.detail')).toMatch(/confirmed by oneadmin at .*: power cables pulled, checked on site/);
    expect(await page.$('#confirm-down')).toBeNull(); // offered only while the recovery waits for an operator
  });

  it('no sideways overflow at 1440×900, 1024×768 and 900 px, even with a fence command path; times are 24 h', async () => {
    const list = (await api('GET', '/v1/recoveries')).recoveries as Array<{ id: string }>;
    const views = ['#/hosts', '#/hosts/1/settings', '#/hosts/2/readiness', '#/recoveries', ...list.map((r) => `#/recoveries/${r.id}`)];
    for (const size of SIZES) {
      await page.setViewportSize(size);
      for (const v of views) {
        await page.goto(`${demo.runnerUrl}/plugin/${v}`);
        await page.waitForSelector(v.startsWith('#/recoveries/') ? '#rec-status .chip' : 'main .view');
        expect(await overflow(), `${v} at ${size.width}×${size.height}`).toBeLessThanOrEqual(0);
        expect(await page.textContent('body'), `${v}: 12 h time`).not.toMatch(/\d\d? ?(AM|PM)\b/);
      }
    }
    await page.setViewportSize(SIZES[0]);
  });

  it('host settings: a force (-f) control; turning fencing off asks first; "Set credentials" when none are set', async () => {
    await page.goto(`${demo.runnerUrl}/plugin/#/hosts/3/settings`);
    await page.waitForSelector('#ha-force');
    expect(await page.textContent('#save-credentials')).toBe('Set credentials');
    await page.selectOption('#ha-fencing', 'off');
    await page.click('#save-settings');
    await page.waitForSelector('dialog.dialog[open]:has-text("Turn fencing off")');
    expect(await page.getAttribute('dialog.dialog[open] button:has-text("Turn fencing off")', 'class')).toMatch(/danger/);
    await page.click('dialog.dialog[open] button:has-text("Cancel")');
    await page.waitForSelector('.form-result:has-text("Nothing was saved")');
    expect((await hostTemplate(demo.simUrl, 3)).ONEHA_FENCING).toBeUndefined();
    await page.selectOption('#ha-fencing', '');
    await page.selectOption('#ha-force', 'yes');
    await page.click('#save-settings');
    await page.waitForSelector('.form-result:has-text("Saved")');
    expect(await page.textContent('.form-result')).toMatch(/Saved \d\d:\d\d:\d\d\./);
    expect((await hostTemplate(demo.simUrl, 3)).ONEHA_FORCE).toBe('YES');
  });

  it('demo: a disabled host cannot be failed (it says why); Restore enables it again', async () => {
    expect((await api('GET', '/v1/hosts/1')).stateName).toBe('DISABLED'); // left so by its recovery
    await page.goto(`${demo.runnerUrl}/plugin/#/demo`);
    await page.waitForSelector('#demo-host option[value="1"]', { state: 'attached' });
    await page.selectOption('#demo-host', '1');
    await page.click('#demo-fail');
    await page.waitForSelector('.toast:has-text("cannot fail")');
    await page.click('#demo-restore');
    await page.waitForSelector('.toast:has-text("answers again and is enabled")');
    expect((await api('GET', '/v1/hosts/1')).stateName).toBe('MONITORED');
    expect(await page.textContent('#demo-host option[value="1"]')).toContain('(MONITORED)');
  });

  it('demo: the host list is never stale: failing two hosts one after the other, each reads ERROR as soon as the page says it failed', async () => {
    await page.goto(`${demo.runnerUrl}/plugin/#/demo`);
    for (const id of ['1', '2']) {
      await page.waitForSelector(`#demo-host option[value="${id}"]:has-text("(MONITORED)")`, { state: 'attached' });
      await page.selectOption('#demo-host', id);
      await page.click('#demo-fail');
      await page.waitForSelector(`.toast:has-text("Host #${id} stopped answering")`);
      expect(await page.textContent(`#demo-host option[value="${id}"]`), `host ${id}`).toContain('(ERROR)');
    }
    expect(await page.textContent('#demo-host option[value="1"]')).not.toContain('MONITORED');
  });
});

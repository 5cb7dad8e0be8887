// Demo controls, shown only when the runner drives the simulated cloud:
// fail a host, watch its recovery live, restore it.
import { api, currentSession, type RecoverySummary } from './api';
import { h, icon, replace, toast } from './dom';
import { hostStateChip, recoveryChip, when } from './format';
import { onLive } from './live';
import type { Route, View } from './router';
import { hosts } from './store';

export function demoView(_route: Route): View {
  const admin = !!currentSession()?.admin;
  const select = h('select', { id: 'demo-host' });
  const stateSlot = h('span', { class: 'demo-state' });
  const recent = h('ul', { class: 'recent', 'aria-live': 'polite' });
  const recoveries = new Map<string, RecoverySummary>();

  const act = (action: 'fail' | 'restore') => async () => {
    const id = Number(select.value);
    if (!Number.isInteger(id)) return;
    try {
      await api.demoAction(id, action);
      // The host as oned has it now (ERROR, or MONITORED again), before saying it is done: the list never
      // shows the state from before the click.
      hosts.patch(await api.host(id));
      toast(action === 'fail' ? `Host #${id} stopped answering: watch its recovery below.` : `Host #${id} answers again and is enabled.`, 'success');
      hosts.refreshSoon(500);
    } catch (e) {
      toast((e as Error).message, 'error');
    }
  };
  const fail = h('button', { type: 'button', class: 'btn btn-danger', id: 'demo-fail', disabled: !admin, on: { click: act('fail') } }, icon('bolt'), ' Fail host');
  const restore = h('button', { type: 'button', class: 'btn', id: 'demo-restore', disabled: !admin, on: { click: act('restore') } }, 'Restore and enable host');

  function fillHosts() {
    const cur = select.value;
    const list = hosts.data?.hosts ?? [];
    replace(select, list.map((x) => h('option', { value: String(x.id), text: `#${x.id} ${x.name} (${x.stateName})` })));
    if (cur && list.some((x) => String(x.id) === cur)) select.value = cur;
    showState();
  }
  function showState() {
    const x = hosts.get(Number(select.value));
    replace(stateSlot, x ? [hostStateChip(x.state, x.stateName), ` ${x.vms} VMs, HA ${x.ha.value ? 'on' : 'off'}`] : null);
  }
  function renderRecent() {
    const rows = [...recoveries.values()].sort((a, b) => b.receivedAt - a.receivedAt).slice(0, 8);
    replace(recent, rows.length
      ? rows.map((r) => h('li', null, recoveryChip(r.status), ' ', h('a', { href: `#/recoveries/${r.id}`, text: `${r.hostName ?? (r.hostId === undefined ? 'host' : hosts.get(r.hostId)?.name ?? 'host')} #${r.hostId ?? '?'}` }), h('span', { class: 'muted', text: ` ${when(r.receivedAt)} · ${r.counts.recovered} VMs recovered` })))
      : h('li', { class: 'muted', text: 'No recovery yet.' }));
  }
  select.addEventListener('change', showState);

  const el = h('div', { class: 'view view-demo' },
    h('section', { class: 'card pad', 'aria-labelledby': 'demo-title' },
      h('h2', { id: 'demo-title', text: 'Demo: simulated cloud' }),
      h('p', null, 'This runner drives a simulated OpenNebula. Fail a host and watch oneha fence it and recover its VMs, live. A recovered host is left DISABLED: restore it to enable it again (a disabled host is not monitored, so it cannot fail).'),
      admin ? null : h('p', { class: 'note note-info', text: 'Read-only: only members of the oneadmin group can fail or restore hosts.' }),
      h('div', { class: 'row demo-row' },
        h('div', { class: 'field' }, h('label', { for: 'demo-host', text: 'Host' }), select),
        stateSlot),
      h('div', { class: 'actions' }, fail, restore)),
    h('section', { class: 'card pad', 'aria-labelledby': 'demo-recent' }, h('h2', { id: 'demo-recent', text: 'Latest recoveries' }), recent));

  const offStore = hosts.subscribe(fillHosts);
  const offLive = onLive((e) => {
    if (e.recovery) {
      recoveries.set(e.recovery.id, e.recovery);
      renderRecent();
    }
    hosts.refreshSoon();
  });
  void api.recoveries().then((r) => {
    for (const x of r.recoveries) if (!recoveries.has(x.id)) recoveries.set(x.id, x);
    renderRecent();
  });
  if (hosts.data) fillHosts();
  void hosts.load();
  renderRecent();
  return { el, title: 'Demo', update() {}, destroy: () => { offStore(); offLive(); } };
}

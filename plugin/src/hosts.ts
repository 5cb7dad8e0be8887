// The Hosts view: search, filters, a sortable windowed table, and the
// selected host's detail panel under it (Sunstone's split layout).
import type { HostView } from './api';
import { h, icon, replace } from './dom';
import { ago, chip, HOST_STATES, hostStateChip } from './format';
import { RESERVE_ADVICE, reserveWarnings, scoreText, scoreVerdict } from '../../model/readinessDisplay';
import { HostDetail, TABS, type TabId } from './hostDetail';
import { onLive } from './live';
import type { Route, View } from './router';
import { hosts } from './store';
import { VirtualTable, type Column } from './table';

type SortKey = 'id' | 'name' | 'cluster' | 'state' | 'vms' | 'ha' | 'mode' | 'fence' | 'ip' | 'test' | 'ready';

const fenceSummary = (x: HostView) => x.fence.methods.length
  ? x.fence.methods.map((m) => (m.kind === 'agent' ? m.agent : 'command')).join(' → ')
  : 'none';

const SORTERS: Record<SortKey, (a: HostView, b: HostView) => number> = {
  id: (a, b) => a.id - b.id,
  name: (a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }),
  cluster: (a, b) => a.cluster.localeCompare(b.cluster),
  state: (a, b) => a.stateName.localeCompare(b.stateName),
  vms: (a, b) => a.vms - b.vms,
  ha: (a, b) => Number(a.ha.value) - Number(b.ha.value),
  mode: (a, b) => a.mode.value.localeCompare(b.mode.value) || a.mode.source.localeCompare(b.mode.source),
  fence: (a, b) => fenceSummary(a).localeCompare(fenceSummary(b)),
  ip: (a, b) => (a.fence.ip ?? '').localeCompare(b.fence.ip ?? '', undefined, { numeric: true }),
  test: (a, b) => (a.lastFenceTest?.at ?? 0) - (b.lastFenceTest?.at ?? 0),
  // Unknown (not answered yet) and HA off after every score.
  ready: (a, b) => (hosts.readinessOf(a.id)?.score ?? 101) - (hosts.readinessOf(b.id)?.score ?? 101),
};

/** The score from the list's one GET /v1/readiness (never a request per host); a link to the host's readiness tab. */
function readinessCell(x: HostView): Node {
  const r = hosts.readinessOf(x.id);
  if (!r) {
    return hosts.readinessError
      ? h('span', { class: 'muted', text: '?', title: `Readiness could not be read: ${hosts.readinessError}` })
      : h('span', { class: 'muted', text: '…', title: 'Asking the runner' });
  }
  const failing = r.parts.filter((p) => p.ok === false).map((p) => p.label);
  return h('a', { href: `#/hosts/${x.id}/readiness`, class: 'ready-link', title: failing.length ? `Missing: ${failing.join('; ')}` : 'Every part that can be checked passes' },
    chip(scoreText(r.score), scoreVerdict(r.score)));
}

function testCell(x: HostView): Node | string {
  const t = x.lastFenceTest;
  if (!t) return h('span', { class: 'muted', text: 'never' });
  return h('span', { title: t.error ?? `power ${t.power}` },
    chip(t.reachable ? `OK${t.power ? ` · ${t.power.toUpperCase()}` : ''}` : 'FAILED', t.reachable ? 'success' : 'error'), ' ', h('span', { class: 'muted', text: ago(t.at) }));
}

const COLUMNS: Column<HostView>[] = [
  { key: 'id', label: 'ID', cls: 'c-id', sortable: true, render: (x) => String(x.id) },
  { key: 'name', label: 'Name', cls: 'c-name', sortable: true, render: (x) => h('a', { href: `#/hosts/${x.id}`, text: x.name }) },
  { key: 'cluster', label: 'Cluster', cls: 'c-cluster', sortable: true, render: (x) => x.cluster },
  {
    key: 'state', label: 'State', cls: 'c-state', sortable: true,
    render: (x) => h('span', { class: 'cell-flex' }, hostStateChip(x.state, x.stateName),
      x.recovery ? h('a', { href: `#/recoveries/${x.recovery.id}`, class: 'rec-ind', title: `Recovery ${x.recovery.status}`, 'aria-label': `Recovery ${x.recovery.status}` }, icon('recover')) : null),
  },
  { key: 'vms', label: 'VMs', cls: 'c-num', sortable: true, render: (x) => String(x.vms) },
  { key: 'ha', label: 'HA', cls: 'c-ha', sortable: true, render: (x) => chip(x.ha.value ? 'ON' : 'OFF', x.ha.value ? 'success' : 'default', x.ha.source === 'host' ? 'set on the host' : 'default') },
  {
    key: 'mode', label: 'Mode', cls: 'c-mode', sortable: true,
    render: (x) => h('span', null, x.mode.value, ' ', h('span', { class: `tag ${x.mode.source === 'host' ? 'tag-set' : ''}`, text: x.mode.source === 'host' ? 'set' : 'inherited' })),
  },
  { key: 'fence', label: 'Fence method', cls: 'c-fence', sortable: true, render: (x) => (x.fence.methods.length ? h('span', { title: fenceSummary(x), text: fenceSummary(x) }) : h('span', { class: 'warn-text', text: 'none', title: 'No fencing configured' })) },
  { key: 'ip', label: 'FENCE_IP', cls: 'c-ip', sortable: true, render: (x) => x.fence.ip ?? h('span', { class: 'muted', text: '—' }) },
  { key: 'test', label: 'Last fence test', cls: 'c-test', sortable: true, render: testCell },
  { key: 'ready', label: 'Readiness', cls: 'c-ready', sortable: true, render: readinessCell },
];

export function hostsView(route: Route): View {
  let sort: { key: SortKey; dir: 'asc' | 'desc' } = { key: 'id', dir: 'asc' };
  let selected: number | undefined;
  let tab: TabId = 'settings';
  let revealNext = true;

  const search = h('input', { type: 'search', id: 'host-search', placeholder: 'Search name, ID, cluster, FENCE_IP, agent', autocomplete: 'off' });
  const state = h('select', { id: 'host-state' },
    h('option', { value: '', text: 'All states' }),
    h('option', { value: 'failed', text: 'Failed (ERROR, MONITORING_ERROR)' }),
    HOST_STATES.map((s, i) => h('option', { value: String(i), text: s })));
  const ha = h('select', { id: 'host-ha' },
    h('option', { value: '', text: 'HA on and off' }), h('option', { value: 'on', text: 'HA on' }), h('option', { value: 'off', text: 'HA off' }));
  const count = h('span', { class: 'count', id: 'host-count', role: 'status' });
  const refresh = h('button', { type: 'button', class: 'btn btn-icon', title: 'Reload hosts', 'aria-label': 'Reload hosts', on: { click: () => void hosts.load(true) } }, icon('refresh'));
  const message = h('div', { class: 'msg' });
  const reserve = h('div', { id: 'reserve-warning' });

  const table = new VirtualTable<HostView>({
    label: 'Hosts', columns: COLUMNS, rowKey: (x) => x.id, rowLabel: (x) => `${x.name}, ${x.stateName}`,
    onOpen: (x) => (location.hash = `#/hosts/${x.id}/${tab}`),
    onSort: (key) => {
      sort = { key: key as SortKey, dir: sort.key === key && sort.dir === 'asc' ? 'desc' : 'asc' };
      table.setSort(sort);
      apply();
    },
    empty: 'No host matches.',
  });
  table.setSort(sort);
  const detail = new HostDetail();
  const detailSlot = h('div', { class: 'detail-slot' });

  const el = h('div', { class: 'view view-hosts' },
    h('div', { class: 'toolbar card', role: 'search' },
      h('label', { class: 'search' }, icon('search'), h('span', { class: 'sr-only', text: 'Search hosts' }), search),
      h('label', { class: 'inline' }, h('span', { class: 'sr-only', text: 'Filter by state' }), state),
      h('label', { class: 'inline' }, h('span', { class: 'sr-only', text: 'Filter by HA' }), ha),
      refresh, count),
    message, reserve,
    h('div', { class: 'split' }, h('div', { class: 'card table-card' }, table.el), detailSlot));

  function apply() {
    const t0 = performance.now();
    const all = hosts.data?.hosts ?? [];
    const q = search.value.trim().toLowerCase();
    const st = state.value;
    const hv = ha.value;
    const rows = all.filter((x) => {
      if (st === 'failed' ? x.state !== 3 && x.state !== 5 : st !== '' && x.state !== Number(st)) return false;
      if (hv && x.ha.value !== (hv === 'on')) return false;
      if (!q) return true;
      return String(x.id) === q || x.name.toLowerCase().includes(q) || x.cluster.toLowerCase().includes(q) ||
        (x.fence.ip ?? '').toLowerCase().includes(q) || fenceSummary(x).toLowerCase().includes(q);
    });
    const cmp = SORTERS[sort.key];
    rows.sort(sort.dir === 'asc' ? (a, b) => cmp(a, b) || a.id - b.id : (a, b) => cmp(b, a) || b.id - a.id);
    table.setRows(rows);
    count.textContent = `${rows.length.toLocaleString()} of ${all.length.toLocaleString()} hosts`;
    el.dataset.renderMs = (performance.now() - t0).toFixed(1);
  }

  function showDetail() {
    const host = selected === undefined ? undefined : hosts.get(selected);
    el.classList.toggle('has-detail', !!host);
    if (!host) {
      replace(detailSlot);
      if (selected !== undefined && hosts.data) replace(detailSlot, h('p', { class: 'note note-warning', text: `There is no host ${selected}.` }));
      return;
    }
    detail.show(host, tab);
    if (detail.el.parentNode !== detailSlot) replace(detailSlot, detail.el);
  }

  let timer = 0;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(apply, 60);
  });
  state.addEventListener('change', apply);
  ha.addEventListener('change', apply);

  const offStore = hosts.subscribe(() => {
    replace(message, hosts.error ? h('p', { class: 'note note-error', role: 'alert', text: `Hosts could not be loaded: ${hosts.error}` }) : null);
    const gone = reserveWarnings(hosts.readiness?.clusters ?? []);
    replace(reserve, gone.length ? h('div', { class: 'note note-warning', role: 'alert' },
      h('strong', null, 'Capacity reserve gone. '), gone.map((w) => h('p', { 'data-cluster': w.clusterId, text: w.text })),
      h('p', null, RESERVE_ADVICE)) : null);
    apply();
    showDetail();
    if (revealNext && hosts.data) {
      revealNext = false;
      table.reveal();
    }
  });
  const offLive = onLive((e) => {
    // A big cloud's host list is megabytes for the runner to read from oned: refresh less eagerly.
    if (e.event.type === 'status' || e.event.type === 'received' || e.event.type === 'step-finished') hosts.refreshSoon(big() ? 5000 : 1500);
  });
  const big = () => (hosts.data?.total ?? 0) > 500;
  let lastPoll = Date.now();
  const poll = window.setInterval(() => {
    if (document.visibilityState !== 'visible' || Date.now() - lastPoll < (big() ? 60_000 : 30_000)) return;
    lastPoll = Date.now();
    void hosts.load();
  }, 5_000);

  const update = (r: Route) => {
    const id = r.id !== undefined && /^\d+$/.test(r.id) ? Number(r.id) : undefined;
    tab = (TABS.find((t) => t.id === r.tab)?.id ?? 'settings') as TabId;
    if (id !== selected) revealNext = true;
    selected = id;
    table.setSelected(id);
    if (revealNext && hosts.data) {
      revealNext = false;
      table.reveal();
    }
    showDetail();
  };

  if (hosts.data) apply();
  else count.textContent = 'Loading hosts…';
  void hosts.load();
  update(route);

  return {
    el,
    title: 'Hosts',
    update,
    destroy() {
      offStore();
      offLive();
      clearInterval(poll);
      detail.destroy();
    },
  };
}

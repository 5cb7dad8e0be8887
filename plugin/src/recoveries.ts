// Recoveries: the list and the selected recovery's detail, both kept current
// from the runner's event stream without a reload.
import { api, currentSession, type RecoveryDetail, type RecoverySummary } from './api';
import { confirmDialog, h, replace, toast } from './dom';
import { confirmDownPhrase, confirmDownTyped, fenceVerdict, recoveryVerdict, STEP_LABEL, stepVerdict, visibleSteps, vmRows } from '../../model/recoveryDisplay';
import { chip, duration, fullTime, outcomeKind, recoveryChip, verdictChip, when } from './format';
import { onLive, onLiveReset } from './live';
import type { Route, View } from './router';
import { hosts } from './store';

const hostLabel = (r: RecoverySummary) => (r.hostId === undefined ? 'unknown host' : `${r.hostName ?? hosts.get(r.hostId)?.name ?? 'host'} (#${r.hostId})`);

export function recoveriesView(route: Route): View {
  const list = new Map<string, RecoverySummary>();
  let selected: string | undefined;
  let detail: RecoveryDetail | undefined;
  let frame = 0;
  let detailTimer = 0;
  const tbody = h('tbody');
  const count = h('span', { class: 'count', role: 'status' });
  const listMsg = h('div', { class: 'msg' });
  const detailSlot = h('div', { class: 'detail-slot' });
  const el = h('div', { class: 'view view-recoveries' },
    h('div', { class: 'toolbar card' }, h('h2', { class: 'toolbar-title', text: 'Recoveries' }), count),
    listMsg,
    h('div', { class: 'split' },
      h('div', { class: 'card table-card' }, h('div', { class: 'grid-scroll short', tabIndex: 0, role: 'region', 'aria-label': 'Recoveries' },
        h('table', { class: 'grid', id: 'recoveries-table' },
          h('colgroup', null, ['c-rid', 'c-host', 'c-rstatus', 'c-trigger', 'c-time', 'c-time', 'c-step', 'c-counts'].map((c) => h('col', { class: c }))),
          h('thead', null, h('tr', null, ['Recovery', 'Host', 'Status', 'Trigger', 'Received', 'Updated', 'Step', 'VMs ok / failed / skipped'].map((t) => h('th', { scope: 'col', text: t })))),
          tbody))),
      detailSlot));

  function renderList() {
    frame = 0;
    const rows = [...list.values()].sort((a, b) => b.receivedAt - a.receivedAt);
    count.textContent = `${rows.length} recover${rows.length === 1 ? 'y' : 'ies'}`;
    if (!rows.length) return replace(tbody, h('tr', { class: 'empty' }, h('td', { colSpan: 8, text: 'No recovery yet. When a host fails, its recovery appears here as it happens.' })));
    replace(tbody, rows.map((r) => h('tr', {
      class: r.id === selected ? 'selected' : '', 'aria-selected': String(r.id === selected), 'data-id': r.id,
      on: { click: (e) => !(e.target as HTMLElement).closest('a') && (location.hash = `#/recoveries/${r.id}`) },
    },
    h('td', null, h('a', { href: `#/recoveries/${r.id}`, text: r.id })),
    h('td', { text: hostLabel(r) }),
    h('td', null, recoveryChip(r.status)),
    h('td', { text: r.trigger }),
    h('td', { text: when(r.receivedAt), title: fullTime(r.receivedAt) }),
    h('td', { text: when(r.updatedAt), title: fullTime(r.updatedAt) }),
    h('td', { text: r.currentStep ? STEP_LABEL[r.currentStep] ?? r.currentStep : '—' }),
    h('td', { text: `${r.counts.recovered} / ${r.counts.failed} / ${r.counts.skipped}` }))));
    // The open recovery stays in sight in the shortened list (its own scroll, never the page's).
    const row = tbody.querySelector<HTMLElement>('tr.selected');
    const box = tbody.closest<HTMLElement>('.grid-scroll');
    if (row && box && (row.offsetTop < box.scrollTop + row.offsetHeight || row.offsetTop + row.offsetHeight > box.scrollTop + box.clientHeight)) box.scrollTop = row.offsetTop - row.offsetHeight;
  }
  const scheduleList = () => (frame ||= requestAnimationFrame(renderList));

  async function loadDetail() {
    if (!selected) {
      detail = undefined;
      el.classList.remove('has-detail');
      return replace(detailSlot);
    }
    const id = selected;
    try {
      const d = await api.recovery(id);
      if (id !== selected) return;
      detail = d;
      list.set(d.id, d);
      scheduleList();
      el.classList.add('has-detail');
      replace(detailSlot, renderDetail(d));
    } catch (e) {
      if (id === selected) replace(detailSlot, h('p', { class: 'note note-error', role: 'alert', text: (e as Error).message }));
    }
  }

  const offLive = onLive((e) => {
    if (e.recovery) {
      list.set(e.recovery.id, e.recovery);
      scheduleList();
    }
    if (e.event.id === selected) {
      clearTimeout(detailTimer);
      detailTimer = window.setTimeout(loadDetail, 150);
    }
  });

  const offHosts = hosts.subscribe(scheduleList); // host names for the list
  if (!hosts.data) void hosts.load();
  const loadList = () => api.recoveries().then((r) => {
    for (const x of r.recoveries) if (!list.has(x.id) || list.get(x.id)!.updatedAt <= x.updatedAt) list.set(x.id, x);
    renderList();
  }, (e: Error) => replace(listMsg, h('p', { class: 'note note-error', role: 'alert', text: `Recoveries could not be loaded: ${e.message}` })));
  void loadList();
  renderList();
  const offReset = onLiveReset(() => { void loadList(); void loadDetail(); });

  const update = (r: Route) => {
    if (r.id === selected && detail) return;
    selected = r.id;
    scheduleList();
    void loadDetail();
  };
  update(route);
  return { el, title: 'Recoveries', update, destroy: () => { offLive(); offReset(); offHosts(); clearTimeout(detailTimer); } };
}

function operatorBox(d: RecoveryDetail): Node | null {
  const admin = !!currentSession()?.admin;
  const release = h('button', {
    type: 'button', class: 'btn btn-primary', id: 'release-recovery', disabled: !admin,
    on: { click: async () => {
      const ok = await confirmDialog({
        title: `Release recovery ${d.id}?`,
        body: d.status === 'fence-failed'
          ? `oneha will try to fence ${hostLabel(d)} again (power it off through its BMC) and, once it is verified off, recover its VMs.`
          : `oneha will go on with the recovery of ${hostLabel(d)}: power it off through its BMC, then recover its VMs.`,
        confirm: 'Release',
        // Releasing fences: it powers the host off.
        danger: true,
      });
      if (!ok) return;
      try {
        await api.release(d.id);
        toast(`Recovery ${d.id} released.`, 'success');
      } catch (e) {
        toast(`Not released: ${(e as Error).message}`, 'error');
      }
    } },
  }, 'Release…');
  const confirmDown = h('button', {
    type: 'button', class: 'btn btn-danger', id: 'confirm-down', disabled: !admin,
    on: { click: () => void confirmDownDialog(d) },
  }, 'Confirm host is down…');
  const roNote = admin ? null : h('p', { class: 'hint', text: 'Only members of the oneadmin group can release or confirm a host down.' });
  const hostLink = (tab: string, text: string) => (d.hostId === undefined ? text : h('a', { href: `#/hosts/${d.hostId}/${tab}`, text }));
  if (d.status === 'held') {
    return h('div', { class: 'note note-warning operator', role: 'note' },
      h('h3', null, 'Held: waiting for an operator'),
      h('p', null, d.reason ?? 'The recovery is held.'),
      h('p', null, 'No VM has been touched. Release lets it go on: fence the host, then recover its VMs. If the host is known to be off and its BMC is dead, confirm it is down instead.'),
      h('div', { class: 'actions' }, release, confirmDown), roNote);
  }
  if (d.status === 'fence-failed') {
    return h('div', { class: 'note note-error operator', role: 'note' },
      h('h3', null, 'Fencing failed: no VM was touched'),
      h('p', null, d.reason ?? d.fence?.reason ?? 'The host could not be verified powered off.'),
      h('p', null, 'oneha stops here on purpose: recovering the VMs of a host that may still be running them would run them twice.'),
      h('ol', { class: 'next-steps' },
        h('li', null, 'Check the BMC credentials and FENCE_IP of this host: ', hostLink('settings', 'HA settings'), '.'),
        h('li', null, 'Run a fence test until the BMC answers: ', hostLink('fence-test', 'Fence test'), '.'),
        h('li', null, 'Release to retry fencing and then the recovery.'),
        h('li', null, 'If the BMC is dead and you know the host is off (you checked it on site, pulled its power), confirm it is down: oneha records who and why, and recovers its VMs without fencing.')),
      h('div', { class: 'actions' }, release, confirmDown), roNote);
  }
  if (d.status === 'failed') {
    return h('div', { class: 'note note-error operator', role: 'note' }, h('h3', null, 'The recovery failed'), h('p', null, d.reason ?? 'See the failed step below.'));
  }
  return null;
}

/**
 * A dead BMC: the operator confirms the host is off, typing its name (the
 * runner journals who, why and when, then recovers without fencing).
 */
async function confirmDownDialog(d: RecoveryDetail): Promise<void> {
  const phrase = confirmDownPhrase(d);
  const reason = h('textarea', { id: 'confirm-down-reason', rows: 2, maxLength: 500, placeholder: 'e.g. power cables pulled, checked on site' });
  const typed = h('input', { id: 'confirm-down-name', type: 'text', autocomplete: 'off', spellcheck: false });
  const ok = await confirmDialog({
    title: `Confirm ${hostLabel(d)} is down?`,
    body: [
      h('p', null, 'oneha will recover this host\'s VMs without fencing it. If the host is in fact still running, its VMs will run twice and their disks may be corrupted.'),
      h('label', { for: 'confirm-down-reason', text: 'How do you know it is off?' }), reason,
      h('label', { for: 'confirm-down-name' }, 'Type the host\'s name, ', h('code', { text: phrase }), ', to confirm'), typed,
    ],
    confirm: 'Confirm down and recover',
    danger: true,
    ready: () => confirmDownTyped(d, typed.value) && reason.value.trim() !== '',
    focus: reason,
  });
  if (!ok) return;
  try {
    await api.confirmDown(d.id, reason.value.trim());
    toast(`${hostLabel(d)} confirmed down: recovery ${d.id} goes on.`, 'success');
  } catch (e) {
    toast(`Not confirmed: ${(e as Error).message}`, 'error');
  }
}

function timeline(d: RecoveryDetail): Node {
  const total = d.steps.reduce((s, x) => s + (x.durationMs ?? 0), 0) || 1;
  return h('ol', { class: 'timeline', 'aria-label': 'Steps' }, visibleSteps(d.steps, d.trigger).map((s) => {
    const verdict = stepVerdict(s);
    const kind = verdict.kind;
    const bar = h('span', { class: `bar bar-${kind}` });
    bar.style.width = `${Math.max(2, Math.round(((s.durationMs ?? 0) / total) * 100))}%`;
    return h('li', { class: `step step-${s.status} step-${kind}`, 'data-step': s.name },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      h('div', { class: 'step-main' },
        h('div', { class: 'step-head' },
          h('strong', { text: STEP_LABEL[s.name] ?? s.name }),
          verdictChip(verdict),
          h('span', { class: 'muted', text: `${when(s.startedAt)} · ${s.durationMs !== undefined ? duration(s.durationMs) : 'running…'}` })),
        h('div', { class: 'bar-track' }, bar),
        s.error ? h('p', { class: 'step-error', text: `${s.error.code}: ${s.error.message}` }) : null));
  }));
}

function fenceEvidence(d: RecoveryDetail): Node {
  const f = d.fence;
  if (!f) {
    const text = d.steps.some((s) => s.name === 'fence' && s.status === 'running') ? 'Fencing is in progress.'
      : d.status === 'fence-failed' ? 'Not fenced: see why above.'
        : ['running', 'received', 'held'].includes(d.status) ? 'Not fenced yet.' : 'The host was not fenced.';
    return h('p', { class: 'muted', text });
  }
  const v = fenceVerdict(f);
  return h('div', null,
    v.note ? h('p', { class: `note note-${v.kind === 'error' ? 'error' : 'warning'}`, role: 'note', text: v.note }) : null,
    h('dl', { class: 'facts facts-pairs' },
      h('dt', null, 'Outcome'), h('dd', { id: 'fence-outcome', class: 'span' }, verdictChip(v)),
      h('dt', null, 'Verified off by the BMC'), h('dd', { text: f.verified ? 'yes' : 'no' }),
      h('dt', null, 'Last power state'), h('dd', { text: f.power ? f.power.toUpperCase() : 'unknown' }),
      h('dt', null, 'Method'), h('dd', { class: 'span' }, f.method ? h('code', { text: f.method }) : '—'),
      f.evidence ? [h('dt', null, 'Evidence'), h('dd', { class: 'span' }, h('code', { class: 'wrap', text: f.evidence }))] : null,
      f.reason ? [h('dt', null, 'Reason'), h('dd', { class: 'span', text: f.reason })] : null),
    // One attempt that worked says nothing the facts above do not: the table is for retries and failures.
    f.attempts.length > 1 || f.attempts.some((a) => !a.ok) ? h('table', { class: 'simple', id: 'fence-attempts' },
      h('caption', { text: 'Attempts' }),
      h('thead', null, h('tr', null, ['Level', 'Method', 'Action', 'Result', 'Power', 'Took', 'Error'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', null, f.attempts.map((a) => h('tr', null,
        h('td', { text: String(a.level) }), h('td', { class: 'wrap' }, h('code', { text: a.method })), h('td', { text: a.action }),
        h('td', null, chip(a.ok ? 'OK' : 'FAILED', a.ok ? 'success' : 'error')), h('td', { text: a.power ?? '—' }),
        h('td', { text: duration(a.durationMs) }), h('td', { class: 'wrap', text: a.error ?? '' }))))) : null);
}

function vmTable(d: RecoveryDetail): Node {
  const rows = vmRows(d);
  if (!rows.length) return h('p', { class: 'muted', text: d.plan ? 'The host had no VM to recover.' : 'The host\'s VMs are listed once oned has been read.' });
  return h('table', { class: 'simple', id: 'vm-outcomes' },
    h('thead', null, h('tr', null, ['VM', 'Name', 'State', 'Action', 'Outcome', 'Verified', 'Runs on', 'Time to running', 'Detail / reason', 'Tries'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', null, rows.map((r) => h('tr', { 'data-vm': r.id },
      h('td', { text: String(r.id) }), h('td', { text: r.name }), h('td', { text: r.state }), h('td', { text: r.op }),
      h('td', { class: 'vm-outcome' }, chip(r.outcome, outcomeKind(r.outcome))),
      h('td', { class: 'vm-check' }, r.check === '—' ? '—' : chip(r.check, outcomeKind(r.check))),
      h('td', { class: 'vm-runs-on', text: r.runsOn }), h('td', { class: 'vm-to-running', text: r.toRunning }),
      h('td', { class: 'wrap vm-detail', text: r.detail }), h('td', { text: r.tries })))));
}

function renderDetail(d: RecoveryDetail): Node {
  return h('section', { class: 'detail card', 'aria-labelledby': 'rec-title', 'data-status': d.status },
    h('header', { class: 'detail-head' },
      h('h2', { id: 'rec-title', class: 'detail-title' }, `Recovery ${d.id}`),
      h('span', { id: 'rec-status' }, verdictChip(recoveryVerdict(d))),
      h('a', { class: 'btn btn-icon', href: '#/recoveries', 'aria-label': 'Close details', title: 'Close details', text: '×' })),
    h('dl', { class: 'facts facts-inline' },
      h('dt', null, 'Host'), h('dd', null, d.hostId === undefined ? 'unknown' : h('a', { href: `#/hosts/${d.hostId}`, text: hostLabel(d) })),
      h('dt', null, 'Trigger'), h('dd', { text: d.trigger + (d.joined ? ` (+${d.joined} joined)` : '') }),
      // Updated is in the list's row; the full date and time on hover.
      h('dt', null, 'Received'), h('dd', { text: when(d.receivedAt), title: fullTime(d.receivedAt) }),
      d.plan ? [h('dt', null, 'Mode'), h('dd', { text: d.plan.mode })] : null,
      d.releasedBy ? [h('dt', null, 'Released by'), h('dd', { text: d.releasedBy })] : null),
    // The outcome in a sentence, on its own line (as a fact it was squeezed into a narrow column).
    d.reason && !['held', 'fence-failed', 'failed'].includes(d.status) ? h('p', { class: 'detail-reason', id: 'rec-reason', text: d.reason }) : null,
    operatorBox(d),
    h('div', { class: 'detail-grid' },
      h('section', null, h('h3', null, 'Steps'), d.steps.length ? timeline(d) : h('p', { class: 'muted', text: 'Not started.' })),
      h('section', null, h('h3', null, 'Fencing evidence'), fenceEvidence(d))),
    // Every VM not recovered has its reason in its row (Detail / reason): no second list below.
    h('section', null, h('h3', null, `VMs (${d.counts.recovered} recovered, ${d.counts.failed} failed, ${d.counts.skipped} skipped)`), vmTable(d)));
}

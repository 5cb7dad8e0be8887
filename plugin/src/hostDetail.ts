// One host's detail panel: tabs "HA settings", "Fence test", "Recoveries", "Readiness".
import { api, ApiError, currentSession, type FenceTest, type HostReadinessAnswer, type HostSettingsChange, type HostView, type RehearsalReport } from './api';
import { mttrText, partVerdict, readyText, reserveWarnings, SCORE_HINT, scoreText, scoreVerdict, wouldText } from '../../model/readinessDisplay';
import { confirmDialog, h, icon, nextId, replace, toast } from './dom';
import { agentOptionsMessage, ago, chip, duration, fenceErrorAdvice, fenceIpMessage, formatOptions, fullTime, hostStateChip, parseOptionsText, recoveryChip, when } from './format';
import { MAX_PAUSE_CYCLES, pauseProblem } from '../../model/pause';
import { onLive } from './live';
import { clockTime } from '../../model/timeFormat';
import { agentMetadata, hosts, installedAgents } from './store';

export const TABS = [
  { id: 'settings', label: 'HA settings' },
  { id: 'fence-test', label: 'Fence test' },
  { id: 'recoveries', label: 'Recoveries' },
  { id: 'readiness', label: 'Readiness' },
] as const;
export type TabId = (typeof TABS)[number]['id'];

const readOnlyNote = () => {
  const s = currentSession();
  return s && !s.admin
    ? h('p', { class: 'note note-info', role: 'note' }, `Signed in as ${s.user.name}, who is not in the oneadmin group: everything here is read-only.`)
    : null;
};

interface Field {
  input: HTMLInputElement | HTMLSelectElement;
  error: HTMLElement;
  wrap: HTMLElement;
}

function field(label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string, tag?: Node): Field {
  const id = input.id || nextId('f');
  input.id = id;
  const hintId = `${id}-hint`;
  const errId = `${id}-error`;
  const error = h('div', { class: 'field-error', id: errId, 'aria-live': 'polite' });
  input.setAttribute('aria-describedby', hint ? `${hintId} ${errId}` : errId);
  const wrap = h('div', { class: 'field' },
    h('div', { class: 'label-row' }, h('label', { for: id, text: label }), tag ?? null),
    input,
    hint ? h('div', { class: 'hint', id: hintId }, hint) : null,
    error);
  return { input, error, wrap };
}

function setError(f: Field, message: string | undefined) {
  f.error.textContent = message ?? '';
  f.wrap.classList.toggle('invalid', !!message);
  if (message) f.input.setAttribute('aria-invalid', 'true');
  else f.input.removeAttribute('aria-invalid');
}

const sourceTag = (source: 'host' | 'default') =>
  h('span', { class: `tag ${source === 'host' ? 'tag-set' : ''}` }, source === 'host' ? 'set on this host' : 'inherited');

function credText(c: { usernameSet: boolean; passwordSet: boolean } | null): string {
  if (!c) return 'not set';
  return c.passwordSet ? (c.usernameSet ? 'set (username and password)' : 'set (password only)') : 'username only (no password)';
}

export class HostDetail {
  readonly el: HTMLElement;
  private readonly titleEl = h('h2', { class: 'detail-title' });
  private readonly stateEl = h('span');
  private readonly tabButtons = new Map<TabId, HTMLButtonElement>();
  private readonly panel: HTMLElement;
  private host?: HostView;
  private tab: TabId = 'settings';
  private dirty = false;
  private offLive?: () => void;
  private fenceRunning = false;
  /** The last readiness shown, kept while a fresher one is asked for (no flicker on each list refresh). */
  private lastReadiness?: HostReadinessAnswer;

  constructor() {
    const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Host details' });
    for (const t of TABS) {
      const b = h('button', {
        type: 'button', role: 'tab', id: `tab-${t.id}`, class: 'tab', 'aria-controls': 'host-panel', text: t.label,
        on: {
          click: () => this.go(t.id),
          keydown: (e) => {
            const k = (e as KeyboardEvent).key;
            const i = TABS.findIndex((x) => x.id === t.id);
            const j = k === 'ArrowRight' ? (i + 1) % TABS.length : k === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
            if (j >= 0) {
              e.preventDefault();
              this.go(TABS[j].id);
              this.tabButtons.get(TABS[j].id)?.focus();
            }
          },
        },
      });
      this.tabButtons.set(t.id, b);
      tablist.appendChild(b);
    }
    this.panel = h('div', { class: 'tab-panel', role: 'tabpanel', id: 'host-panel', tabIndex: 0 });
    this.el = h('section', { class: 'detail card', 'aria-labelledby': 'host-detail-title' },
      h('header', { class: 'detail-head' },
        this.titleEl, this.stateEl,
        h('a', { class: 'btn btn-icon', href: '#/hosts', title: 'Close details', 'aria-label': 'Close details' }, icon('close'))),
      tablist, this.panel);
    this.titleEl.id = 'host-detail-title';
  }

  private go(tab: TabId) {
    if (this.host) location.hash = `#/hosts/${this.host.id}/${tab}`;
  }

  /** Shows a host (a new one, another tab, or fresher data for the same one). */
  show(host: HostView, tab: TabId) {
    const newHost = this.host?.id !== host.id;
    const newTab = this.tab !== tab;
    const changed = newHost || JSON.stringify(this.host) !== JSON.stringify(host);
    this.host = host;
    this.tab = tab;
    replace(this.titleEl, `Host ${host.name} `, h('span', { class: 'muted', text: `#${host.id}` }));
    replace(this.stateEl, hostStateChip(host.state, host.stateName), host.recovery ? h('a', { class: 'chip chip-warning chip-link', href: `#/recoveries/${host.recovery.id}` }, `recovery ${host.recovery.status}`) : null);
    for (const [id, b] of this.tabButtons) {
      b.setAttribute('aria-selected', String(id === tab));
      b.tabIndex = id === tab ? 0 : -1;
    }
    this.panel.setAttribute('aria-labelledby', `tab-${tab}`);
    if (newHost) this.dirty = false;
    if (newHost || newTab || (changed && !this.dirty && !this.fenceRunning)) this.renderPanel();
  }

  destroy() {
    this.offLive?.();
  }

  private renderPanel() {
    this.offLive?.();
    this.offLive = undefined;
    const host = this.host!;
    if (this.tab === 'settings') replace(this.panel, this.settings(host));
    else if (this.tab === 'fence-test') replace(this.panel, this.fenceTest(host));
    else if (this.tab === 'readiness') replace(this.panel, this.readiness(host));
    else replace(this.panel, this.recoveries(host));
  }

  // ---------------------------------------------------------------- settings
  private settings(host: HostView): Node {
    const ro = !currentSession()?.admin;
    const defaults = hosts.data?.defaults;
    const markDirty = () => (this.dirty = true);

    const ha = h('input', { type: 'checkbox', role: 'switch', id: 'ha-switch', checked: host.ha.value, class: 'switch', on: { change: markDirty } });
    const haLabelState = h('span', { class: 'switch-state', text: host.ha.value ? 'On' : 'Off' });
    ha.addEventListener('change', () => (haLabelState.textContent = ha.checked ? 'On' : 'Off'));
    const haWrap = h('div', { class: 'field field-switch' },
      h('label', { for: 'ha-switch', class: 'switch-label' }, ha, h('span', { class: 'switch-track', 'aria-hidden': 'true' }), h('span', null, 'High availability '), haLabelState),
      h('div', { class: 'hint' }, 'When on, oneha fences this host and recovers its VMs if it fails (ONEHA_HA). ', sourceTag(host.ha.source)));

    const mode = h('select', { id: 'ha-mode', on: { change: markDirty } },
      h('option', { value: '', text: `Inherit (${defaults?.mode ?? 'runner default'})` }),
      ['migrate', 'recreate', 'delete'].map((m) => h('option', { value: m, text: m })));
    mode.value = host.mode.source === 'host' ? host.mode.value : '';
    const fMode = field('Recovery mode', mode, 'migrate: reschedule each VM on another host; recreate: redeploy it from its template; delete: delete it (ONEHA_MODE).', sourceTag(host.mode.source));

    const pause = h('input', { type: 'number', id: 'ha-pause', min: '0', max: String(MAX_PAUSE_CYCLES), step: '1', inputMode: 'numeric', placeholder: `inherit (${defaults?.pause ?? 2})`, on: { input: markDirty } });
    pause.value = host.pause.source === 'host' ? String(host.pause.value) : '';
    const fPause = field('Wait (monitoring cycles)', pause, 'How long a failed host gets to come back before oneha acts; empty inherits (ONEHA_PAUSE).', sourceTag(host.pause.source));

    const fencing = h('select', { id: 'ha-fencing', on: { change: markDirty } },
      h('option', { value: '', text: `Inherit (${defaults ? (defaults.fencing ? 'on' : 'off') : 'runner default'})` }),
      h('option', { value: 'on', text: 'On: fence before recovering' }),
      h('option', { value: 'off', text: 'Off: recover without fencing (unsafe)' }));
    fencing.value = host.fencing.source === 'host' ? (host.fencing.value ? 'on' : 'off') : '';
    const fFencing = field('Fencing', fencing, 'Without fencing a VM may run twice if the host is only cut off from the network (ONEHA_FENCING).', sourceTag(host.fencing.source));

    const force = h('select', { id: 'ha-force', on: { change: markDirty } },
      h('option', { value: '', text: `Inherit (${defaults ? (defaults.force ? 'yes' : 'no') : 'runner default'})` }),
      h('option', { value: 'yes', text: 'Yes: also suspended and powered-off VMs' }),
      h('option', { value: 'no', text: 'No: running VMs only' }));
    force.value = host.force.source === 'host' ? (host.force.value ? 'yes' : 'no') : '';
    const fForce = field('Recreate all (-f)', force, 'With recovery mode recreate: also recreate SUSPENDED and POWEROFF VMs, as host_error.rb -r -f (ONEHA_FORCE).', sourceTag(host.force.source));

    const agent = h('select', { id: 'fence-agent', on: { change: markDirty } },
      h('option', { value: '', text: 'None (the runner\'s default agent or fence command)' }));
    const current = host.fence.agent ?? '';
    if (current) agent.appendChild(h('option', { value: current, text: current }));
    agent.value = current;
    void installedAgents().then((list) => {
      for (const a of list) if (a !== current) agent.appendChild(h('option', { value: a, text: a }));
      if (current && !list.includes(current)) agent.options[1].textContent = `${current} (not installed on this front-end)`;
      agent.value = current;
    });
    const fAgent = field('Fence agent', agent, 'The ClusterLabs fence agent that powers this host off through its BMC (ONEHA_FENCE_AGENT).');

    const ip = h('input', { type: 'text', id: 'fence-ip', autocomplete: 'off', spellcheck: false, placeholder: 'e.g. 10.0.0.21 or bmc-node1.example', value: host.fence.ip ?? '', on: { input: markDirty } });
    const fIp = field('FENCE_IP (BMC address)', ip, 'IPv4, IPv6 or a host name of the BMC.');
    const checkIp = () => {
      const v = ip.value.trim();
      setError(fIp, v ? fenceIpMessage(v, hosts.data?.fenceIpRules) : undefined);
    };
    ip.addEventListener('blur', checkIp);
    ip.addEventListener('input', () => fIp.wrap.classList.contains('invalid') && checkIp());

    const opts = h('input', { type: 'text', id: 'fence-options', autocomplete: 'off', spellcheck: false, placeholder: 'e.g. lanplus=1 cipher=3 ipport=623', value: formatOptions(host.fence.options), on: { input: markDirty } });
    const fOpts = field('Agent options (non-secret)', opts, 'key=value separated by spaces (ONEHA_FENCE_OPTIONS). Passwords never go here.');
    if (host.fence.optionsInvalid) setError(fOpts, 'The options on the host cannot be used (see below): saving replaces them with what this field holds.');
    /** The options' problem: their syntax, then the chosen agent's own allowlist (as the runner checks them). */
    const optionsProblem = async (): Promise<{ options: Record<string, string>; error?: string }> => {
      const parsed = parseOptionsText(opts.value);
      if (parsed.error || !agent.value || !Object.keys(parsed.options).length) return parsed;
      return { ...parsed, error: agentOptionsMessage(await agentMetadata(agent.value), parsed.options) };
    };
    const checkOpts = async () => setError(fOpts, (await optionsProblem()).error);
    opts.addEventListener('blur', () => void checkOpts());

    const levels = host.fence.methods.length
      ? h('ol', { class: 'levels' }, host.fence.methods.map((m) => h('li', null, m.kind === 'agent'
        ? [h('strong', { text: m.agent }), ' ', h('code', { text: formatOptions(m.options) })]
        : [h('strong', { text: 'command' }), ' ', h('code', { text: m.command })])))
      : h('p', { class: 'note note-warning' }, 'No fencing is configured for this host: a failure would stop before touching any VM (unless fencing is off).');
    const problems = host.problems.length
      ? h('div', { class: 'note note-warning', role: 'note' }, h('strong', null, 'Settings that cannot be used: '), h('ul', null, host.problems.map((p) => h('li', { text: p }))))
      : null;

    const result = h('div', { class: 'form-result', role: 'status' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'save-settings', text: 'Save settings', disabled: ro });
    const reset = h('button', { type: 'button', class: 'btn', text: 'Undo changes', disabled: ro, on: { click: () => { this.dirty = false; this.renderPanel(); } } });
    const fields: Record<string, Field> = { ha: { input: ha, error: h('div'), wrap: haWrap }, mode: fMode, pause: fPause, fencing: fFencing, force: fForce, fenceAgent: fAgent, fenceIp: fIp, fenceOptions: fOpts };

    const form = h('form', { class: 'settings-form', 'aria-label': `HA settings of host ${host.name}`, novalidate: true },
      h('fieldset', { disabled: ro },
        h('legend', null, 'Recovery'),
        haWrap, h('div', { class: 'row' }, fMode.wrap, fPause.wrap, fFencing.wrap, fForce.wrap)),
      h('fieldset', { disabled: ro },
        h('legend', null, 'Fencing'),
        h('div', { class: 'row' }, fAgent.wrap, fIp.wrap), fOpts.wrap,
        h('div', { class: 'levels-wrap' }, h('span', { class: 'label', text: 'Fence levels in use' }), levels), problems),
      h('div', { class: 'actions' }, save, reset, result));

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (ro) return;
      for (const f of Object.values(fields)) setError(f, undefined);
      result.textContent = '';
      const change: HostSettingsChange = {};
      let bad: Field | undefined;
      if (ha.checked !== host.ha.value) change.ha = ha.checked;
      if (mode.value !== (host.mode.source === 'host' ? host.mode.value : '')) change.mode = (mode.value || null) as HostSettingsChange['mode'];
      const p = pause.value.trim();
      if (p !== (host.pause.source === 'host' ? String(host.pause.value) : '')) {
        if (p === '') change.pause = null;
        else if (!pauseProblem(p)) change.pause = Number(p);
        else {
          setError(fPause, `The wait ${pauseProblem(p)}; leave it empty to inherit.`);
          bad ??= fPause;
        }
      }
      const fenceInit = host.fencing.source === 'host' ? (host.fencing.value ? 'on' : 'off') : '';
      if (fencing.value !== fenceInit) change.fencing = fencing.value === '' ? null : fencing.value === 'on';
      const forceInit = host.force.source === 'host' ? (host.force.value ? 'yes' : 'no') : '';
      if (force.value !== forceInit) change.force = force.value === '' ? null : force.value === 'yes';
      if (agent.value !== (host.fence.agent ?? '')) change.fenceAgent = agent.value || null;
      const ipv = ip.value.trim();
      if (ipv !== (host.fence.ip ?? '')) {
        const ipProblem = ipv ? fenceIpMessage(ipv, hosts.data?.fenceIpRules) : undefined;
        if (ipProblem) {
          setError(fIp, ipProblem);
          bad ??= fIp;
        } else change.fenceIp = ipv || null;
      }
      const parsed = await optionsProblem();
      if (parsed.error) {
        setError(fOpts, parsed.error);
        bad ??= fOpts;
      } else if (host.fence.optionsInvalid || formatOptions(parsed.options) !== formatOptions(host.fence.options)) {
        change.fenceOptions = Object.keys(parsed.options).length ? parsed.options : null;
      }
      if (bad) {
        bad.input.focus();
        result.textContent = 'Nothing was saved: correct the field marked in red.';
        return;
      }
      if (!Object.keys(change).length) {
        result.textContent = 'Nothing to change.';
        return;
      }
      // Turning fencing off is the one setting that can make a VM run twice: say so, and ask.
      const fencingOff = change.fencing === false || (change.fencing === null && defaults?.fencing === false);
      if (fencingOff && !(await confirmDialog({
        title: `Turn fencing off for ${host.name}?`,
        body: 'When this host fails, oneha will recover its VMs without powering it off first. If the host is only cut off from the network, its VMs keep running there and start a second time elsewhere, on the same disks.',
        confirm: 'Turn fencing off', danger: true,
      }))) {
        result.textContent = 'Nothing was saved.';
        return;
      }
      save.disabled = true;
      result.textContent = 'Saving…';
      try {
        const updated = await api.saveSettings(host.id, change);
        this.dirty = false;
        hosts.patch(updated);
        toast(`Host ${updated.name}: settings saved.`, 'success');
        this.host = updated;
        this.renderPanel();
        const r = this.panel.querySelector('.form-result');
        if (r) r.textContent = `Saved ${clockTime(Date.now())}.`;
      } catch (err) {
        save.disabled = false;
        const ae = err as ApiError;
        let mapped = false;
        for (const d of ae.details ?? []) {
          const f = fields[String(d.path?.[0])];
          if (f) {
            setError(f, d.message);
            if (!mapped) f.input.focus();
            mapped = true;
          }
        }
        result.textContent = mapped ? 'Nothing was saved: the runner refused the field marked in red.' : `Nothing was saved: ${ae.message}`;
        result.classList.add('error');
      }
    });

    return h('div', null, readOnlyNote(), form, this.credentials(host, ro));
  }

  private credentials(host: HostView, ro: boolean): Node {
    const c = host.credentials;
    const agent = host.fence.methods.some((m) => m.kind === 'agent');
    const used = c.ref ? `the "${c.secretRef}" entry` : c.host?.passwordSet ? 'this host\'s own' : c.default?.passwordSet ? 'the default ones'
      : agent ? 'none: the fence agent will be refused by the BMC' : 'none (not needed yet: this host has no fence agent)';
    const status = h('dl', { class: 'facts' },
      h('dt', null, 'This host (host:' + host.id + ')'), h('dd', { 'data-testid': 'cred-host' }, chip(credText(c.host), c.host?.passwordSet ? 'success' : 'default')),
      h('dt', null, 'Default (every host)'), h('dd', null, chip(credText(c.default), c.default?.passwordSet ? 'success' : 'default')),
      h('dt', null, 'Used for fencing'), h('dd', { text: used }));
    const user = h('input', { type: 'text', id: 'cred-user', autocomplete: 'off', spellcheck: false });
    const pass = h('input', { type: 'password', id: 'cred-pass', autocomplete: 'new-password' });
    const fUser = field('BMC user name', user);
    const fPass = field('BMC password', pass);
    const result = h('div', { class: 'form-result', role: 'status' });
    const remove = h('button', {
      type: 'button', class: 'btn btn-danger-outline', text: 'Remove this host\'s credentials', disabled: !c.host,
      on: { click: async () => {
        const ok = await confirmDialog({ title: 'Remove credentials?', body: `Host ${host.name} will use the default credentials${c.default?.passwordSet ? '' : ' (none are set, so fencing it will fail)'}.`, confirm: 'Remove', danger: true });
        if (!ok) return;
        try {
          const r = await api.deleteCredentials(host.id);
          hosts.patch({ ...host, credentials: { ...c, host: r.passwordSet || r.usernameSet ? r : null } });
          toast(`Host ${host.name}: credentials removed.`, 'success');
        } catch (e) {
          result.textContent = (e as Error).message;
        }
      } },
    });
    const form = h('form', { class: 'cred-form', 'aria-label': c.host ? 'Replace BMC credentials' : 'Set BMC credentials', autocomplete: 'off' },
      h('fieldset', { disabled: ro },
        h('legend', null, 'BMC credentials'),
        h('p', { class: 'hint' }, 'Write-only: oneha keeps them in its secret file (never on the host template) and never shows a stored password.'),
        status,
        h('div', { class: 'row' }, fUser.wrap, fPass.wrap),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'save-credentials', text: c.host ? 'Replace credentials' : 'Set credentials' }), remove, result)));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      setError(fPass, pass.value ? undefined : 'Enter the password.');
      if (!pass.value) return pass.focus();
      try {
        const r = await api.setCredentials(host.id, user.value, pass.value);
        pass.value = '';
        user.value = '';
        hosts.patch({ ...host, credentials: { ...c, host: r } });
        toast(`Host ${host.name}: credentials replaced.`, 'success');
      } catch (err) {
        result.textContent = `Not saved: ${(err as Error).message}`;
      }
    });
    return form;
  }

  // -------------------------------------------------------------- fence test
  private fenceTest(host: HostView): Node {
    const ro = !currentSession()?.admin;
    const out = h('div', { class: 'fence-result', 'aria-live': 'polite' });
    const show = (t: FenceTest | null) => replace(out, t ? fenceResult(t) : h('p', { class: 'muted', text: 'No fence test since the runner started.' }));
    show(host.lastFenceTest);
    const btn = h('button', {
      type: 'button', class: 'btn btn-primary', id: 'run-fence-test', disabled: ro,
      on: { click: async () => {
        btn.disabled = true;
        this.fenceRunning = true;
        replace(out, h('p', { class: 'muted', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' Asking the BMC for its power state…'));
        try {
          const t = await api.fenceTest(host.id);
          show(t);
          hosts.patch({ ...(hosts.get(host.id) ?? host), lastFenceTest: t });
        } catch (e) {
          replace(out, h('p', { class: 'note note-error', role: 'alert', text: `The fence test could not run: ${(e as Error).message}` }));
        } finally {
          this.fenceRunning = false;
          btn.disabled = ro;
        }
      } },
    }, icon('bolt'), ' Run fence test');
    return h('div', null,
      readOnlyNote(),
      h('p', null, 'Asks this host\'s fence device for its power state, the way a real fence starts. ', h('strong', null, 'Status only: it never powers anything off.')),
      h('div', { class: 'actions' }, btn),
      out);
  }

  // --------------------------------------------------------------- readiness
  private readiness(host: HostView): Node {
    const shown = this.lastReadiness?.hostId === host.id ? this.lastReadiness : undefined;
    const box = h('div', { id: 'readiness-panel', 'aria-live': 'polite' },
      shown ? readinessPanel(shown) : h('p', { class: 'muted', role: 'status', text: 'Asking the runner…' }));
    const load = (fresh: boolean) => api.hostReadiness(host.id, fresh).then((r) => {
      this.lastReadiness = r;
      replace(box, readinessPanel(r));
    }, (e: Error) => replace(box, h('p', { class: 'note note-error', role: 'alert', text: `Readiness could not be read: ${e.message}` })));
    void load(false);
    // The runner recomputes readiness in the background; this asks for it now (oned's pools read once).
    const again = h('button', {
      type: 'button', class: 'btn', id: 'readiness-refresh',
      on: { click: async () => {
        again.disabled = true;
        await load(true);
        again.disabled = false;
      } },
    }, icon('refresh'), ' Recompute now');
    return h('div', null, h('div', { class: 'actions' }, again), box, this.rehearsal(host));
  }

  /** "What if it died now": the last rehearsal, and a button to run one (admins; nothing is touched). */
  private rehearsal(host: HostView): Node {
    const ro = !currentSession()?.admin;
    const out = h('div', { id: 'rehearsal', 'aria-live': 'polite' }, h('p', { class: 'muted', text: 'Loading the last rehearsal…' }));
    const show = (r: RehearsalReport | undefined) => replace(out, r ? rehearsalView(r)
      : h('p', { class: 'muted', text: `Host ${host.name} has not been rehearsed yet.` }));
    void api.lastRehearsal(host.id).then(show, (e: Error) => replace(out, h('p', { class: 'note note-error', text: e.message })));
    const btn = h('button', {
      type: 'button', class: 'btn btn-primary', id: 'rehearse', disabled: ro,
      on: { click: async () => {
        btn.disabled = true;
        replace(out, h('p', { class: 'muted', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' Running the recovery chain as a dry run…'));
        try {
          show(await api.rehearse(host.id));
        } catch (e) {
          replace(out, h('p', { class: 'note note-error', role: 'alert', text: `The rehearsal could not run: ${(e as Error).message}` }));
        } finally {
          btn.disabled = ro;
        }
      } },
    }, icon('bolt'), ' Rehearse');
    return h('section', { class: 'rehearsal', 'aria-labelledby': 'rehearsal-title' },
      h('h3', { id: 'rehearsal-title', text: 'What if it died now' }),
      h('p', null, 'Runs the whole recovery chain for this host as a dry run: the wait it would do, a status-only test of each fence level, the plan tier by tier, every VM that would be left down, and a predicted MTTR. ', h('strong', null, 'Nothing is touched.')),
      h('div', { class: 'actions' }, btn), out);
  }

  // -------------------------------------------------------------- recoveries
  private recoveries(host: HostView): Node {
    const box = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted', text: 'Loading…' }));
    let timer = 0;
    const load = () => api.recoveries(host.id).then((r) => {
      if (!r.recoveries.length) return replace(box, h('p', { class: 'muted', text: `No recovery of host ${host.name} in the journal.` }));
      replace(box, h('table', { class: 'simple' },
        h('thead', null, h('tr', null, ['Recovery', 'Status', 'Received', 'Updated', 'VMs recovered / failed / skipped'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', null, r.recoveries.map((x) => h('tr', null,
          h('td', null, h('a', { href: `#/recoveries/${x.id}`, text: x.id })),
          h('td', null, recoveryChip(x.status)),
          h('td', { text: when(x.receivedAt), title: fullTime(x.receivedAt) }),
          h('td', { text: when(x.updatedAt), title: fullTime(x.updatedAt) }),
          h('td', { text: `${x.counts.recovered} / ${x.counts.failed} / ${x.counts.skipped}` }))))));
    }, (e: Error) => replace(box, h('p', { class: 'note note-error', text: e.message })));
    void load();
    this.offLive = onLive((e) => {
      if (e.recovery?.hostId !== host.id) return;
      clearTimeout(timer);
      timer = window.setTimeout(load, 300);
    });
    return box;
  }
}

export function fenceResult(t: FenceTest): Node {
  return h('div', { class: `card result ${t.reachable ? 'ok' : 'bad'}`, 'data-testid': 'fence-result' },
    h('dl', { class: 'facts' },
      h('dt', null, 'Result'), h('dd', null, t.reachable ? chip('REACHABLE', 'success') : chip('FAILED', 'error')),
      h('dt', null, 'Power state'), h('dd', { text: t.power ? t.power.toUpperCase() : 'unknown' }),
      h('dt', null, 'Method'), h('dd', null, h('code', { text: t.method })),
      h('dt', null, 'Took'), h('dd', { text: duration(t.durationMs) }),
      h('dt', null, 'When'), h('dd', { text: `${fullTime(t.at)} (${ago(t.at)})` })),
    t.error ? h('div', { class: 'note note-error' },
      h('p', null, h('strong', null, 'What the agent said: '), h('span', { class: 'agent-error', text: t.error })),
      h('p', null, h('strong', null, 'What to check: '), fenceErrorAdvice(t.error))) : null);
}

/** One host's readiness: the score, each part with what was seen and, when it fails, its fix; its cluster's reserve. */
export function readinessPanel(r: HostReadinessAnswer): Node {
  const c = r.cluster;
  const warn = c ? reserveWarnings([c]) : [];
  return h('div', null,
    h('dl', { class: 'facts' },
      h('dt', null, 'Score'), h('dd', { id: 'readiness-score' }, chip(scoreText(r.score), scoreVerdict(r.score))),
      c ? [h('dt', null, `Cluster ${c.cluster || c.clusterId} reserve (N+1)`), h('dd', null, chip(c.n1 ? 'OK' : 'GONE', c.n1 ? 'success' : 'warning'))] : null,
      h('dt', null, 'Computed'), h('dd', { id: 'readiness-at', text: `${fullTime(r.at)} (${ago(r.at)}) from ${r.reads.join(', ')}` })),
    r.error ? h('p', { class: 'note note-warning', role: 'note', text: `The last computation failed (${fullTime(r.error.at)}: ${r.error.message}): this one is older.` }) : null,
    warn.map((w) => h('p', { class: 'note note-warning', role: 'note', text: w.text })),
    h('table', { class: 'simple', id: 'readiness-parts' },
      h('thead', null, h('tr', null, ['Part', 'Result', 'Weight', 'Seen', 'Fix'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', null, r.parts.map((p) => {
        const v = partVerdict(p.ok);
        return h('tr', { 'data-part': p.key },
          h('td', { text: p.label }), h('td', null, chip(v.text, v.kind)), h('td', { text: String(p.weight) }),
          h('td', { class: 'wrap', text: p.detail }), h('td', { class: 'wrap part-fix', text: p.fix ?? '' }));
      }))),
    h('p', { class: 'hint' }, SCORE_HINT));
}

/** A rehearsal report: its outcome, predicted MTTR, fence levels, the plan in tier order and every VM left down with why. */
export function rehearsalView(r: RehearsalReport): Node {
  return h('div', { class: 'card result', 'data-testid': 'rehearsal-report' },
    h('dl', { class: 'facts' },
      h('dt', null, 'A failure now would end'), h('dd', { id: 'rehearsal-outcome' }, recoveryChip(r.outcome), ' ', r.reason),
      h('dt', null, 'Predicted MTTR'), h('dd', { id: 'rehearsal-mttr', text: r.mttr ? mttrText(r.mttr) : 'none: the VMs would not be recovered' }),
      r.wait ? [h('dt', null, 'Wait'), h('dd', { text: `${r.wait.seconds} s (${r.wait.pause} cycles of ${r.wait.intervalSeconds} s)` })] : null,
      r.fence ? [h('dt', null, 'Fence levels (status only)'), h('dd', null, r.fence.levels.length
        ? r.fence.levels.map((l) => h('div', { text: `${l.level}. ${l.method}: ${l.result}` }))
        : r.fence.fencing ? 'none configured' : 'fencing is off')] : null,
      h('dt', null, 'Rehearsed'), h('dd', { text: `${fullTime(r.at)} (${r.trigger}, took ${duration(r.durationMs)})` })),
    r.plan ? h('table', { class: 'simple', id: 'rehearsal-plan' },
      h('caption', null, `Plan (${r.plan.mode}, in the order a recovery acts)`),
      h('thead', null, h('tr', null, ['Tier', 'Ready when', 'VM', 'Action', 'Would', 'Start'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', null, r.plan.actions.length ? r.plan.actions.map((a) => h('tr', { 'data-vm': a.vmId },
        h('td', { text: a.priority ?? 'MEDIUM' }), h('td', { class: 'ready', text: readyText(a) }), h('td', { text: `${a.vmName} (#${a.vmId})` }), h('td', { text: a.operation }),
        h('td', { class: 'wrap', text: wouldText(a) }), h('td', { text: `${a.startSeconds} s`, title: a.startSource })))
        : h('tr', null, h('td', { colSpan: 6, class: 'muted', text: 'No VM to act on.' })))) : null,
    r.leftDown.length ? h('table', { class: 'simple', id: 'rehearsal-left-down' },
      h('caption', null, 'Left down'),
      h('thead', null, h('tr', null, ['VM', 'By', 'Why'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', null, r.leftDown.map((v) => h('tr', { 'data-vm': v.vmId },
        h('td', { text: `${v.vmName} (#${v.vmId})` }), h('td', { text: v.by }), h('td', { class: 'wrap', text: v.reason }))))) : null);
}

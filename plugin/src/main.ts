// The oneha admin console: sign-in, then Sunstone's layout (sidebar, top bar,
// content) with the Hosts, Recoveries and (on the simulated cloud) Demo views.
import { api, ApiError, currentSession, setSession, whenUnauthorized, type Session } from './api';
import { demoView } from './demo';
import { h, icon, replace, toast } from './dom';
import { hostsView } from './hosts';
import { onLiveState, startLive, stopLive } from './live';
import { recoveriesView } from './recoveries';
import { parseRoute, type View, type ViewName } from './router';
import { hosts } from './store';

const root = document.getElementById('root')!;

// ------------------------------------------------------------ colour scheme
type Scheme = 'light' | 'dark';
const media = window.matchMedia('(prefers-color-scheme: dark)');
const stored = (): Scheme | null => {
  const v = localStorage.getItem('oneha.scheme');
  return v === 'light' || v === 'dark' ? v : null;
};
const scheme = (): Scheme => stored() ?? (media.matches ? 'dark' : 'light');
const schemeListeners = new Set<() => void>();
function applyScheme() {
  document.documentElement.dataset.scheme = scheme();
  for (const l of schemeListeners) l();
}
media.addEventListener('change', applyScheme);
applyScheme();

function schemeToggle(): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'btn btn-icon', id: 'scheme-toggle' });
  const paint = () => {
    const dark = scheme() === 'dark';
    replace(b, icon(dark ? 'sun' : 'moon'));
    b.setAttribute('aria-label', dark ? 'Use the light scheme' : 'Use the dark scheme');
    b.title = b.getAttribute('aria-label')!;
  };
  b.addEventListener('click', () => {
    localStorage.setItem('oneha.scheme', scheme() === 'dark' ? 'light' : 'dark');
    applyScheme();
  });
  schemeListeners.add(paint);
  paint();
  return b;
}

const brand = () => h('div', { class: 'brand' },
  h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, icon('shield')),
  h('span', { class: 'brand-text' }, h('strong', null, 'OpenNebula'), h('span', null, 'oneha · high availability')));

// ------------------------------------------------------------------ sign-in
function signIn(message?: string) {
  stopLive();
  hosts.reset();
  setSession(undefined);
  document.title = 'Sign in · oneha';
  const user = h('input', { type: 'text', id: 'username', name: 'username', autocomplete: 'username', required: true, spellcheck: false });
  const pass = h('input', { type: 'password', id: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const err = h('div', { class: 'form-error', id: 'signin-error', role: 'alert' }, message ?? '');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', text: 'Sign in' });
  const form = h('form', { class: 'signin card', 'aria-labelledby': 'signin-title', novalidate: true },
    brand(),
    h('h1', { id: 'signin-title', text: 'Sign in' }),
    h('p', { class: 'hint', text: 'Use your OpenNebula user name and password. Members of the oneadmin group can change settings; everybody else sees them read-only.' }),
    h('div', { class: 'field' }, h('label', { for: 'username', text: 'User name' }), user),
    h('div', { class: 'field' }, h('label', { for: 'password', text: 'Password' }), pass),
    err, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    if (!user.value.trim() || !pass.value) {
      err.textContent = 'Enter your user name and password.';
      (user.value.trim() ? pass : user).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      const s = await api.signIn(user.value.trim(), pass.value);
      pass.value = '';
      void start(s);
    } catch (x) {
      const ae = x as ApiError;
      err.textContent = ae.status === 401 ? 'Wrong user name or password.' : ae.message;
      submit.disabled = false;
      submit.textContent = 'Sign in';
      pass.select();
      pass.focus();
    }
  });
  replace(root, h('main', { class: 'signin-page' }, form, h('div', { id: 'toasts', class: 'toasts' })));
  user.focus();
}

// -------------------------------------------------------------------- shell
async function start(s: Session) {
  setSession(s);
  let demoEnabled = false;
  try {
    demoEnabled = (await api.demo()).enabled;
  } catch {
    demoEnabled = false;
  }
  const nav: Array<{ view: ViewName; label: string; icon: string }> = [
    { view: 'hosts', label: 'Hosts', icon: 'server' },
    { view: 'recoveries', label: 'Recoveries', icon: 'recover' },
    ...(demoEnabled ? [{ view: 'demo' as const, label: 'Demo', icon: 'play' }] : []),
  ];
  const links = new Map<ViewName, HTMLAnchorElement>();
  const title = h('h1', { class: 'page-title' });
  const main = h('main', { id: 'main', class: 'content', tabIndex: -1 });
  const liveDot = h('span', { class: 'live', role: 'status' });
  // After the stream was live, a new attempt says so: the runner went away (a restart) and the page is not live now.
  let wasLive = false;
  onLiveState((st) => {
    liveDot.className = `live live-${st}`;
    liveDot.textContent = st === 'live' ? 'Live' : st === 'connecting' ? (wasLive ? 'Reconnecting…' : 'Connecting…') : 'Offline';
    if (st === 'live') wasLive = true;
    liveDot.title = st === 'live' ? 'Recoveries update as they happen' : 'Live updates are not connected';
  });
  const collapse = h('button', { type: 'button', class: 'btn btn-icon collapse', 'aria-label': 'Collapse the menu', 'aria-expanded': 'true' }, icon('menu'));
  const sidebar = h('nav', { class: 'sidebar', 'aria-label': 'Main' }, h('div', { class: 'sidebar-inner' },
    h('div', { class: 'sidebar-head' }, brand(), collapse),
    h('div', { class: 'nav-group', text: 'High availability' }),
    h('ul', { class: 'nav' }, nav.map((n) => {
      const a = h('a', { href: `#/${n.view}`, class: 'nav-link', title: n.label }, icon(n.icon), h('span', { class: 'nav-label', text: n.label }));
      links.set(n.view, a);
      return h('li', null, a);
    }))));
  const app = h('div', { class: 'app' },
    h('a', { class: 'skip', href: '#main', on: { click: (e) => { e.preventDefault(); main.focus(); } } }, 'Skip to content'),
    sidebar,
    h('div', { class: 'body' },
      h('header', { class: 'topbar' },
        title,
        h('div', { class: 'topbar-end' },
          liveDot,
          schemeToggle(),
          h('span', { class: 'user', id: 'current-user' }, icon('user'), h('span', { text: s.user.name }), s.admin ? h('span', { class: 'chip chip-info', text: 'admin' }) : h('span', { class: 'chip chip-default', text: 'read-only' })),
          h('button', { type: 'button', class: 'btn', id: 'sign-out', on: { click: signOut } }, icon('logout'), ' Sign out'))),
      main),
    h('div', { id: 'toasts', class: 'toasts' }),
    h('div', { id: 'grid-status', class: 'sr-only', 'aria-live': 'polite' }));
  const narrow = window.matchMedia('(max-width: 1359px)');
  const setCollapsed = (c: boolean) => {
    app.classList.toggle('collapsed', c);
    collapse.setAttribute('aria-expanded', String(!c));
    collapse.setAttribute('aria-label', c ? 'Expand the menu' : 'Collapse the menu');
  };
  collapse.addEventListener('click', () => setCollapsed(!app.classList.contains('collapsed')));
  narrow.addEventListener('change', () => setCollapsed(narrow.matches));
  setCollapsed(narrow.matches);
  replace(root, app);

  let current: { name: ViewName; view: View } | undefined;
  const route = () => {
    const r = parseRoute(location.hash);
    if (r.view === 'demo' && !demoEnabled) r.view = 'hosts';
    if (current?.name !== r.view) {
      current?.view.destroy();
      const view = r.view === 'hosts' ? hostsView(r) : r.view === 'recoveries' ? recoveriesView(r) : demoView(r);
      current = { name: r.view, view };
      replace(main, view.el);
    } else current.view.update(r);
    title.textContent = current.view.title;
    document.title = `${current.view.title} · oneha`;
    for (const [v, a] of links) {
      if (v === r.view) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  };
  window.onhashchange = route;
  route();
  startLive(() => signIn('Your session has ended: sign in again.'));
}

async function signOut() {
  try {
    await api.signOut();
  } catch (e) {
    toast((e as Error).message, 'error');
  }
  window.onhashchange = null;
  signIn('Signed out.');
}

whenUnauthorized(() => {
  if (currentSession()) {
    window.onhashchange = null;
    signIn('Your session has ended: sign in again.');
  }
});

api.sessionIfAny().then((s) => (s ? start(s) : signIn()), (e: ApiError) => signIn(e.message));

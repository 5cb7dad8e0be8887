// A very small DOM helper: elements from a tag, attributes and children.
// Text always goes in as text nodes (never HTML); only the constant icon
// SVGs below are set as markup.

type Child = Node | string | number | false | null | undefined | Child[];
export type Attrs = Record<string, unknown> & {
  class?: string;
  text?: string;
  on?: Partial<Record<keyof HTMLElementEventMap, (e: Event) => void>>;
};

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = String(v);
      else if (k === 'text') el.textContent = String(v);
      else if (k === 'on') for (const [ev, fn] of Object.entries(v as Record<string, EventListener>)) el.addEventListener(ev, fn);
      else if (k in el && !k.startsWith('aria-') && !k.startsWith('data-') && k !== 'role' && k !== 'for' && k !== 'list') (el as unknown as Record<string, unknown>)[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function replace(el: Element, ...children: Child[]): void {
  clear(el);
  append(el, children);
}

let uid = 0;
export const nextId = (prefix: string) => `${prefix}-${++uid}`;

// Icons in iconoir's style (24x24, 1.5 stroke, round caps): constant markup.
const PATHS: Record<string, string> = {
  server: '<rect x="3" y="3" width="18" height="7" rx="2"/><rect x="3" y="14" width="18" height="7" rx="2"/><path d="M7 6.5h.01M7 17.5h.01"/>',
  recover: '<path d="M21 12a9 9 0 1 1-3-6.7"/><path d="M21 4v5h-5"/>',
  play: '<path d="M7 4.5v15l12-7.5z"/>',
  sun: '<circle cx="12" cy="12" r="4"/><path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"/>',
  moon: '<path d="M20 14.5A8.5 8.5 0 0 1 9.5 4a8.5 8.5 0 1 0 10.5 10.5z"/>',
  logout: '<path d="M14 4h4a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-4"/><path d="M10 16l-4-4 4-4M6 12h10"/>',
  menu: '<path d="M4 6h16M4 12h16M4 18h16"/>',
  shield: '<path d="M12 3l8 3v6c0 4.5-3.4 8.3-8 9-4.6-.7-8-4.5-8-9V6z"/><path d="M9 12l2 2 4-4"/>',
  refresh: '<path d="M20 11a8 8 0 0 0-14.9-3M4 4v4h4M4 13a8 8 0 0 0 14.9 3M20 20v-4h-4"/>',
  close: '<path d="M6 6l12 12M18 6L6 18"/>',
  search: '<circle cx="11" cy="11" r="7"/><path d="M20 20l-4-4"/>',
  bolt: '<path d="M13 2L4 14h7l-1 8 9-12h-7z"/>',
  user: '<circle cx="12" cy="8" r="4"/><path d="M4 21c0-4 4-6 8-6s8 2 8 6"/>',
};

export function icon(name: keyof typeof PATHS | string, label?: string): SVGSVGElement {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'icon');
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '1.5');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  if (label) {
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
  } else svg.setAttribute('aria-hidden', 'true');
  svg.innerHTML = PATHS[name] ?? '';
  return svg;
}

/** Announces a message to screen readers and shows it as a toast. */
export function toast(message: string, kind: 'info' | 'success' | 'error' = 'info'): void {
  const region = document.getElementById('toasts');
  if (!region) return;
  const t = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  region.appendChild(t);
  setTimeout(() => t.remove(), kind === 'error' ? 9000 : 4500);
}

/**
 * A modal confirmation (native <dialog>: focus stays inside, Escape cancels).
 * `ready`: the confirm button stays disabled until it holds (e.g. a typed
 * host name), re-checked on every input inside the dialog.
 */
export function confirmDialog(opts: { title: string; body: Child; confirm: string; danger?: boolean; ready?: () => boolean; focus?: HTMLElement }): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = nextId('dlg');
    const ok = h('button', { type: 'button', class: `btn ${opts.danger ? 'btn-danger' : 'btn-primary'}`, text: opts.confirm });
    const cancel = h('button', { type: 'button', class: 'btn', text: 'Cancel' });
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId, text: opts.title }),
      h('div', { class: 'dialog-body' }, opts.body),
      h('div', { class: 'dialog-actions' }, cancel, ok));
    const check = () => (ok.disabled = opts.ready ? !opts.ready() : false);
    const done = (v: boolean) => {
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    ok.addEventListener('click', () => !ok.disabled && done(true));
    cancel.addEventListener('click', () => done(false));
    dlg.addEventListener('input', check);
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    check();
    document.body.appendChild(dlg);
    dlg.showModal();
    (opts.focus ?? cancel).focus();
  });
}

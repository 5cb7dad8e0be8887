// A windowed table: a real <table> (screen readers get the header, row and
// column semantics) that holds only the rows in view plus a few, between two
// spacer rows. Thousands of rows scroll and sort without building thousands
// of elements. Keyboard: arrows, Page Up/Down, Home/End move the active row,
// Enter opens it.
import { h, replace } from './dom';

export interface Column<T> {
  key: string;
  label: string;
  /** CSS class giving the width (see style.css .c-*). */
  cls: string;
  sortable?: boolean;
  render(row: T): Node | string;
}

export interface TableOptions<T> {
  label: string;
  columns: Column<T>[];
  rowKey(row: T): string | number;
  rowLabel(row: T): string;
  onOpen(row: T): void;
  onSort?(key: string): void;
  empty: string;
}

const ROW = 40;
const OVERSCAN = 8;

export class VirtualTable<T> {
  readonly el: HTMLDivElement;
  private readonly scroller: HTMLDivElement;
  private readonly thead: HTMLTableSectionElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly table: HTMLTableElement;
  private readonly top = h('tr', { class: 'spacer', 'aria-hidden': 'true' });
  private readonly bottom = h('tr', { class: 'spacer', 'aria-hidden': 'true' });
  private readonly emptyRow: HTMLTableRowElement;
  private rows: T[] = [];
  private active = -1;
  private selected: string | number | undefined;
  private sort: { key: string; dir: 'asc' | 'desc' } | undefined;
  private frame = 0;
  private lastRange = '';

  constructor(private readonly o: TableOptions<T>) {
    this.thead = h('thead');
    this.tbody = h('tbody');
    this.emptyRow = h('tr', { class: 'empty' }, h('td', { colSpan: o.columns.length, text: o.empty }));
    this.table = h('table', { class: 'grid' },
      h('colgroup', null, o.columns.map((c) => h('col', { class: c.cls }))),
      this.thead, this.tbody);
    this.scroller = h('div', {
      class: 'grid-scroll', tabIndex: 0, role: 'region',
      'aria-label': `${o.label}: arrow keys move, Enter opens`,
      on: { scroll: () => this.schedule(), keydown: (e) => this.key(e as KeyboardEvent) },
    }, this.table);
    this.el = h('div', { class: 'grid-wrap' }, this.scroller);
    this.renderHead();
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
  }

  setSort(sort: { key: string; dir: 'asc' | 'desc' } | undefined) {
    this.sort = sort;
    this.renderHead();
  }

  setRows(rows: T[]) {
    this.rows = rows;
    if (this.active >= rows.length) this.active = rows.length - 1;
    this.table.setAttribute('aria-rowcount', String(rows.length + 1));
    this.lastRange = '';
    this.render();
  }

  setSelected(key: string | number | undefined) {
    this.selected = key;
    const i = key === undefined ? -1 : this.rows.findIndex((r) => this.o.rowKey(r) === key);
    if (i >= 0) this.active = i;
    this.lastRange = '';
    this.render();
  }

  /** Scrolls so that the selected row is visible (after navigation from elsewhere). */
  reveal() {
    if (this.active >= 0) this.ensureVisible(this.active);
  }

  get rowCount() {
    return this.rows.length;
  }

  private renderHead() {
    const cells = this.o.columns.map((c) => {
      const dir = this.sort?.key === c.key ? this.sort.dir : undefined;
      const th = h('th', { scope: 'col', class: c.cls, 'aria-sort': dir ? (dir === 'asc' ? 'ascending' : 'descending') : c.sortable ? 'none' : undefined });
      if (c.sortable && this.o.onSort) {
        th.appendChild(h('button', { type: 'button', class: 'sort', on: { click: () => this.o.onSort!(c.key) } },
          c.label, h('span', { class: `sort-ind${dir ? ` sort-${dir}` : ''}`, 'aria-hidden': 'true' })));
      } else th.textContent = c.label;
      return th;
    });
    replace(this.thead, h('tr', { 'aria-rowindex': 1 }, cells));
  }

  private schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private range(): [number, number] {
    const headH = this.thead.offsetHeight || ROW;
    const first = Math.max(0, Math.floor((this.scroller.scrollTop - headH) / ROW) - OVERSCAN);
    const count = Math.ceil((this.scroller.clientHeight || 600) / ROW) + 2 * OVERSCAN;
    return [first, Math.min(this.rows.length, first + count)];
  }

  private render() {
    if (!this.rows.length) {
      replace(this.tbody, this.emptyRow);
      return;
    }
    const [a, b] = this.range();
    const key = `${a}:${b}:${this.rows.length}`;
    if (key === this.lastRange) return;
    this.lastRange = key;
    this.top.style.height = `${a * ROW}px`;
    this.bottom.style.height = `${(this.rows.length - b) * ROW}px`;
    const trs: HTMLTableRowElement[] = [];
    for (let i = a; i < b; i++) trs.push(this.row(i));
    replace(this.tbody, this.top, trs, this.bottom);
  }

  private row(i: number): HTMLTableRowElement {
    const r = this.rows[i];
    const key = this.o.rowKey(r);
    const selected = key === this.selected;
    const tr = h('tr', {
      class: `${selected ? 'selected' : ''}${i === this.active ? ' active' : ''}`,
      'aria-rowindex': i + 2, 'aria-selected': selected ? 'true' : 'false',
      'data-key': key,
      on: { click: (e) => {
        if ((e.target as HTMLElement).closest('a,button,input,select')) return;
        this.active = i;
        this.o.onOpen(r);
      } },
    }, this.o.columns.map((c) => h('td', { class: c.cls }, c.render(r))));
    return tr;
  }

  private ensureVisible(i: number) {
    const headH = this.thead.offsetHeight || ROW;
    const y = i * ROW;
    const view = this.scroller.clientHeight - headH;
    if (y < this.scroller.scrollTop) this.scroller.scrollTop = y;
    else if (y + ROW > this.scroller.scrollTop + view) this.scroller.scrollTop = y + ROW - view;
    this.lastRange = '';
    this.render();
  }

  private key(e: KeyboardEvent) {
    if (e.target !== this.scroller || !this.rows.length) return;
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / ROW) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    let next = this.active;
    if (e.key in moves) next = Math.min(this.rows.length - 1, Math.max(0, (this.active < 0 ? -1 : this.active) + moves[e.key]));
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = this.rows.length - 1;
    else if (e.key === 'Enter' && this.active >= 0) {
      e.preventDefault();
      this.o.onOpen(this.rows[this.active]);
      return;
    } else return;
    e.preventDefault();
    this.active = next;
    this.ensureVisible(next);
    const status = document.getElementById('grid-status');
    if (status) status.textContent = `Row ${next + 1} of ${this.rows.length}: ${this.o.rowLabel(this.rows[next])}`;
  }
}

// A journal kept in OpenNebula itself, one document per recovery (the OneFlow
// pattern: JSON in TEMPLATE/BODY), so that every front-end of a Raft HA setup
// sees the same flows and a new leader's runner resumes them.
import type { OneApi } from '../../model/ports';
import { applyEvent, type JournalEvent, type Recovery } from './events';
import type { JournalStore } from './store';

// Escaped text rather than CDATA: the xmlrpc package itself wraps such a
// string in CDATA, and a CDATA section cannot nest.
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function documentTemplate(r: Recovery): string {
  return `<TEMPLATE><NAME>${esc(`oneha-${r.id}`)}</NAME><BODY>${esc(JSON.stringify(r))}</BODY></TEMPLATE>`;
}

export class DocumentJournalStore implements JournalStore {
  readonly kind = 'opennebula';
  private readonly docs = new Map<string, number>();
  private readonly state = new Map<string, Recovery>();
  /** Appends for one recovery go to oned in order. */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly one: OneApi, private readonly type: number) {}

  append(event: JournalEvent): Promise<void> {
    const prev = this.chains.get(event.id) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(async () => {
      const r = applyEvent(this.state.get(event.id), structuredClone(event));
      if (!r) throw new Error(`journal: event ${event.type} for unknown recovery ${event.id}`);
      this.state.set(event.id, r);
      const doc = this.docs.get(event.id);
      if (doc === undefined) this.docs.set(event.id, await this.one.documentAllocate(documentTemplate(r), this.type));
      else await this.one.documentUpdate(doc, documentTemplate(r), false);
    });
    this.chains.set(event.id, next);
    return next;
  }

  async load(apply: (e: JournalEvent) => void | Promise<void>): Promise<void> {
    for (const d of await this.one.documentPoolInfo(-2, -1, -1, this.type)) {
      let r: Recovery;
      try {
        r = JSON.parse(d.body) as Recovery;
        if (!r?.id) continue;
      } catch {
        continue; // not one of ours, or damaged: left alone
      }
      this.docs.set(r.id, d.id);
      this.state.set(r.id, r);
      await apply({ id: r.id, at: r.updatedAt, type: 'snapshot', recovery: structuredClone(r) });
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.chains.values());
  }
}

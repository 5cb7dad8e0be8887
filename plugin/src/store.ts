// Shared, cached data: the host list (one GET /v1/hosts for every view), every
// host's readiness (one GET /v1/readiness per list load) and the installed
// fence agents. Views subscribe and are told when it changes.
import { api, type HostList, type HostView, type ReadinessAnswer } from './api';
import type { AgentMetadata } from '../../model/hostPolicy/agentOptions';

type Listener = () => void;
/** How long a host read on its own outranks list reads (a list may be served from a pool read up to a few seconds old). */
const PATCH_HOLD_MS = 5000;

class HostStore {
  data?: HostList;
  error?: string;
  /** Every host's readiness score and parts, and each cluster's reserve; undefined until the runner answers. */
  readiness?: ReadinessAnswer;
  readinessError?: string;
  private byId = new Map<number, HostView>();
  private readinessById = new Map<number, ReadinessAnswer['hosts'][number]>();
  private pending?: Promise<void>;
  private readinessPending?: Promise<void>;
  private listeners = new Set<Listener>();
  private timer?: number;
  /** Orders reads and patches: a list read that began before a host was patched must not undo the patch. */
  private clock = 0;
  private patchedAt = new Map<number, number>();
  /** When each patch arrived: the runner answers a list from its last pool read while oned is slow (its Age header), which may predate a patch. */
  private patchedWall = new Map<number, number>();

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private emit() {
    for (const l of this.listeners) l();
  }

  get(id: number): HostView | undefined {
    return this.byId.get(id);
  }

  readinessOf(id: number): ReadinessAnswer['hosts'][number] | undefined {
    return this.readinessById.get(id);
  }

  /**
   * Readiness covers the whole cloud: asked once per list load, after the
   * list answered, so the hosts show first and never wait for it; the column
   * fills when it answers. The runner answers its last background computation
   * unless `fresh` (the Reload button: the operator asks for now).
   */
  private loadReadiness(fresh: boolean): void {
    this.readinessPending ??= api.readiness(fresh).then(
      (r) => {
        this.readiness = r;
        this.readinessError = undefined;
        this.readinessById = new Map(r.hosts.map((x) => [x.hostId, x]));
      },
      (e: Error) => {
        this.readinessError = e.message;
      },
    ).finally(() => {
      this.readinessPending = undefined;
      this.emit();
    });
  }

  load(freshReadiness = false): Promise<void> {
    const started = ++this.clock;
    this.pending ??= api.hosts().then(
      (d) => {
        // A host patched after this read began, or so recently that the list may be the runner's older pool read,
        // is newer than what the read brought.
        const newer = (id: number) => (this.patchedAt.get(id) ?? 0) > started || Date.now() - (this.patchedWall.get(id) ?? 0) < PATCH_HOLD_MS;
        d.hosts = d.hosts.map((h) => (newer(h.id) ? this.byId.get(h.id) ?? h : h));
        this.data = d;
        this.error = undefined;
        this.byId = new Map(d.hosts.map((h) => [h.id, h]));
        this.loadReadiness(freshReadiness);
      },
      (e: Error) => {
        this.error = e.message;
      },
    ).finally(() => {
      this.pending = undefined;
      this.emit();
    });
    return this.pending;
  }

  /**
   * Reload soon, once, however many events ask for it. A read already under
   * way began before what asked for this (a host that just failed): another
   * follows it, or the list would show the state from before.
   */
  refreshSoon(ms = 1500): void {
    if (this.timer) return;
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      if (this.pending) void this.pending.then(() => this.load());
      else void this.load();
    }, ms);
  }

  patch(h: HostView): void {
    this.patchedAt.set(h.id, ++this.clock);
    this.patchedWall.set(h.id, Date.now());
    if (!this.data) return;
    const i = this.data.hosts.findIndex((x) => x.id === h.id);
    if (i >= 0) this.data.hosts[i] = h;
    this.byId.set(h.id, h);
    this.emit();
  }

  reset(): void {
    this.data = undefined;
    this.byId.clear();
    this.readiness = undefined;
    this.readinessById.clear();
  }
}

export const hosts = new HostStore();

let agents: Promise<string[]> | undefined;
export function installedAgents(): Promise<string[]> {
  agents ??= api.agents().then((r) => r.agents, () => {
    agents = undefined;
    return [];
  });
  return agents;
}

const metadata = new Map<string, Promise<AgentMetadata | undefined>>();
/** An agent's parameters as the runner read them (-o metadata), for checking options as typed; undefined if unknown. */
export function agentMetadata(agent: string): Promise<AgentMetadata | undefined> {
  let m = metadata.get(agent);
  if (!m) {
    m = api.agentParameters(agent).then((r) => ({ agent: r.agent, parameters: r.parameters }), () => {
      metadata.delete(agent);
      return undefined;
    });
    metadata.set(agent, m);
  }
  return m;
}

// Hash routes: #/hosts, #/hosts/<id>[/<tab>], #/recoveries[/<id>], #/demo.
export type ViewName = 'hosts' | 'recoveries' | 'demo';

export interface Route {
  view: ViewName;
  id?: string;
  tab?: string;
}

export interface View {
  el: HTMLElement;
  title: string;
  update(route: Route): void;
  destroy(): void;
}

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const view = (['hosts', 'recoveries', 'demo'] as const).find((v) => v === parts[0]) ?? 'hosts';
  return { view, id: parts[1], tab: parts[2] };
}

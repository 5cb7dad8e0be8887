// The runner's event stream (GET /v1/events, server-sent events, cookie auth):
// every journal event with the recovery's summary. Views subscribe; the
// browser reconnects by itself after a network blip (sending Last-Event-ID),
// and so do we after a longer outage (?lastEventId=): the runner then sends
// what was missed, or "reset" when it no longer has it and views reload.
import { api, apiUrl, type RecoverySummary } from './api';

export interface LiveEvent {
  event: { type: string; id: string; at: number; step?: string; status?: string };
  recovery?: RecoverySummary;
}
type Listener = (e: LiveEvent) => void;
type StateListener = (state: 'connecting' | 'live' | 'down') => void;

const listeners = new Set<Listener>();
const resetListeners = new Set<() => void>();
let lastEventId = '';
const stateListeners = new Set<StateListener>();
let source: EventSource | undefined;
let state: 'connecting' | 'live' | 'down' = 'down';
let retry: number | undefined;

function setState(s: typeof state) {
  state = s;
  for (const l of stateListeners) l(s);
}

export function onLive(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** Called when events were missed and cannot be replayed: reload what is shown. */
export function onLiveReset(l: () => void): () => void {
  resetListeners.add(l);
  return () => resetListeners.delete(l);
}

export function onLiveState(l: StateListener): () => void {
  stateListeners.add(l);
  l(state);
  return () => stateListeners.delete(l);
}

export function startLive(onSignedOut: () => void): void {
  stopLive();
  setState('connecting');
  const es = new EventSource(apiUrl(lastEventId ? `v1/events?lastEventId=${encodeURIComponent(lastEventId)}` : 'v1/events'), { withCredentials: true });
  source = es;
  es.addEventListener('hello', () => setState('live'));
  es.addEventListener('reset', () => {
    for (const l of resetListeners) l();
  });
  es.addEventListener('journal', (m) => {
    lastEventId = (m as MessageEvent<string>).lastEventId || lastEventId;
    let data: LiveEvent;
    try {
      data = JSON.parse((m as MessageEvent<string>).data);
    } catch {
      return;
    }
    for (const l of listeners) l(data);
  });
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) {
      // Not a blip (the browser gave up, e.g. a 401): check the session, then try again later.
      setState('down');
      api.session().then(
        () => {
          retry = window.setTimeout(() => startLive(onSignedOut), 3000);
        },
        (e: { status?: number }) => {
          if (e.status === 401) onSignedOut();
          else retry = window.setTimeout(() => startLive(onSignedOut), 5000);
        },
      );
    } else setState('connecting');
  });
}

export function stopLive(): void {
  if (retry) clearTimeout(retry);
  retry = undefined;
  source?.close();
  source = undefined;
  setState('down');
}

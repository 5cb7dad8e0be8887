// The selected host or recovery in the page's URL (?host=3, ?recovery=…), so
// that after following a link to FireEdge's own host page the browser's Back
// returns to the same HA page with the same row open, and such a URL can be
// bookmarked or shared. replaceState keeps FireEdge's router state as it is.
import { useCallback, useState } from 'react';

export function useUrlParam(name: string): [string | undefined, (value: string | undefined) => void] {
  const [value, setValue] = useState<string | undefined>(() => new URLSearchParams(window.location.search).get(name) ?? undefined);
  const set = useCallback((v: string | undefined) => {
    setValue(v);
    const url = new URL(window.location.href);
    if (v === undefined) url.searchParams.delete(name);
    else url.searchParams.set(name, v);
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  }, [name]);
  return [value, set];
}

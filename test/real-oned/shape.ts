// Reply shapes for comparing the simulator with a real oned: the element
// paths of an XML document in order of first appearance (a repeated element
// counts once), and where two documents differ.

/** "VM_POOL/VM/HISTORY_RECORDS/HISTORY/SEQ"... in order of first appearance. */
export function paths(xml: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const stack: string[] = [];
  const body = xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '').replace(/<\?[\s\S]*?\?>/g, '');
  for (const m of body.matchAll(/<(\/?)([A-Za-z_][\w.-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, selfClose] = m;
    if (close) {
      stack.pop();
      continue;
    }
    stack.push(name);
    const p = stack.join('/');
    if (!seen.has(p)) {
      seen.add(p);
      out.push(p);
    }
    if (selfClose) stack.pop();
  }
  return out;
}

/** Text of every element at a path, in document order ("VM_POOL/VM/ID" -> ["5", "4", ...]). */
export function values(xml: string, path: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([A-Za-z_][\w.-]*)[^>]*?(\/?)>([^<]*)/g)) {
    const [, close, name, selfClose, text] = m;
    if (close) {
      stack.pop();
      continue;
    }
    stack.push(name);
    if (stack.join('/') === path) out.push(selfClose ? '' : text.trim());
    if (selfClose) stack.pop();
  }
  return out;
}

export interface ShapeDiff {
  /** In the real reply, not in the simulator's. */
  missing: string[];
  /** In the simulator's reply, not in the real one. */
  extra: string[];
  /** Sibling elements present in both but in another order: "PARENT: A before B". */
  order: string[];
}

/**
 * How the simulator's document differs from the real one. Paths under an
 * `ignore` prefix (free-form templates, monitoring data) are left out.
 */
export function diffShapes(real: string, sim: string, ignore: RegExp[] = []): ShapeDiff {
  const keep = (p: string) => !ignore.some((r) => r.test(p));
  const r = paths(real).filter(keep);
  const s = paths(sim).filter(keep);
  const rs = new Set(r);
  const ss = new Set(s);
  // Report a missing/extra subtree once, at its top.
  const top = (list: string[], other: Set<string>) => list.filter((p) => !other.has(p) && !list.some((q) => q !== p && p.startsWith(q + '/') && !other.has(q)));
  const order: string[] = [];
  const children = (list: string[]) => {
    const by = new Map<string, string[]>();
    for (const p of list) {
      const i = p.lastIndexOf('/');
      const parent = i < 0 ? '' : p.slice(0, i);
      by.set(parent, [...(by.get(parent) ?? []), p.slice(i + 1)]);
    }
    return by;
  };
  const rc = children(r.filter((p) => ss.has(p)));
  const sc = children(s.filter((p) => rs.has(p)));
  for (const [parent, names] of rc) {
    const other = sc.get(parent) ?? [];
    for (let i = 0; i < names.length; i++) {
      if (names[i] !== other[i]) {
        order.push(`${parent}: ${names.join(',')} (real) vs ${other.join(',')} (simulator)`);
        break;
      }
    }
  }
  return { missing: top(r, ss), extra: top(s, rs), order };
}

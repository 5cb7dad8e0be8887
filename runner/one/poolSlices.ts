// A pool reply (<HOST_POOL>, <VM_POOL>, ...) cut into slices of whole
// elements, so the client can parse a big pool a slice at a time and let the
// event loop serve other work in between: a 2,020-host pool is 4.4 MB that
// parses in ~0.5 s, long enough to hold up every hook acknowledgement in
// flight. Concatenating what each slice parses to is what the whole reply
// parses to (test/unit/poolSlices.test.ts).

/** Text that may hold a "<NAME>" that is not markup: skipped while counting. */
const OPAQUE = '<!\\[CDATA\\[[\\s\\S]*?\\]\\]>|<!--[\\s\\S]*?-->';
const tokens = new Map<string, RegExp>();

function tokenRe(element: string): RegExp {
  let re = tokens.get(element);
  if (!re) tokens.set(element, (re = new RegExp(`${OPAQUE}|<(/?)${element}(?=[\\s/>])[^>]*?(/?)>`, 'g')));
  return re;
}

/**
 * The pool's top-level `element`s, grouped into slices of about `sliceChars`
 * characters, each wrapped in `<root>...</root>`; undefined when the reply is
 * not the plain shape oned writes (one root, nothing but whitespace between
 * its elements), so the caller parses it whole as before.
 */
export function poolSlices(xml: string, root: string, element: string, sliceChars: number): string[] | undefined {
  const open = `<${root}>`;
  const close = `</${root}>`;
  const start = xml.indexOf(open);
  const end = xml.lastIndexOf(close);
  if (start < 0 || end < start || xml.slice(0, start).trim() !== '' || xml.slice(end + close.length).trim() !== '') return undefined;
  const inner = xml.slice(start + open.length, end);
  const re = tokenRe(element);
  re.lastIndex = 0;
  const slices: string[] = [];
  let depth = 0;
  /** Where the current slice starts, and where the last top-level element ended. */
  let from = 0;
  let after = 0;
  for (let m = re.exec(inner); m; m = re.exec(inner)) {
    if (m[0].startsWith('<!')) continue;
    const closing = m[1] === '/';
    const selfClosing = m[2] === '/';
    if (depth === 0) {
      if (closing || inner.slice(after, m.index).trim() !== '') return undefined;
      if (!selfClosing) {
        depth = 1;
        continue;
      }
    } else {
      if (!closing && !selfClosing) depth++;
      if (closing) depth--;
      if (depth > 0) continue;
    }
    after = m.index + m[0].length;
    if (after - from >= sliceChars) {
      slices.push(open + inner.slice(from, after) + close);
      from = after;
    }
  }
  if (depth !== 0 || inner.slice(after).trim() !== '') return undefined;
  if (after > from) slices.push(open + inner.slice(from, after) + close);
  return slices;
}

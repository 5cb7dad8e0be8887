// A seeded corpus of hostile hook payloads: the same seed gives the same
// payloads, so any failure replays (FUZZ_SEED=<n> npx vitest run test/security/fuzz.test.ts).
// Each payload is what could arrive at POST /v1/hooks/host-error: a body and
// its content type. Mutations start from the exact stdin oned's hook manager
// writes ("<base64 HOST XML> <flags>") and break one layer at a time.

export interface FuzzPayload {
  body: string;
  contentType: 'text/plain' | 'application/json';
  kind: string;
}

/** mulberry32: tiny, fast, good enough to spread mutations; deterministic per seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

const NUMBERS = ['0', '1', '2', '7', '42', '1000', '1001', '-1', '-0', '+5', '1e3', '0x1', '1.0', '1,000', ' 3', '9007199254740993',
  '99999999999999999999999', 'NaN', 'Infinity', '', '٣', '１', '0b1', '00012', '3 4', '&#49;', '<![CDATA[1]]>'];
const STRINGS = ['', 'a', 'x'.repeat(5000), '<script>alert(1)</script>', '"; rm -rf / #', '$(touch /tmp/x)', '`id`', '../../etc/passwd',
  'kvm-node-\u0000', '\u202eevil', '🙂', '&amp;&lt;', '&unknown;', '&#x0;', ']]>', '%00', 'A'.repeat(100)];
const FLAG_WORDS = ['-m', '-r', '-d', '-f', '-u', '-p', '-p5', '--pause=3', '--pause', '--migrate', '--recreate', '--delete', '--force', '--no-fencing',
  '-x', '--', '-', '-mr', '-p-1', '-p1e3', '--pause=', '-P', 'p', '-m;reboot', '$(id)', '-p\t5', '-p 0x10', '—m'];
const FIELDS = ['ID', 'NAME', 'STATE', 'PREV_STATE', 'CLUSTER_ID', 'CLUSTER', 'VMS', 'TEMPLATE'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function hostXml(r: () => number, id: number): string {
  const vms = Array.from({ length: Math.floor(r() * 4) }, (_, i) => `<ID>${10 + i}</ID>`).join('');
  return `<HOST><ID>${id}</ID><NAME>kvm-node-0${id + 1}</NAME><STATE>3</STATE><PREV_STATE>2</PREV_STATE><IM_MAD>kvm</IM_MAD><VM_MAD>kvm</VM_MAD>` +
    `<CLUSTER_ID>0</CLUSTER_ID><CLUSTER>default</CLUSTER><HOST_SHARE><TOTAL_MEM>1</TOTAL_MEM></HOST_SHARE><VMS>${vms}</VMS>` +
    `<TEMPLATE><FENCE_IP><![CDATA[10.0.0.${id + 1}]]></FENCE_IP><HOSTNAME><![CDATA[kvm-node-0${id + 1}]]></HOSTNAME></TEMPLATE></HOST>`;
}

function validFlags(r: () => number): string {
  const mode = pick(r, ['-m', '-r', '-d', '--migrate', '--recreate', '--delete']);
  const parts = [mode];
  if (r() < 0.5) parts.push(r() < 0.5 ? `-p ${Math.floor(r() * 1001)}` : `-p${Math.floor(r() * 20)}`);
  if (r() < 0.3) parts.push('-f');
  if (r() < 0.3) parts.push('-u');
  return parts.sort(() => r() - 0.5).join(' ');
}

/** One mutation of the host XML. */
function mutateXml(r: () => number, xml: string): { xml: string; kind: string } {
  const field = pick(r, FIELDS);
  switch (Math.floor(r() * 14)) {
    case 0: return { xml: xml.replace(new RegExp(`<${field}>[^<]*</${field}>`), `<${field}>${pick(r, NUMBERS)}</${field}>`), kind: `xml-number-${field}` };
    case 1: return { xml: xml.replace(new RegExp(`<${field}>[^<]*</${field}>`), `<${field}>${pick(r, STRINGS)}</${field}>`), kind: `xml-string-${field}` };
    case 2: return { xml: xml.replace(new RegExp(`<${field}>[\\s\\S]*?</${field}>`), ''), kind: `xml-drop-${field}` };
    case 3: return { xml: xml.slice(0, Math.floor(r() * xml.length)), kind: 'xml-truncated' };
    case 4: {
      const at = Math.floor(r() * xml.length);
      return { xml: xml.slice(0, at) + pick(r, ['<', '>', '&', '"', "'", '\u0000', '\uffff', '</HOST>', '<HOST>', '<!--', ']]>']) + xml.slice(at), kind: 'xml-byte' };
    }
    case 5: return { xml: `<!DOCTYPE HOST [<!ENTITY a "${'A'.repeat(50)}"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>${xml.replace(/<NAME>[^<]*/, '<NAME>&b;')}`, kind: 'xml-entity-expansion' };
    case 6: return { xml: `<!DOCTYPE HOST [<!ENTITY x SYSTEM "${pick(r, ['file:///etc/passwd', 'http://127.0.0.1:1/x'])}">]>${xml.replace(/<NAME>[^<]*/, '<NAME>&x;')}`, kind: 'xml-external-entity' };
    case 7: return { xml: xml.replace('<HOST>', '<HOST>' + '<X>'.repeat(200)).replace('</HOST>', '</X>'.repeat(200) + '</HOST>'), kind: 'xml-deep' };
    case 8: return { xml: xml.replace(/<ID>\d+<\/ID>/, `<ID>${Math.floor(r() * 3)}</ID><ID>${Math.floor(r() * 3)}</ID>`), kind: 'xml-duplicate-id' };
    case 9: return { xml: pick(r, ['<VM><ID>1</ID></VM>', '<HOST/>', '', 'null', '{}', '<HOST><ID>1</ID></HOST><HOST><ID>2</ID></HOST>', '<?xml version="1.0"?>']), kind: 'xml-other-document' };
    case 10: return { xml: xml.replace('<HOST>', `<HOST ${pick(r, ['xmlns="http://evil"', 'a="1"', 'ID="5"'])}>`), kind: 'xml-attributes' };
    case 11: return { xml: xml.replace(/<TEMPLATE>/, `<TEMPLATE><ONEHA_FENCE_COMMAND><![CDATA[${pick(r, STRINGS)}]]></ONEHA_FENCE_COMMAND>`), kind: 'xml-template-command' };
    case 12: return { xml: xml.replace(/<STATE>3<\/STATE>/, `<STATE>${pick(r, ['0', '2', '8', '9', '255', '-1'])}</STATE>`), kind: 'xml-state' };
    default: return { xml: xml.replace(/<ID>(\d+)<\/ID>/, `<ID>${Math.floor(r() * 1_000_000)}</ID>`), kind: 'xml-big-id' };
  }
}

function mutateFlags(r: () => number): { flags: string; kind: string } {
  switch (Math.floor(r() * 4)) {
    case 0: return { flags: Array.from({ length: 1 + Math.floor(r() * 5) }, () => pick(r, FLAG_WORDS)).join(' '), kind: 'flags-random' };
    case 1: return { flags: `${validFlags(r)} -p ${pick(r, NUMBERS)}`, kind: 'flags-pause' };
    case 2: return { flags: `${validFlags(r)} ${pick(r, STRINGS).slice(0, 200)}`, kind: 'flags-junk' };
    default: return { flags: '', kind: 'flags-none' };
  }
}

function mutateBase64(r: () => number, s: string): { b: string; kind: string } {
  switch (Math.floor(r() * 5)) {
    case 0: return { b: s.slice(0, Math.max(1, Math.floor(r() * s.length))), kind: 'b64-truncated' };
    case 1: {
      const at = Math.floor(r() * s.length);
      return { b: s.slice(0, at) + pick(r, ['%', '*', '-', '_', '.', '=', '==', '\u00e9', '\u0000']) + s.slice(at + 1), kind: 'b64-bad-char' };
    }
    case 2: return { b: `${s}=`, kind: 'b64-padding' };
    case 3: return { b: Buffer.from(Array.from({ length: 1 + Math.floor(r() * 300) }, () => Math.floor(r() * 256))).toString('base64'), kind: 'b64-random-bytes' };
    default: return { b: s.replace(/=+$/, ''), kind: 'b64-no-padding' };
  }
}

function transport(r: () => number, body: string, kind: string): FuzzPayload {
  const roll = r();
  if (roll < 0.75) return { body, contentType: 'text/plain', kind };
  if (roll < 0.85) return { body: JSON.stringify({ payload: body }), contentType: 'application/json', kind: `json-${kind}` };
  if (roll < 0.92) {
    const [template, ...flags] = body.split(' ');
    return { body: JSON.stringify({ template, arguments: flags.join(' ') }), contentType: 'application/json', kind: `json-split-${kind}` };
  }
  const broken = pick(r, ['{', '[]', '{"payload": 5}', '{"payload": "x", "extra": 1}', 'null', '"str"', `{"template": ${JSON.stringify(body)}, "arguments": []}`, '{"__proto__": {"payload": "x"}}']);
  return { body: broken, contentType: 'application/json', kind: 'json-malformed' };
}

/** `count` payloads from `seed`: about a tenth valid (a real recovery), the rest broken in one layer or another. */
export function fuzzCorpus(seed: number, count: number): FuzzPayload[] {
  const r = prng(seed);
  const out: FuzzPayload[] = [];
  for (let i = 0; i < count; i++) {
    const id = Math.floor(r() * 3);
    const roll = r();
    let xml = hostXml(r, id);
    let flags = validFlags(r);
    let kind = 'valid';
    let b: string | undefined;
    if (roll < 0.1) {
      // valid
    } else if (roll < 0.5) {
      const m = mutateXml(r, xml);
      xml = m.xml;
      kind = m.kind;
    } else if (roll < 0.75) {
      const m = mutateFlags(r);
      flags = m.flags;
      kind = m.kind;
    } else if (roll < 0.9) {
      const m = mutateBase64(r, b64(xml));
      b = m.b;
      kind = m.kind;
    } else {
      const m = mutateXml(r, xml);
      xml = m.xml;
      const f = mutateFlags(r);
      flags = f.flags;
      kind = `${m.kind}+${f.kind}`;
    }
    const body = `${b ?? b64(xml)}${flags ? ` ${flags}` : ''}${r() < 0.1 ? pick(r, ['\n', '\r\n', '\t', '  ', '\u00a0']) : ''}`;
    out.push(transport(r, body, kind));
  }
  return out;
}

// The <HOST> document a fence_host.sh-style command reads (base64) on stdin.
// Operators' scripts pick fields with xmllint, typically
// `xpath /HOST/TEMPLATE/FENCE_IP`, so the shape follows one.host.info's:
// ID, NAME, STATE, PREV_STATE, CLUSTER_ID, CLUSTER, VMS/ID and TEMPLATE with
// every scalar attribute as CDATA (as oned writes them).
import type { Host } from '../../model/one';

const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** CDATA cannot contain "]]>": split it across two sections. */
function cdata(s: string): string {
  return `<![CDATA[${s.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

function text(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function buildHostXml(host: Host): string {
  const template = Object.entries(host.template)
    .filter(([k]) => XML_NAME.test(k) && !/^xml/i.test(k)) // a name XML cannot carry is left out, not mangled
    .map(([k, v]) => `<${k}>${cdata(v)}</${k}>`)
    .join('');
  const vms = host.vms.map((id) => `<ID>${id}</ID>`).join('');
  return (
    `<HOST><ID>${host.id}</ID><NAME>${text(host.name)}</NAME><STATE>${host.state}</STATE>` +
    `<PREV_STATE>${host.prevState}</PREV_STATE><CLUSTER_ID>${host.clusterId}</CLUSTER_ID><CLUSTER>${text(host.cluster)}</CLUSTER>` +
    `<VMS>${vms}</VMS><TEMPLATE>${template}</TEMPLATE></HOST>`
  );
}

/** What host_error.rb writes to fence_host.sh's stdin (plus a newline, so `read` sees a whole line). */
export function hostXmlBase64(host: Host): string {
  return `${Buffer.from(buildHostXml(host), 'utf8').toString('base64')}\n`;
}

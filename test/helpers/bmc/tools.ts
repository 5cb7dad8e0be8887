// The real-component tests need system tools; a missing one must fail the
// suite (with the install line), never skip it silently.
import { accessSync, constants } from 'node:fs';

export const TOOLS = {
  ipmiSim: '/usr/bin/ipmi_sim',
  ipmitool: '/usr/bin/ipmitool',
  openssl: '/usr/bin/openssl',
  xmllint: '/usr/bin/xmllint',
  fenceIpmilan: '/usr/sbin/fence_ipmilan',
  fenceRedfish: '/usr/sbin/fence_redfish',
} as const;

const INSTALL = 'apt-get install -y --no-install-recommends fence-agents ipmitool openipmi libxml2-utils openssl';

export function requireTool(path: string): string {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is missing; the fence tests need it: ${INSTALL}`);
  }
  return path;
}

export function requireTools(...paths: string[]): void {
  for (const p of paths) requireTool(p);
}

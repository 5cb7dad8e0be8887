// A Redfish BMC just big enough for fence_redfish (Debian fence-agents 4.12):
// GET /redfish/v1 (Systems link), GET /redfish/v1/Systems (Members, the agent
// takes the last), GET <system> (PowerState, the #ComputerSystem.Reset target),
// POST <target> {"ResetType": "On"|"ForceOff"|"ForceRestart"}. HTTPS with a
// self-signed certificate made at start (the agent needs ssl_insecure=1) and
// Basic auth. Modes: "normal"; "stuck-on" (accepts resets, stays on); "hang"
// (accepts the request and never answers: fence_redfish then waits forever).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, TOOLS } from './tools';

export type Power = 'on' | 'off';
export type RedfishMode = 'normal' | 'stuck-on' | 'hang';

export interface RedfishMockOptions {
  username?: string;
  password: string;
  power?: Power;
  mode?: RedfishMode;
}

export interface RedfishMock {
  port: number;
  power(): Power;
  setPower(p: Power): void;
  setMode(m: RedfishMode): void;
  /** Every request seen: method, path, whether its credentials were right, the ResetType posted. */
  requests: Array<{ method: string; path: string; authorized: boolean; resetType?: string }>;
  stop(): Promise<void>;
}

const SYSTEM = '/redfish/v1/Systems/1';
const RESET = `${SYSTEM}/Actions/ComputerSystem.Reset`;

/** A throwaway self-signed certificate (EC keys: made in milliseconds). */
function selfSigned(): { key: Buffer; cert: Buffer } {
  requireTool(TOOLS.openssl);
  const dir = mkdtempSync(join(tmpdir(), 'oneha-redfish-'));
  try {
    execFileSync(TOOLS.openssl, [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost',
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startRedfishMock(opts: RedfishMockOptions): Promise<RedfishMock> {
  const expected = `Basic ${Buffer.from(`${opts.username ?? 'admin'}:${opts.password}`).toString('base64')}`;
  let power: Power = opts.power ?? 'on';
  let mode: RedfishMode = opts.mode ?? 'normal';
  const requests: RedfishMock['requests'] = [];

  const server: Server = createServer(selfSigned(), (req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
      const authorized = req.headers.authorization === expected;
      const rec: RedfishMock['requests'][number] = { method: req.method ?? '', path, authorized };
      requests.push(rec);
      if (mode === 'hang') return; // never answer
      const json = (status: number, data?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', ...(status === 401 ? { 'www-authenticate': 'Basic realm="oneha-test"' } : {}) });
        res.end(data === undefined ? '' : JSON.stringify(data));
      };
      // A real BMC answers 401 with a JSON error body; fence_redfish then finds no Systems link and exits 1 silently.
      if (!authorized) return json(401, { error: { code: 'Base.1.0.GeneralError', message: 'authentication required' } });
      if (req.method === 'GET' && path === '/redfish/v1') return json(200, { '@odata.id': '/redfish/v1', Systems: { '@odata.id': '/redfish/v1/Systems' } });
      if (req.method === 'GET' && path === '/redfish/v1/Systems') return json(200, { 'Members@odata.count': 1, Members: [{ '@odata.id': SYSTEM }] });
      if (req.method === 'GET' && path === SYSTEM) {
        return json(200, {
          '@odata.id': SYSTEM, Id: '1', PowerState: power === 'on' ? 'On' : 'Off',
          Actions: { '#ComputerSystem.Reset': { target: RESET, 'ResetType@Redfish.AllowableValues': ['On', 'ForceOff', 'ForceRestart', 'Nmi'] } },
        });
      }
      if (req.method === 'POST' && path === RESET) {
        let type: unknown;
        try { type = (JSON.parse(body) as { ResetType?: unknown }).ResetType; } catch { /* bad body */ }
        rec.resetType = typeof type === 'string' ? type : undefined;
        if (type !== 'On' && type !== 'ForceOff' && type !== 'ForceRestart') return json(400, { error: { message: 'bad ResetType' } });
        if (mode !== 'stuck-on') power = type === 'ForceOff' ? 'off' : 'on';
        return json(204);
      }
      return json(404, { error: { message: 'not found' } });
    });
  });
  await new Promise<void>((res, rej) => { server.once('error', rej); server.listen(0, '127.0.0.1', () => res()); });
  return {
    port: (server.address() as AddressInfo).port,
    power: () => power,
    setPower: (p) => { power = p; },
    setMode: (m) => { mode = m; },
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}

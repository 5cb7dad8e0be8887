// Helpers for the simulator's tests: real XML-RPC calls (the `xmlrpc`
// client), raw HTTP for byte-level checks, polling.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import xmlrpc from 'xmlrpc';
import type { Scenario } from '../../sim/scenario';

export const ADMIN = 'oneadmin:oneadmin';
export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'scenarios-sim');
/** OpenNebula's XSDs (shared/opennebula/xsd next to the checkout), or $ONEHA_XSD_DIR. */
export const XSD_DIR = process.env.ONEHA_XSD_DIR ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'opennebula', 'xsd');

export function fixture(name: string): Scenario {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Scenario;
}

export function sampleScenario(): Scenario {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'sim', 'scenarios', 'sample.json'), 'utf8')) as Scenario;
}

export type Reply = [boolean, any, number, number?, string?];

const clients = new Map<string, xmlrpc.Client>();

/** One XML-RPC call; resolves with oned's reply array, rejects on faults/transport errors. */
export function call(url: string, method: string, params: unknown[], session: string = ADMIN): Promise<Reply> {
  let c = clients.get(url);
  if (!c) clients.set(url, (c = xmlrpc.createClient({ url })));
  return new Promise((resolve, reject) => {
    c!.methodCall(method, [session, ...params], (err: unknown, v: unknown) => (err ? reject(err) : resolve(v as Reply)));
  });
}

/** The reply's value, failing the test with oned's message on an error reply. */
export async function ok<T = any>(url: string, method: string, ...params: unknown[]): Promise<T> {
  const r = await call(url, method, params);
  if (!r[0]) throw new Error(`${method} failed: ${r[1]} (code ${r[2]})`);
  return r[1] as T;
}

/** A raw XML-RPC request; returns the HTTP status and body text. */
export async function rawCall(url: string, body: string): Promise<{ status: number; text: string }> {
  const r = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'text/xml' } });
  return { status: r.status, text: await r.text() };
}

export function methodCallXml(method: string, params: string[]): string {
  return `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${params.map((p) => `<param><value>${p}</value></param>`).join('')}</params></methodCall>`;
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 3000, everyMs = 5): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

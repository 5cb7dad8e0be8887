// Hook payloads as the hook manager writes them ("<base64 host XML> <flags>")
// and an open-loop sender that posts them to the runner on a fixed schedule.
import http from 'node:http';
import { OneClient } from '../../runner/one/client';

/** host.info of each host, raw, base64-encoded, followed by the flags. */
export async function hostPayloads(simUrl: string, hostIds: number[], flags: string, parallel = 16): Promise<Map<number, string>> {
  const one = new OneClient({ endpoint: simUrl, session: 'oneadmin:oneadmin' });
  const out = new Map<number, string>();
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < hostIds.length) {
      const id = hostIds[next++];
      const xml = await one.call<string>('one.host.info', id);
      out.set(id, `${Buffer.from(xml).toString('base64')} ${flags}`);
    }
  }));
  return out;
}

export interface Sample {
  /** ms since the start of the schedule */
  scheduledAt: number;
  sentAt: number;
  /** response headers received (ms since start); NaN if no response */
  answeredAt: number;
  status: number;
  error?: string;
  body?: string;
}

/**
 * Posts `bodies[i]` at start + i * (1000 / rate) ms, whatever the earlier
 * requests are doing (open loop), and records when each 202 came back.
 */
export async function openLoop(url: string, token: string, bodies: string[], rate: number, timeoutMs = 30_000): Promise<{ samples: Sample[]; sendWindowMs: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const target = new URL(url);
  const interval = 1000 / rate;
  const samples: Sample[] = bodies.map((_, i) => ({ scheduledAt: i * interval, sentAt: NaN, answeredAt: NaN, status: 0 }));
  let outstanding = bodies.length;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const finish = () => {
    if (--outstanding === 0) resolveAll();
  };
  const start = performance.now();
  const send = (i: number) => {
    const s = samples[i];
    s.sentAt = performance.now() - start;
    const req = http.request({
      host: target.hostname, port: Number(target.port), path: target.pathname, method: 'POST', agent,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain', 'content-length': Buffer.byteLength(bodies[i]) },
    }, (res) => {
      s.answeredAt = performance.now() - start;
      s.status = res.statusCode ?? 0;
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (b += d));
      res.on('end', () => {
        if (s.status !== 202) s.body = b.slice(0, 300);
        else {
          try {
            const j = JSON.parse(b) as { status?: string };
            if (j.status !== 'accepted') s.body = b.slice(0, 300);
          } catch {
            s.body = b.slice(0, 300);
          }
        }
        finish();
      });
    });
    req.on('error', (e) => {
      s.error = e.message;
      finish();
    });
    req.end(bodies[i]);
  };
  let next = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now() - start;
      while (next < bodies.length && samples[next].scheduledAt <= now) send(next++);
      if (next >= bodies.length) return done();
      setTimeout(tick, Math.max(0, samples[next].scheduledAt - (performance.now() - start)));
    };
    tick();
  });
  const sendWindowMs = samples[samples.length - 1].sentAt - samples[0].sentAt;
  const timer = setTimeout(() => resolveAll(), timeoutMs);
  await all;
  clearTimeout(timer);
  agent.destroy();
  return { samples, sendWindowMs };
}

// A TCP pass-through that counts the bytes going each way: put it between
// OneClient and the simulator to know what a call sequence really fetched
// (HTTP headers included), without touching the client.
import net from 'node:net';

export interface CountingProxy {
  url: string;
  /** Bytes from the server to the client (replies). */
  readonly down: number;
  /** Bytes from the client to the server (requests). */
  readonly up: number;
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(targetUrl: string): Promise<CountingProxy> {
  const target = new URL(targetUrl);
  let down = 0;
  let up = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d: Buffer) => (up += d.length));
    upstream.on('data', (d: Buffer) => (down += d.length));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    get down() {
      return down;
    },
    get up() {
      return up;
    },
    reset() {
      down = 0;
      up = 0;
    },
    close: () => new Promise<void>((res) => {
      for (const s of sockets) s.destroy();
      server.close(() => res());
    }),
  };
}

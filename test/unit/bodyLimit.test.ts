// The hook route's body limit: a declared Content-Length is judged without
// the request's body stream, a body without one is counted as it streams.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { bodyLimit } from '../../runner/http/bodyLimit';

const app = new Hono().post('/', bodyLimit({ maxSize: 10, onError: (c) => c.text('too large', 413) }), async (c) => c.text(`got ${(await c.req.text()).length}`));

const post = (body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
  app.request('/', { method: 'POST', body, headers, ...(typeof body === 'string' ? {} : { duplex: 'half' }) } as RequestInit);

const stream = (text: string) => new ReadableStream<Uint8Array>({
  start(c) {
    c.enqueue(new TextEncoder().encode(text));
    c.close();
  },
});

describe('bodyLimit', () => {
  it('passes a body within the limit and refuses one over it, by its Content-Length', async () => {
    expect(await (await post('0123456789', { 'content-length': '10' })).text()).toBe('got 10');
    const over = await post('0123456789a', { 'content-length': '11' });
    expect(over.status).toBe(413);
  });

  it('counts a body sent without a Content-Length', async () => {
    expect(await (await post(stream('0123456789'))).text()).toBe('got 10');
    expect((await post(stream('0123456789abc'))).status).toBe(413);
  });
});

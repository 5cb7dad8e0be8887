// A live line on stderr during long waits, redrawn every second; nothing at
// all when stderr is not a terminal (logs and scripts stay clean).

export interface Ticker {
  stop(): void;
}

export function ticker(text: (elapsedMs: number) => string, stream: NodeJS.WriteStream = process.stderr): Ticker {
  if (!stream.isTTY) return { stop() {} };
  const start = Date.now();
  const draw = () => stream.write(`\r\x1b[K${text(Date.now() - start)}`);
  draw();
  const t = setInterval(draw, 1000);
  t.unref();
  return {
    stop() {
      clearInterval(t);
      stream.write('\r\x1b[K');
    },
  };
}

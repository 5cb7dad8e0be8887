// The parts of the `xmlrpc` package the simulator uses directly (not covered by @types/xmlrpc).
declare module 'xmlrpc/lib/deserializer.js' {
  import type { Readable } from 'node:stream';

  class Deserializer {
    constructor(encoding?: string);
    deserializeMethodCall(
      stream: Readable,
      callback: (error: Error | null | undefined, methodName?: string, params?: unknown[]) => void,
    ): void;
  }
  export default Deserializer;
}

// The `xmlrpc` package's request serializer, the reference methodCall.test.ts compares against (not covered by @types/xmlrpc).
declare module 'xmlrpc/lib/serializer.js' {
  const serializer: {
    serializeMethodCall(method: string, params: Array<string | number | boolean>, encoding?: string): string;
  };
  export default serializer;
}

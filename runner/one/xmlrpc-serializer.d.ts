// The part of the `xmlrpc` package the client uses directly (not covered by @types/xmlrpc).
declare module 'xmlrpc/lib/serializer.js' {
  const serializer: {
    serializeMethodCall(method: string, params: Array<string | number | boolean>, encoding?: string): string;
  };
  export default serializer;
}

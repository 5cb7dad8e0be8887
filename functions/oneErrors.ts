// oned's error replies as typed errors (API.md §2), shared by the client and
// by the steps that decide whether a failure is worth a retry.

export const OneErrorCode = {
  AUTHENTICATION: 256,
  AUTHORIZATION: 512,
  NO_EXISTS: 1024,
  ACTION: 2048,
  RPC_API: 4096,
  INTERNAL: 8192,
  ALLOCATE: 16384,
  LOCKED: 32768,
  REPLICATION: 65536,
  /** Not from oned: the call did not reach it or got no usable answer. */
  TRANSPORT: -1,
  TIMEOUT: -2,
  FAULT: -3,
} as const;

const NAMES = Object.fromEntries(Object.entries(OneErrorCode).map(([k, v]) => [v, k])) as Record<number, string>;

export class OneError extends Error {
  readonly codeName: string;
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly objectId = -1,
  ) {
    super(message);
    this.name = 'OneError';
    this.codeName = NAMES[code] ?? `CODE_${code}`;
  }

  /** Worth another try: oned was busy, electing, unreachable or slow. */
  get transient(): boolean {
    return this.code === OneErrorCode.INTERNAL || this.code === OneErrorCode.TRANSPORT ||
      this.code === OneErrorCode.TIMEOUT || this.code === OneErrorCode.LOCKED || this.code === OneErrorCode.REPLICATION;
  }
}

export function describeError(e: unknown): string {
  if (e instanceof OneError) return `${e.codeName}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

// Every error oneha reports, and the one place that says what kind it is.
// classify(e) is what the flow journals, what HTTP turns into a status
// (runner/http/errorStatus.ts) and what the CLI and standalone bundles turn
// into an exit code (runner/exitCodes.ts): one mapping, derived everywhere.
import type * as z from './zod';

/** oned's error codes (OpenNebula XML-RPC reference), plus oneha's own for a call that got no usable answer. */
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

/** Worth another try: oned was busy, electing, unreachable or slow. */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([
  OneErrorCode.INTERNAL, OneErrorCode.TRANSPORT, OneErrorCode.TIMEOUT, OneErrorCode.LOCKED, OneErrorCode.REPLICATION,
]);

/** What an error means to whoever reports it; each kind has one HTTP status and one exit code. */
export const ERROR_KINDS = ['invalid-input', 'step', 'not-found', 'conflict', 'invalid-output', 'oned', 'internal'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export class OneError extends Error {
  readonly codeName: string;
  readonly kind = 'oned' as const;
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

  get transient(): boolean {
    return TRANSIENT_CODES.has(this.code);
  }
}

/** True for a code name OneError gives (AUTHENTICATION, TRANSPORT, ...): the failure came from talking to oned. */
export function isOneErrorCodeName(name: string | undefined): boolean {
  return name !== undefined && (Object.hasOwn(OneErrorCode, name) || /^CODE_-?\d+$/.test(name));
}

/** A failure a step (or the runner) reports on purpose, with a machine-readable code. */
export class StepError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly kind: ErrorKind = 'step',
  ) {
    super(message);
    this.name = 'StepError';
  }
}

/** A function's input did not match its schema. */
export class InputError extends Error {
  readonly kind = 'invalid-input' as const;
  constructor(readonly fn: string, readonly issues: z.core.$ZodIssue[], message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export interface Classified {
  /** Machine-readable, journaled: a StepError's code, a OneError's code name, ... */
  code: string;
  kind: ErrorKind;
  /** Worth trying again as it is. */
  transient: boolean;
}

/**
 * The one error mapping. An error class elsewhere (the secret store, fence
 * settings) joins it by carrying `kind` (and optionally `code`).
 */
export function classify(e: unknown): Classified {
  // oned's "no such object" is the caller's wrong id, not oned failing (404, exit code 2).
  if (e instanceof OneError) return { code: e.codeName, kind: e.code === OneErrorCode.NO_EXISTS ? 'not-found' : 'oned', transient: e.transient };
  if (e instanceof StepError) return { code: e.code, kind: e.kind, transient: false };
  if (e instanceof InputError) return { code: 'invalid-input', kind: 'invalid-input', transient: false };
  if (e instanceof Error && e.name === 'ZodError') return { code: 'invalid-output', kind: 'invalid-output', transient: false };
  const k = e && typeof e === 'object' ? (e as { kind?: unknown; code?: unknown }) : {};
  if (typeof k.kind === 'string' && (ERROR_KINDS as readonly string[]).includes(k.kind)) {
    return { code: typeof k.code === 'string' ? k.code : k.kind, kind: k.kind as ErrorKind, transient: false };
  }
  return { code: 'error', kind: 'internal', transient: false };
}

export function describeError(e: unknown): string {
  if (e instanceof OneError) return `${e.codeName}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

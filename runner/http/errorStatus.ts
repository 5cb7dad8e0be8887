// The one table from an error's kind (model/errors.ts classify) to the HTTP
// status the API answers with; the CLI's exit codes come from the same kinds
// (runner/cli/exitCodes.ts KIND_EXIT).
import type { ErrorKind } from '../../model/errors';

export const KIND_STATUS = {
  'invalid-input': 400,
  step: 422,
  'not-found': 404,
  conflict: 409,
  'invalid-output': 422,
  oned: 502,
  internal: 500,
} as const satisfies Record<ErrorKind, number>;

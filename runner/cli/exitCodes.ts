// The one table of exit codes shared by every `oneha` command (and the
// drop-in hook, whose codes `onehook show` displays). `--help` and the README
// print it from here.

import type { ErrorKind } from '../../model/errors';

export const EXIT = { ok: 0, failed: 1, badInput: 2, oned: 3, vmsFailed: 4, runner: 5, fenceFailed: 255 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_MEANING: Record<ExitCode, string> = {
  [EXIT.ok]: 'done',
  [EXIT.failed]: 'the action ran and failed (a recovery failed, a BMC did not answer, the runner had an internal error)',
  [EXIT.badInput]: 'bad input: a wrong option or value, an unknown host, recovery or function, or a request the runner refused',
  [EXIT.oned]: 'OpenNebula (oned) could not be reached or refused the credentials',
  [EXIT.vmsFailed]: 'hook host-error: the host was fenced but some VMs were not recovered',
  [EXIT.runner]: 'the runner could not be reached, or refused the token',
  [EXIT.fenceFailed]: 'hook host-error: fencing failed or the recovery is held; nothing was touched (onehook retry after fixing it)',
};

/** The exit code for each kind of error (model/errors.ts classify), as HTTP has KIND_STATUS. */
export const KIND_EXIT = {
  'invalid-input': EXIT.badInput,
  step: EXIT.badInput,
  'not-found': EXIT.badInput,
  conflict: EXIT.badInput,
  'invalid-output': EXIT.failed,
  oned: EXIT.oned,
  internal: EXIT.failed,
} as const satisfies Record<ErrorKind, ExitCode>;

/** The table as printed under `oneha --help` and in the README. */
export function exitCodeTable(): string {
  return Object.entries(EXIT_MEANING).map(([code, text]) => `  ${code.padStart(3)}  ${text}`).join('\n');
}

/** A runner API answer's HTTP status as an exit code. */
export function exitForStatus(status: number): ExitCode {
  if (status < 400) return EXIT.ok;
  if (status === 401) return EXIT.runner;
  if (status === 502) return EXIT.oned;
  if (status < 500) return EXIT.badInput;
  return EXIT.failed;
}

/** Marks CliErrors whichever bundle made them (dist/demo.mjs has its own copy of this class). */
const CLI_ERROR = Symbol.for('oneha.CliError');

/** A failure the CLI reports as one sentence (what to fix) and an exit code. */
export class CliError extends Error {
  readonly [CLI_ERROR] = true;
  constructor(readonly exit: ExitCode, message: string) {
    super(message);
  }
  // `instanceof` by the mark, not the class: a `oneha demo` error thrown by the demo bundle keeps its exit code.
  static override [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as { [CLI_ERROR]?: boolean })[CLI_ERROR] === true;
  }
}

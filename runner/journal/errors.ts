// A journal write that did not become durable. Nothing it carried was
// acknowledged; `full` says the disk (or a quota or file-size limit) is the
// cause, which the hook endpoint reports as 507 Insufficient Storage.
const FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

export class JournalWriteError extends Error {
  readonly full: boolean;
  constructor(readonly file: string, override readonly cause: NodeJS.ErrnoException) {
    const full = FULL_CODES.has(cause.code ?? '');
    super(full
      ? `the journal's disk is full (${cause.code} writing ${file}): nothing was accepted; free space and retry`
      : `the journal could not be written (${cause.code ?? cause.message} writing ${file}): nothing was accepted`);
    this.full = full;
  }
}

/** The journal was closed (the runner is stopping): nothing was written. */
export class JournalClosedError extends Error {
  constructor() {
    super('the journal is closed: the runner is stopping');
  }
}
